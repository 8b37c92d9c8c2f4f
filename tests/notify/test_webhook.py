"""Chat webhooks through a real HTTP receiver: JSON shapes, signature, retries."""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import replace
from datetime import timedelta

from onevoice import notify
from onevoice.notify.webhook import ID_HEADER, SIGNATURE_HEADER
from onevoice.store.models import Notification, utcnow

from .conftest import SECRET
from .helpers import only

BODY = "Incident #7 needs the committee (chair).\nOpen it: http://127.0.0.1:8000/incidents/7"


def _enqueue(db, target, subject="[onevoice] CRISIS crisis: incident #7", body=BODY):
    with db.transaction() as s:
        return notify.enqueue(s, "webhook", target, subject, body, related=("incident", 7)).id


def test_slack_style_json_and_signature(db, hook, config):
    nid = _enqueue(db, hook.url, subject="Crisis <#7> & more")
    assert notify.deliver_due(db, config)["sent"] == 1
    [req] = hook.requests
    assert req["json"] == {"text": "*Crisis &lt;#7&gt; &amp; more*\n" + BODY}
    assert req["headers"]["Content-Type"] == "application/json"
    assert req["headers"][ID_HEADER] == str(nid)
    expected = "sha256=" + hmac.new(SECRET.encode(), req["raw"], hashlib.sha256).hexdigest()
    assert req["headers"][SIGNATURE_HEADER] == expected
    assert json.loads(req["raw"]) == req["json"]  # the signature covers exactly the bytes sent


def test_slack_prefix_and_no_signature_without_secret(db, hook, config):
    _enqueue(db, "slack:" + hook.url)
    notify.deliver_due(db, replace(config, webhook_secret=""))
    [req] = hook.requests
    assert SIGNATURE_HEADER not in req["headers"] and "text" in req["json"]


def test_teams_adaptive_card(db, hook, config):
    _enqueue(db, "teams:" + hook.url)
    assert notify.deliver_due(db, config)["sent"] == 1
    [req] = hook.requests
    msg = req["json"]
    assert msg["type"] == "message"
    [att] = msg["attachments"]
    assert att["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = att["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert [b["text"] for b in card["body"]] == ["[onevoice] CRISIS crisis: incident #7", BODY]
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Open in onevoice",
                                "url": "http://127.0.0.1:8000/incidents/7"}]
    assert req["headers"][SIGNATURE_HEADER].startswith("sha256=")


def test_500_is_retried_until_delivered(db, hook, config):
    hook.fail(2)
    _enqueue(db, hook.url)
    t = utcnow()
    assert notify.deliver_due(db, config, now=t)["retried"] == 1
    n = only(db)
    assert n.status == "pending" and n.attempts == 1 and "500" in n.last_error
    assert notify.deliver_due(db, config, now=n.due_at)["retried"] == 1
    assert notify.deliver_due(db, config, now=only(db).due_at)["sent"] == 1
    assert [r["status"] for r in hook.requests] == [500, 500, 200]
    assert len({r["headers"][ID_HEADER] for r in hook.requests}) == 1  # the same id on every try
    n = only(db)
    assert (n.status, n.attempts, n.last_error) == ("sent", 3, None)


def test_failed_after_max_attempts_keeps_the_error(db, hook, config):
    config = replace(config, max_attempts=4)
    hook.fail(10, status=503)
    _enqueue(db, hook.url)
    t = utcnow()
    results = []
    for _ in range(6):
        results.append(notify.deliver_due(db, config, now=t))
        t += timedelta(days=1)
    n = only(db)
    assert n.status == "failed" and n.attempts == 4 and "503" in n.last_error
    assert len(hook.requests) == 4 and results[3]["failed"] == 1 and results[4]["failed"] == 0


def test_gone_webhook_fails_at_once_but_429_is_retried(db, hook, config):
    hook.fail(1, status=404)
    hook.fail(1, status=429)
    a = _enqueue(db, hook.url)
    b = _enqueue(db, hook.url)
    assert notify.deliver_due(db, config) == {"sent": 0, "retried": 1, "failed": 1}
    with db.reader() as s:
        assert s.get(Notification, a).status == "failed" and "404" in s.get(Notification, a).last_error
        assert s.get(Notification, b).status == "pending"


def test_timeout_is_retried(db, hook, config):
    hook.delay = 1.0
    _enqueue(db, hook.url)
    assert notify.deliver_due(db, replace(config, timeout=0.2))["retried"] == 1
    assert "Timeout" in only(db).last_error
    hook.delay = 0
    assert notify.deliver_due(db, config, now=utcnow() + timedelta(hours=1))["sent"] == 1


def test_connection_refused_is_retried(db, config):
    from tests.servers import free_port

    _enqueue(db, f"http://127.0.0.1:{free_port()}/hook")
    assert notify.deliver_due(db, config)["retried"] == 1
    assert "ConnectError" in only(db).last_error
