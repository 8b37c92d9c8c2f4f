"""Matrix delivery to a real Synapse homeserver (slow: one Synapse per test session)."""
from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import update

from onevoice import notify
from onevoice.store.models import Notification, utcnow

from .helpers import only

pytestmark = pytest.mark.slow


@pytest.fixture
def mconfig(config, matrix):
    return replace(config, matrix_homeserver=matrix.url, matrix_token=matrix.users["onevoice"].token)


def bodies(matrix, room=None):
    return [e["content"]["body"] for e in matrix.messages(room or matrix.room, matrix.users["chair"])]


def test_message_arrives_in_the_room(db, matrix, mconfig):
    with db.transaction() as s:
        notify.enqueue(s, "matrix", matrix.room, "[onevoice] CRISIS crisis: incident #9",
                       "Incident #9 needs the chair.\nOpen it: http://127.0.0.1:8000/incidents/9")
    assert notify.deliver_due(db, mconfig)["sent"] == 1
    [event] = matrix.messages(matrix.room, matrix.users["chair"])
    assert event["sender"] == matrix.users["onevoice"].user_id
    c = event["content"]
    assert c["msgtype"] == "m.text"
    assert c["body"] == "[onevoice] CRISIS crisis: incident #9\nIncident #9 needs the chair.\n" \
                        "Open it: http://127.0.0.1:8000/incidents/9"
    assert c["formatted_body"].startswith("<strong>[onevoice] CRISIS crisis: incident #9</strong><br>")


def test_resend_after_a_crash_is_the_same_event(db, matrix, mconfig):
    with db.transaction() as s:
        notify.enqueue(s, "matrix", matrix.room, "once", "only once")
    assert notify.deliver_due(db, mconfig)["sent"] == 1
    with db.transaction() as s:  # as if the worker died after the send, before marking it sent
        s.execute(update(Notification).values(status="pending", sent_at=None, due_at=utcnow()))
    assert notify.deliver_due(db, mconfig)["sent"] == 1
    assert bodies(matrix) == ["once\nonly once"]  # the transaction id made the resend a no-op


def test_room_alias(db, matrix, mconfig):
    alias = f"committee-{uuid.uuid4().hex[:8]}"
    room = matrix.create_room(matrix.users["onevoice"], matrix.users["chair"], alias=alias)
    with db.transaction() as s:
        notify.enqueue(s, "matrix", f"#{alias}:localhost", "alias", "via alias")
    assert notify.deliver_due(db, mconfig)["sent"] == 1
    assert bodies(matrix, room) == ["alias\nvia alias"]


def test_bad_token_is_retried_until_fixed(db, matrix, mconfig):
    with db.transaction() as s:
        notify.enqueue(s, "matrix", matrix.room, "token", "fixed later")
    assert notify.deliver_due(db, replace(mconfig, matrix_token="wrong"))["retried"] == 1
    n = only(db)
    assert n.status == "pending" and "401" in n.last_error
    assert notify.deliver_due(db, mconfig, now=utcnow() + timedelta(hours=1))["sent"] == 1
    assert bodies(matrix) == ["token\nfixed later"]


def test_unknown_alias_fails_at_once(db, matrix, mconfig):
    with db.transaction() as s:
        notify.enqueue(s, "matrix", "#no-such-room:localhost", "s", "b")
    assert notify.deliver_due(db, mconfig)["failed"] == 1
    assert "404" in only(db).last_error


def test_homeserver_down_is_retried(db, mconfig):
    from tests.servers import free_port

    with db.transaction() as s:
        notify.enqueue(s, "matrix", "!room:localhost", "s", "b")
    assert notify.deliver_due(db, replace(mconfig, matrix_homeserver=f"http://127.0.0.1:{free_port()}"))[
        "retried"] == 1
    assert "ConnectError" in only(db).last_error
