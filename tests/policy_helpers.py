"""Test members acknowledge the active policy version, as every member must before submitting a
draft or a reply (1.; onevoice/policy/acknowledgements.py). Fixtures call this explicitly for the
members who submit: the rule itself is never relaxed for tests."""
from __future__ import annotations

from sqlalchemy import select

from onevoice.governance import members
from onevoice.policy import acknowledgements, versions
from onevoice.store.models import Member


def acknowledge_in(session, *emails: str) -> None:
    """In the caller's transaction: these members (all active ones if none is named) acknowledge the
    active policy version, unless they already have."""
    version = versions.active_version(session)
    people = ([members.get_member(session, e) for e in emails] if emails else
              list(session.scalars(select(Member).where(Member.active.is_(True)))))
    for m in people:
        if acknowledgements.acknowledged_at(session, m.id, version.id) is None:
            acknowledgements.acknowledge(session, members.actor_for(m), version.id, True)


def acknowledge_policy(system, *emails: str) -> None:
    """The same in a transaction of its own."""
    with system.db.transaction() as s:
        acknowledge_in(s, *emails)


def acknowledge_cli(run, *emails: str):
    """Through the CLI, as an operator would for members at a terminal: `member acknowledge --yes`."""
    for email in emails:
        r = run("member", "acknowledge", email, "--yes")
        assert r.returncode == 0, r.stderr
