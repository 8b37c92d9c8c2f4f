"""The Bluesky connector against a real local Bluesky network (tests/servers/bluesky.py):
Bluesky's reference PDS and AppView from @atproto/dev-env, on loopback."""
from __future__ import annotations

import pytest

from onevoice.publishing.connectors import ConnectorConfig, ConnectorError, Media, PostRef, PublishRequest
from onevoice.publishing.connectors.bluesky import BlueskyConnector, _error, record_key
from tests.servers import free_port
from tests.servers.bluesky import eventually

slow = pytest.mark.slow
# a 1x1 PNG
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8"
                    "cfc0f01f0005000201a2d0d6b50000000049454e44ae426082")


def connector(network, account) -> BlueskyConnector:
    creds = {"identifier": account["handle"], "password": account["password"]}
    return BlueskyConnector(ConnectorConfig("bluesky", account["handle"], network.pds, creds, allow_private_urls=True))


def posts_in_repo(account) -> list:
    """The account's post records, straight from its repository on the PDS."""
    c = account["client"]
    return c.com.atproto.repo.list_records({"repo": account["did"], "collection": "app.bsky.feed.post",
                                            "limit": 100}).records


def record_of(account, ref: PostRef):
    return next(r.value for r in posts_in_repo(account) if r.uri == ref.id)


# -- no server needed --------------------------------------------------------------------------------

def test_record_key_is_a_valid_stable_tid():
    from atproto_client.models.string_formats import validate_tid

    k = record_key("onevoice-publish-d1-r1")
    assert k == record_key("onevoice-publish-d1-r1") and k != record_key("onevoice-publish-d1-r2")
    assert len(k) == 13 and k[0] in "234567ab"
    for n in range(200):
        validate_tid(record_key(f"key-{n}"), None)


def test_error_mapping_of_rate_limits_and_server_errors():
    import time

    from atproto_client.exceptions import BadRequestError, RateLimitExceededError, RequestException
    from atproto_client.models.common import XrpcError
    from atproto_client.request import Response

    def response(status, headers, error="RateLimitExceeded", message="Rate Limit Exceeded"):
        return Response(success=False, status_code=status, headers=headers,
                        content=XrpcError(error=error, message=message))

    limited = _error(RateLimitExceededError(response(429, {"ratelimit-reset": str(int(time.time()) + 120)})))
    assert limited.retryable and limited.status == 429 and 100 < limited.retry_after <= 121
    assert "Rate Limit Exceeded" in limited.message
    assert _error(RateLimitExceededError(response(429, {"retry-after": "7"}))).retry_after == 7
    busy = _error(RequestException(response(503, {}, "InternalServerError", "busy")))
    assert busy.retryable and busy.retry_after is None
    bad = _error(BadRequestError(response(400, {"retry-after": "7"}, "InvalidRequest", "Invalid TID")))
    assert not bad.retryable and bad.retry_after is None and bad.message == "Bluesky: InvalidRequest: Invalid TID"
    # whether the call may have done its work: a 5xx may come after the PDS wrote the record; 4xx and 429 did nothing
    assert busy.outcome_unknown and not limited.outcome_unknown and not bad.outcome_unknown


@slow
def test_unreachable_pds_is_a_retryable_error():
    with pytest.raises(ConnectorError) as e:
        BlueskyConnector(ConnectorConfig("bluesky", "org.test", f"http://127.0.0.1:{free_port()}",
                                         {"identifier": "org.test", "password": "pw"}, allow_private_urls=True), timeout=2)
    assert e.value.retryable and "did not answer" in e.value.message


# -- PDS only ------------------------------------------------------------------------------------------

@slow
def test_publish_text_with_links_tags_and_mentions(bluesky_pds):
    org, fan = bluesky_pds.create_account("org"), bluesky_pds.create_account("fan")
    c = connector(bluesky_pds, org)
    text = f"Café webinar tonight #airway with @{fan['handle']} https://ipala.org/webinars"
    ref = c.publish(PublishRequest(text=text, idempotency_key="text-1", language="en"))
    assert ref.id == f"at://{org['did']}/app.bsky.feed.post/{record_key('text-1')}" and ref.cid
    assert ref.url == f"https://bsky.app/profile/{org['handle']}/post/{record_key('text-1')}"
    record = record_of(org, ref)
    assert record.text == text and record.langs == ["en"]
    raw = text.encode()
    spans = {f.features[0].py_type: raw[f.index.byte_start:f.index.byte_end].decode() for f in record.facets}
    assert spans == {"app.bsky.richtext.facet#tag": "#airway", "app.bsky.richtext.facet#mention": f"@{fan['handle']}",
                     "app.bsky.richtext.facet#link": "https://ipala.org/webinars"}
    mention = next(f.features[0] for f in record.facets if f.features[0].py_type.endswith("#mention"))
    assert mention.did == fan["did"]


