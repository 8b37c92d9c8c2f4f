"""The demo organization: labeled, deterministic, refuses twice, never touches other data."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from onevoice import audit
from onevoice.errors import Conflict
from onevoice.monitoring import demo, kpis
from onevoice.store.models import Channel, Comment, Draft, Member, PostMetricSample

from .helpers import published, setup, utc

NOW = utc(2026, 11, 1)


def _fingerprint(system):
    with system.db.reader() as s:
        drafts = [(d.text, d.state, d.published_at) for d in s.scalars(
            select(Draft).join(Channel, Channel.id == Draft.channel_id).where(Channel.name.like("DEMO %"))
            .order_by(Draft.published_at, Draft.text))]
        comments = s.scalar(select(func.count(Comment.id)))
        samples = s.scalar(select(func.sum(PostMetricSample.likes)))
    return drafts, comments, samples


def test_demo_is_labeled_populated_and_refuses_twice(system):
    author, (real,) = setup(system, handles=("real_ipala",))
    real_post = published(system, author, real, utc(2026, 9, 1), "real-1", text="Real post")
    result = demo.generate(system, seed=7, days=100, now=NOW)
    assert result.posts > 20 and result.comments > 10 and result.incidents >= 1 and result.samples > 100
    with system.db.reader() as s:
        names = {c.name for c in s.scalars(select(Channel))}
        demo_members = list(s.scalars(select(Member).where(Member.email.like("%@demo.example"))))
        summary = kpis.summarize(s, kpis.parse_period("2026-Q3"), NOW)
        assert audit.verify(s).ok
    assert names == {"IPALA real_ipala", "DEMO IPALA (Mastodon)", "DEMO IPALA (Bluesky)"}
    assert demo_members and not any(m.active for m in demo_members)
    assert summary.engagement_total > 0 and summary.response.comments > 0 and summary.compliance.drafts_screened > 0
    with pytest.raises(Conflict, match="--force"):
        demo.generate(system, seed=7, days=100, now=NOW)
    first = _fingerprint(system)
    demo.generate(system, seed=7, days=100, now=NOW, force=True)
    assert _fingerprint(system) == first  # deterministic for a seed
    with system.db.reader() as s:
        assert s.get(Draft, real_post).text == "Real post"  # other data untouched
        assert s.scalar(select(func.count(Channel.id))) == 3


def test_remove_refuses_when_real_data_refers_to_demo(sqlite_system):
    demo.generate(sqlite_system, seed=1, days=30, now=NOW)
    with sqlite_system.db.reader() as s:
        demo_author = s.scalar(select(Member.id).where(Member.email == "author1@demo.example"))
    _, (real,) = setup(sqlite_system, handles=("real_ipala",))
    published(sqlite_system, demo_author, real, utc(2026, 10, 1), "mixed")
    with pytest.raises(Conflict, match="not removing"):
        demo.remove(sqlite_system.db)
    with sqlite_system.db.reader() as s:
        assert s.scalar(select(func.count(Channel.id))) == 3
