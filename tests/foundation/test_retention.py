"""Retention purges old drafts and comments; the audit chain stays verifiable."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from onevoice import audit
from onevoice.governance import channels, members
from onevoice.governance.permissions import SYSTEM
from onevoice.publishing import workflow
from onevoice.retention import purge
from onevoice.store.models import Comment, Draft, utcnow


def test_purge_keeps_the_chain_and_pending_work(system):
    with system.db.transaction() as s:
        ch = channels.add_channel(s, SYSTEM, system.box, "mastodon", "ipala")
        members.add_member(s, SYSTEM, "a@example.org", "A")
        actor = members.actor_for(members.get_member(s, "a@example.org"))
        old = workflow.create_draft(s, actor, ch.id, "an old draft").id
        keep = workflow.create_draft(s, actor, ch.id, "in review").id
        s.get(Draft, keep).state = "in_review"
        s.add(Comment(channel_id=ch.id, platform_id="1", text="old comment", source="import",
                      received_at=utcnow() - timedelta(days=400)))
    with system.db.transaction() as s:
        s.execute(update(Draft).values(updated_at=utcnow() - timedelta(days=400)))
    with system.db.reader() as s:
        before = audit.anchor(s)
    result = purge(system.db, 365)
    assert result["drafts"] == 1 and result["comments"] == 1
    with system.db.reader() as s:
        assert s.get(Draft, old) is None and s.get(Draft, keep) is not None
        assert s.scalar(select(func.count(Comment.id))) == 0
        assert audit.verify(s, before).ok  # the events of what was purged are all still there