@slow
def test_publish_twice_with_the_same_key_makes_one_post(bluesky_pds):
    org = bluesky_pds.create_account("org")
    request = PublishRequest(text="Statement on the new guideline", idempotency_key="once-1")
    first = connector(bluesky_pds, org).publish(request)
    again = connector(bluesky_pds, org).publish(request)   # a retry after a crash: a fresh connector
    assert again == first
    assert [r.uri for r in posts_in_repo(org)] == [first.id]
    other = connector(bluesky_pds, org).publish(PublishRequest(text="Another post", idempotency_key="once-2"))
    assert other.id != first.id and len(posts_in_repo(org)) == 2


@slow
def test_find_published_is_the_record_at_the_key_derived_from_the_idempotency_key(bluesky_pds):
    """What the outbox asks after an attempt whose outcome is unknown: exact, whenever it was made."""
    from datetime import datetime, timedelta, timezone

    org = bluesky_pds.create_account("org")
    c = connector(bluesky_pds, org)
    request = PublishRequest(text="Found again", idempotency_key="find-1")
    assert c.find_published(request, datetime.now(timezone.utc)) is None
    ref = c.publish(request)
    assert c.find_published(request, datetime.now(timezone.utc) + timedelta(days=1)) == ref  # the key, not the time
    assert c.find_published(PublishRequest(text="Found again", idempotency_key="find-2"),
                            datetime.now(timezone.utc) - timedelta(days=1)) is None  # nor the text


@slow
def test_racing_publishes_with_the_same_key_still_make_one_post(bluesky_pds, monkeypatch):
    """Two workers both found no record and both create it: the loser reads the winner's back."""
    org = bluesky_pds.create_account("org")
    request = PublishRequest(text="Raced post", idempotency_key="race-1")
    winner = connector(bluesky_pds, org).publish(request)
    loser = connector(bluesky_pds, org)
    real, calls = loser._get_post, []

    def blind_first_look(repo, rkey):
        calls.append(rkey)
        return None if len(calls) == 1 else real(repo, rkey)

    monkeypatch.setattr(loser, "_get_post", blind_first_look)
    assert loser.publish(request) == winner and len(calls) == 2
    assert [r.uri for r in posts_in_repo(org)] == [winner.id]


@slow
def test_replies_point_at_parent_and_thread_root(bluesky_pds):
    org, fan = bluesky_pds.create_account("org"), bluesky_pds.create_account("fan")
    oc, fc = connector(bluesky_pds, org), connector(bluesky_pds, fan)
    root = oc.publish(PublishRequest(text="Our family leaflet is out", idempotency_key="thread-1"))
    question = fc.publish(PublishRequest(text="Is it in Spanish too?", idempotency_key="thread-2",
                                         reply_to=PostRef(id=root.id)))   # no cid: the connector looks it up
    answer = oc.publish(PublishRequest(text="Yes, next week.", idempotency_key="thread-3", reply_to=question))
    q = record_of(fan, question).reply
    assert (q.root.uri, q.root.cid, q.parent.uri, q.parent.cid) == (root.id, root.cid, root.id, root.cid)
    a = record_of(org, answer).reply
    assert (a.root.uri, a.root.cid, a.parent.uri, a.parent.cid) == (root.id, root.cid, question.id, question.cid)


@slow
def test_image_with_alt_text(bluesky_pds):
    org = bluesky_pds.create_account("org")
    c = connector(bluesky_pds, org)
    ref = c.publish(PublishRequest(text="Our congress poster", idempotency_key="img-1",
                                   media=(Media(PNG, "image/png", alt="Poster: IPALA congress, 12 May"),
                                          Media(PNG, "image/png", alt="Venue map"))))
    images = record_of(org, ref).embed.images
    assert [i.alt for i in images] == ["Poster: IPALA congress, 12 May", "Venue map"]
    assert images[0].image.mime_type == "image/png" and images[0].image.size == len(PNG)
    blob = org["client"].com.atproto.sync.get_blob({"did": org["did"], "cid": images[0].image.cid.encode()})
    assert blob == PNG


@slow
def test_delete_removes_the_post_and_is_idempotent(bluesky_pds):
    org = bluesky_pds.create_account("org")
    c = connector(bluesky_pds, org)
    keep = c.publish(PublishRequest(text="Stays", idempotency_key="del-1"))
    gone = c.publish(PublishRequest(text="Posted by mistake", idempotency_key="del-2"))
    c.delete(gone)
    assert [r.uri for r in posts_in_repo(org)] == [keep.id]
    c.delete(gone)  # already gone: still fine


