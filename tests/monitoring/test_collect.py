"""Collection: one sample per post and slot, upserts on re-runs, one failing channel or post
does not stop the others, restarts lose nothing."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from onevoice.jobs import JOBS
from onevoice.monitoring.collect import collect, slot_of
from onevoice.publishing.connectors import ConnectorError, PostCounts
from onevoice.store.models import Channel, ChannelMetricSample, PostMetricSample

from .helpers import FakeConnector, published, setup, utc

NOW = utc(2026, 7, 10, 14, 25)


def _samples(system):
    with system.db.reader() as s:
        return sorted((r.draft_id, r.slot, r.likes, r.reposts, r.impressions) for r in s.scalars(select(PostMetricSample)))


def test_idempotent_per_slot_and_new_slot_adds(system):
    author, (cid,) = setup(system)
    a = published(system, author, cid, NOW - timedelta(days=2), "a")
    b = published(system, author, cid, NOW - timedelta(days=1), "b")
    published(system, author, cid, NOW - timedelta(days=40), "old")  # outside the 30-day window
    published(system, author, cid, NOW - timedelta(days=3), "gone", state="retracted")  # no longer on the platform
    fake = FakeConnector({"a": PostCounts(likes=1), "b": PostCounts(likes=2, reposts=1, impressions=50)}, followers=120)
    r = collect(system.db, lambda ch: fake, now=NOW)
    assert (r.posts, r.channels, r.errors, r.slot) == (2, 1, [], utc(2026, 7, 10, 14))
    fake.counts_by_id["a"] = PostCounts(likes=5)
    collect(system.db, lambda ch: fake, now=NOW + timedelta(minutes=20))  # same hour: updated, not added
    assert _samples(system) == [(a, utc(2026, 7, 10, 14), 5, 0, None), (b, utc(2026, 7, 10, 14), 2, 1, 50)]
    collect(system.db, lambda ch: fake, now=NOW + timedelta(hours=1))
    assert len(_samples(system)) == 4
    with system.db.reader() as s:
        assert s.scalar(select(func.count(ChannelMetricSample.id))) == 2


def test_one_failing_channel_or_post_does_not_stop_the_others(system):
    author, (c1, c2, c3) = setup(system, handles=("one", "two", "three"))
    p1 = published(system, author, c1, NOW - timedelta(days=1), "p1")
    published(system, author, c1, NOW - timedelta(days=1), "deleted-on-platform")
    p2 = published(system, author, c2, NOW - timedelta(days=1), "p2")
    published(system, author, c3, NOW - timedelta(days=1), "p3")
    ok = FakeConnector({"p1": PostCounts(likes=3)}, followers=ConnectorError("rate limited", retryable=True, status=429))
    also = FakeConnector({"p2": PostCounts(likes=7)}, followers=99)

    def connector_for(ch: Channel):
        if ch.id == c3:
            raise ConnectorError("bad credentials", retryable=False, status=401)
        return {c1: ok, c2: also}[ch.id]

    r = collect(system.db, connector_for, now=NOW)
    assert r.posts == 2 and r.channels == 1 and len(r.errors) == 3
    assert any("followers: rate limited" in e for e in r.errors) and any("bad credentials" in e for e in r.errors)
    assert any("not found" in e for e in r.errors)
    assert {(d, likes) for d, _, likes, _, _ in _samples(system)} == {(p1, 3), (p2, 7)}


def test_restart_after_a_crash_mid_run(system):
    """A crash while one channel is being read leaves the others' samples; the rerun fills in."""
    author, (c1, c2) = setup(system, handles=("one", "two"))
    p1 = published(system, author, c1, NOW - timedelta(days=1), "p1")
    p2 = published(system, author, c2, NOW - timedelta(days=1), "p2")
    good = {c1: FakeConnector({"p1": PostCounts(likes=1)}), c2: FakeConnector({"p2": PostCounts(likes=2)})}

    class Crash(BaseException):
        pass

    def crashing(ch):
        if ch.id == c2:
            raise Crash()
        return good[ch.id]

    try:
        collect(system.db, crashing, now=NOW)
    except Crash:
        pass
    assert [d for d, *_ in _samples(system)] == [p1]
    collect(system.db, lambda ch: good[ch.id], now=NOW + timedelta(minutes=5))
    assert [d for d, *_ in _samples(system)] == [p1, p2]


def test_channels_without_credentials_are_skipped(sqlite_system):
    author, (cid,) = setup(sqlite_system, credentials=False)
    published(sqlite_system, author, cid, NOW - timedelta(days=1), "x")
    called = []
    r = collect(sqlite_system.db, lambda ch: called.append(ch) or FakeConnector(), now=NOW)
    assert (r.posts, r.channels, called) == (0, 0, [])


def test_slots_and_the_job():
    assert slot_of(utc(2026, 7, 10, 14, 59, 59)) == utc(2026, 7, 10, 14)
    assert slot_of(utc(2026, 7, 10, 14, 59), 86400) == utc(2026, 7, 10)
    job = next(j for j in JOBS if j.name == "collect_metrics")
    assert job.every_seconds == 3600.0
    assert any(j.name == "evaluation_reports" for j in JOBS)
