"""The Mastodon connector against the local Mastodon-API server (see tests/servers/mastodon_api.py)."""
from __future__ import annotations

import time

import httpx
import pytest

from onevoice.publishing.connectors import ConnectorConfig, ConnectorError, Media, PostRef, PublishRequest
from onevoice.publishing.connectors.mastodon import MastodonConnector

PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8"
                    "cfc0f01f0005000201a2d0d6b50000000049454e44ae426082")


def connector(server, account):
    return MastodonConnector(ConnectorConfig("mastodon", account.username, server.url, {"access_token": account.token},
                                             allow_private_urls=True))


def test_publish_reply_media_counts_and_delete(mastodon):
    org = connector(mastodon, mastodon.org)
    ref = org.publish(PublishRequest(text="Webinar tonight! https://ipala.org/webinars", idempotency_key="k1"))
    assert ref.id and ref.url.endswith(ref.id)
    alice = connector(mastodon, mastodon.alice)
    alice.publish(PublishRequest(text="@ipala will there be a recording?", idempotency_key="a1", reply_to=ref))
    alice.api.status_favourite(ref.id)
    replies = org.fetch_replies(ref)
    assert [r.text for r in replies] == ["@ipala will there be a recording?"] and replies[0].author == "alice"
    assert replies[0].author_followers == 30
    counts = org.counts(ref)
    assert (counts.likes, counts.replies, counts.impressions) == (1, 1, None)
    assert org.followers() == 1200
    img = org.publish(PublishRequest(text="Our new poster", idempotency_key="k2",
                                     media=(Media(PNG, "image/png", alt="IPALA congress poster"),)))
    assert mastodon.api.state.statuses[img.id]["media_attachments"][0]["description"] == "IPALA congress poster"
    org.delete(ref)
    assert ref.id not in mastodon.api.state.statuses
    org.delete(ref)  # deleting twice is not an error: the post is gone either way


def test_idempotency_key_makes_one_status(mastodon):
    org = connector(mastodon, mastodon.org)
    first = org.publish(PublishRequest(text="Once only", idempotency_key="same-key"))
    again = org.publish(PublishRequest(text="Once only", idempotency_key="same-key"))
    assert first == again
    assert sum(1 for s in mastodon.api.state.statuses.values() if s["text"] == "Once only") == 1


def test_mentions_since_cursor(mastodon):
    org = connector(mastodon, mastodon.org)
    connector(mastodon, mastodon.alice).publish(PublishRequest(text="@ipala hello", idempotency_key="m1"))
    first = org.fetch_mentions()
    assert [m.text for m in first] == ["@ipala hello"] and first[0].kind == "mention" and first[0].cursor
    connector(mastodon, mastodon.bob).publish(PublishRequest(text="@ipala second", idempotency_key="m2"))
    assert [m.text for m in org.fetch_mentions(first[0].cursor)] == ["@ipala second"]


def test_errors_are_classified(mastodon):
    bad = MastodonConnector(ConnectorConfig("mastodon", "x", mastodon.url, {"access_token": "nope"}, allow_private_urls=True))
    with pytest.raises(ConnectorError) as e:
        bad.publish(PublishRequest(text="hi", idempotency_key="e1"))
    assert not e.value.retryable and e.value.message == "The access token is invalid"
    org = connector(mastodon, mastodon.org)
    with pytest.raises(ConnectorError) as e:
        org.publish(PublishRequest(text="x" * 501, idempotency_key="e2"))
    assert not e.value.retryable and "character limit" in e.value.message
    mastodon.api.state.faults.fail_next = 1
    with pytest.raises(ConnectorError) as e:
        org.publish(PublishRequest(text="hi", idempotency_key="e3"))
    assert e.value.retryable and e.value.status == 503
    mastodon.api.state.faults.rate_limited_for = time.time() + 120
    with pytest.raises(ConnectorError) as e:
        org.publish(PublishRequest(text="hi", idempotency_key="e4"))
    assert e.value.retryable and e.value.status == 429 and e.value.retry_after
    mastodon.api.state.faults.rate_limited_for = 0


def test_server_follows_the_documented_api(mastodon):
    h = {"Authorization": f"Bearer {mastodon.org.token}", "Idempotency-Key": "doc-1"}
    a = httpx.post(f"{mastodon.url}/api/v1/statuses", data={"status": "hi"}, headers=h).json()
    b = httpx.post(f"{mastodon.url}/api/v1/statuses", data={"status": "hi"}, headers=h).json()
    assert a["id"] == b["id"]
    httpx.post(f"{mastodon.url}/api/v1/statuses", data={"status": "@ipala yo"},
               headers={"Authorization": f"Bearer {mastodon.alice.token}"})
    r = httpx.get(f"{mastodon.url}/api/v1/notifications", headers={"Authorization": f"Bearer {mastodon.org.token}"})
    assert r.status_code == 200 and 'rel="next"' in r.headers["link"]
    assert httpx.get(f"{mastodon.url}/api/v1/notifications").status_code == 401