@slow
def test_bad_credentials_are_a_permanent_error_with_the_platforms_message(bluesky_pds):
    org = bluesky_pds.create_account("bad")
    with pytest.raises(ConnectorError) as e:
        BlueskyConnector(ConnectorConfig("bluesky", org["handle"], bluesky_pds.pds,
                                         {"identifier": org["handle"], "password": "wrong password"},
                                         allow_private_urls=True))
    assert not e.value.retryable and e.value.status == 401
    assert e.value.message == "Bluesky: AuthenticationRequired: Invalid identifier or password"


@slow
def test_the_limit_is_300_graphemes_not_characters(bluesky_pds):
    org = bluesky_pds.create_account("org")
    c = connector(bluesky_pds, org)
    decomposed = "e\u0301"  # é as two code points: one grapheme
    ok = c.publish(PublishRequest(text=decomposed * 300, idempotency_key="len-1"))  # 600 characters
    assert record_of(org, ok).text == decomposed * 300
    with pytest.raises(ConnectorError) as e:
        c.publish(PublishRequest(text=decomposed * 301, idempotency_key="len-2"))
    assert not e.value.retryable and e.value.status == 400
    assert "grapheme too big (maximum 300, got 301)" in e.value.message
    assert c.limits.max_chars == 300 and c.limits.count_graphemes and c.limits.max_media == 4


# -- the full network: PDS + AppView -------------------------------------------------------------------

@slow
def test_read_back_replies_mentions_counts_and_followers(bluesky_full):
    from atproto import models

    org, fan, critic = (bluesky_full.create_account(n) for n in ("org", "fan", "critic"))
    oc = connector(bluesky_full, org)
    ref = oc.publish(PublishRequest(text="Our new family leaflet is out", idempotency_key="full-1"))
    # as with people, reply once the post is visible: the AppView indexes repositories in parallel, and a
    # reply indexed before its parent makes no notification (seen here about one run in three otherwise)
    eventually(lambda: oc.counts(ref), "the post")
    reply = connector(bluesky_full, fan).publish(PublishRequest(text="Thanks, very useful!", idempotency_key="full-2",
                                                                reply_to=ref))
    mention = connector(bluesky_full, critic).publish(PublishRequest(
        text=f"Why did @{org['handle']} not answer my email?", idempotency_key="full-3"))
    fc, subject = fan["client"], models.ComAtprotoRepoStrongRef.Main(uri=ref.id, cid=ref.cid)
    fc.app.bsky.feed.like.create(fan["did"], models.AppBskyFeedLike.Record(created_at=fc.get_current_time_iso(),
                                                                            subject=subject))
    fc.app.bsky.feed.repost.create(fan["did"], models.AppBskyFeedRepost.Record(created_at=fc.get_current_time_iso(),
                                                                                subject=subject))
    for who in (fan, critic):
        who["client"].app.bsky.graph.follow.create(who["did"], models.AppBskyGraphFollow.Record(
            created_at=who["client"].get_current_time_iso(), subject=org["did"]))

    counts = eventually(lambda: (k := oc.counts(ref)).likes == 1 and k.replies == 1 and k.reposts == 1 and k,
                        "the like, repost and reply counts")
    assert counts.quotes == 0 and counts.impressions is None
    assert eventually(lambda: oc.followers() == 2, "the two follows")

    replies = eventually(lambda: oc.fetch_replies(ref), "the reply in the thread")
    assert [(r.id, r.author, r.text, r.kind, r.in_reply_to) for r in replies] == [
        (reply.id, fan["handle"], "Thanks, very useful!", "reply", ref.id)]
    assert replies[0].url == reply.url and replies[0].created_at.tzinfo is not None

    inbox = eventually(lambda: (m := oc.fetch_mentions()) and len(m) == 2 and m, "the reply and mention notifications")
    by_id = {m.id: m for m in inbox}
    assert by_id[mention.id].kind == "mention" and by_id[mention.id].author == critic["handle"]
    assert by_id[mention.id].text == f"Why did @{org['handle']} not answer my email?"
    assert by_id[reply.id].kind == "reply" and by_id[reply.id].in_reply_to == ref.id
    assert all(m.cursor for m in inbox)
    newest = max(m.cursor for m in inbox)
    assert oc.fetch_mentions(since_id=newest) == []
    oldest = min(m.cursor for m in inbox)
    assert oc.fetch_mentions(since_id=oldest) == [m for m in inbox if m.cursor > oldest]


@slow
def test_counts_of_a_deleted_post_are_a_permanent_error(bluesky_full):
    org = bluesky_full.create_account("org")
    oc = connector(bluesky_full, org)
    ref = oc.publish(PublishRequest(text="Short-lived", idempotency_key="gone-1"))
    eventually(lambda: oc.counts(ref), "the post")
    oc.delete(ref)
    err = eventually(lambda: _raised(lambda: oc.counts(ref)), "the deletion")
    assert not err.retryable and err.status == 404


def _raised(fn) -> ConnectorError | None:
    try:
        fn()
    except ConnectorError as exc:
        return exc
    return None
