"""The Bluesky connector against a real local Bluesky network (tests/servers/bluesky.py)."""
from __future__ import annotations

import time

import pytest

from onevoice.publishing.connectors import ConnectorConfig, ConnectorError, Media, PostRef, PublishRequest
from onevoice.publishing.connectors.bluesky import BlueskyConnector, record_key

pytestmark = pytest.mark.slow
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8"
                    "cfc0f01f0005000201a2d0d6b50000000049454e44ae426082")


def connector(network, account, appview=False):
    creds = {"identifier": account["handle"], "password": account["password"]}
    if appview and network.appview_did:
        creds["appview_did"] = f"{network.appview_did}#bsky_appview"
    return BlueskyConnector(ConnectorConfig("bluesky", account["handle"], network.pds, creds))


def posts_in_repo(account) -> list:
    c = account["client"]
    return c.com.atproto.repo.list_records({"repo": account["did"], "collection": "app.bsky.feed.post"}).records


def eventually(fn, what: str, timeout=120.0):
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            result = fn()
            if result:
                return result
            last = result
        except ConnectorError as exc:
            last = exc
        if time.monotonic() > deadline:
            raise AssertionError(f"the AppView did not index {what} in time (last answer: {last!r})")
        time.sleep(0.5)


def test_record_key_is_a_valid_stable_tid():
    k = record_key("onevoice-publish-d1-r1")
    assert k == record_key("onevoice-publish-d1-r1") and k != record_key("onevoice-publish-d1-r2")
    assert len(k) == 13 and k[0] in "234567abcdefghij"


def test_publish_idempotent_reply_image_delete(bluesky_pds):
    org, fan = bluesky_pds.create_account("org"), bluesky_pds.create_account("fan")
    c = connector(bluesky_pds, org)
    ref = c.publish(PublishRequest(text="Webinar tonight #airway https://ipala.org/webinars", idempotency_key="bk-1"))
    again = c.publish(PublishRequest(text="Webinar tonight #airway https://ipala.org/webinars", idempotency_key="bk-1"))
    assert ref == again and len(posts_in_repo(org)) == 1
    record = posts_in_repo(org)[0].value
    assert {f.features[0].py_type for f in record.facets} == {"app.bsky.richtext.facet#link", "app.bsky.richtext.facet#tag"}
    reply = connector(bluesky_pds, fan).publish(PublishRequest(text="Will it be recorded?", idempotency_key="bk-2",
                                                               reply_to=PostRef(id=ref.id)))
    assert posts_in_repo(fan)[0].value.reply.root.uri == ref.id and reply.id != ref.id
    img = c.publish(PublishRequest(text="Our poster", idempotency_key="bk-3",
                                   media=(Media(PNG, "image/png", alt="Congress poster"),)))
    assert [p for p in posts_in_repo(org) if p.uri == img.id][0].value.embed.images[0].alt == "Congress poster"
    c.delete(ref)
    assert ref.id not in [p.uri for p in posts_in_repo(org)]


def test_bad_password_is_a_permanent_error(bluesky_pds):
    org = bluesky_pds.create_account("bad")
    with pytest.raises(ConnectorError) as e:
        BlueskyConnector(ConnectorConfig("bluesky", org["handle"], bluesky_pds.pds,
                                         {"identifier": org["handle"], "password": "wrong password"}))
    assert not e.value.retryable and "Invalid identifier or password" in e.value.message


def test_read_back_replies_mentions_counts_followers(bluesky_full):
    from atproto import models

    org, fan = bluesky_full.create_account("org"), bluesky_full.create_account("fan")
    c = connector(bluesky_full, org, appview=True)
    ref = c.publish(PublishRequest(text="Our new family leaflet is out", idempotency_key="full-1"))
    f = connector(bluesky_full, fan, appview=True)
    f.publish(PublishRequest(text="Thanks, very useful!", idempotency_key="full-2", reply_to=PostRef(id=ref.id)))
    fc = fan["client"]
    fc.app.bsky.feed.like.create(fan["did"], models.AppBskyFeedLike.Record(
        created_at=fc.get_current_time_iso(), subject=models.ComAtprotoRepoStrongRef.Main(uri=ref.id, cid=ref.cid)))
    fc.app.bsky.graph.follow.create(fan["did"], models.AppBskyGraphFollow.Record(
        created_at=fc.get_current_time_iso(), subject=org["did"]))
    replies = eventually(lambda: c.fetch_replies(ref), "the reply")
    assert replies[0].text == "Thanks, very useful!" and replies[0].author == fan["handle"]
    counts = eventually(lambda: (lambda k: k if k.likes == 1 and k.replies == 1 else None)(c.counts(ref)), "the counts")
    assert counts.likes == 1 and counts.replies == 1
    assert eventually(lambda: c.followers() == 1, "the follow")
    mentions = eventually(lambda: c.fetch_mentions(), "the notification")
    assert any(m.text == "Thanks, very useful!" for m in mentions)
