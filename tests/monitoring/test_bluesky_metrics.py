"""Collecting counts and followers for a post on a real local Bluesky network (with the AppView)."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from onevoice.governance import channels
from onevoice.governance.permissions import SYSTEM
from onevoice.monitoring.collect import collect
from onevoice.publishing.connectors import PublishRequest
from onevoice.store.models import ChannelMetricSample, PostMetricSample, utcnow

from .helpers import published

pytestmark = pytest.mark.slow


def test_collects_counts_from_the_local_appview(bluesky_full, sqlite_system):
    from atproto import models

    org, fan = bluesky_full.create_account("org"), bluesky_full.create_account("fan")
    creds = {"identifier": org["handle"], "password": org["password"]}
    if bluesky_full.appview_did:
        creds["appview_did"] = f"{bluesky_full.appview_did}#bsky_appview"
    with sqlite_system.db.transaction() as s:
        from onevoice.governance import members

        author, _ = members.add_member(s, SYSTEM, "author@example.org", "Author")
        ch = channels.add_channel(s, SYSTEM, sqlite_system.box, "bluesky", org["handle"], base_url=bluesky_full.pds,
                                  credentials=creds)
        author_id, channel_id = author.id, ch.id
    with sqlite_system.db.reader() as s:
        from onevoice.store.models import Channel

        connector = sqlite_system.connector_for(s.get(Channel, channel_id))
    ref = connector.publish(PublishRequest(text="Our metrics test post", idempotency_key="metrics-1"))
    draft_id = published(sqlite_system, author_id, channel_id, utcnow(), ref.id)
    with sqlite_system.db.transaction() as s:
        from onevoice.store.models import Draft

        s.get(Draft, draft_id).published_ref = {"id": ref.id, "url": ref.url, "cid": ref.cid}
    fc = fan["client"]
    fc.app.bsky.feed.like.create(fan["did"], models.AppBskyFeedLike.Record(
        created_at=fc.get_current_time_iso(), subject=models.ComAtprotoRepoStrongRef.Main(uri=ref.id, cid=ref.cid)))
    fc.app.bsky.graph.follow.create(fan["did"], models.AppBskyGraphFollow.Record(
        created_at=fc.get_current_time_iso(), subject=org["did"]))
    deadline = time.monotonic() + 120
    while True:
        result = collect(sqlite_system.db, sqlite_system.connector_for)
        with sqlite_system.db.reader() as s:
            sample = s.scalar(select(PostMetricSample).where(PostMetricSample.draft_id == draft_id))
            followers = s.scalar(select(ChannelMetricSample.followers).where(ChannelMetricSample.channel_id == channel_id))
        if sample is not None and sample.likes == 1 and followers == 1:
            break
        assert time.monotonic() < deadline, f"the AppView did not report the like and follow in time: {result.lines()}"
        time.sleep(1)
    assert result.errors == [] and sample.impressions is None  # Bluesky does not report impressions
