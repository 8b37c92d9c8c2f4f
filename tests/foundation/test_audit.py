"""The hash-chained audit log detects edited and deleted events, on both databases."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, update

from onevoice import audit
from onevoice.governance import members
from onevoice.governance.permissions import SYSTEM
from onevoice.store.models import AuditEvent


def _events(system, n=4):
    for i in range(n):
        with system.db.transaction() as s:
            members.add_member(s, SYSTEM, f"a{i}@example.org", f"A{i}")


def test_chain_verifies_and_exports(system):
    _events(system)
    with system.db.reader() as s:
        result = audit.verify(s)
        exported = list(audit.export(s))
    assert result.ok, result.problems
    assert result.events == len(exported) >= 5
    assert [e["seq"] for e in exported] == list(range(1, len(exported) + 1))
    assert all(e["prev_hash"] == p["hash"] for p, e in zip(exported, exported[1:]))
    assert "password" not in str(exported).replace("password_set", "")


def test_edit_is_detected(system):
    _events(system)
    with system.db.transaction() as s:
        s.execute(update(AuditEvent).where(AuditEvent.seq == 3).values(actor="somebody-else"))
    with system.db.reader() as s:
        result = audit.verify(s)
    assert not result.ok
    assert any("event 3" in p and "edited" in p for p in result.problems)


def test_deleted_middle_and_tail_are_detected(system):
    _events(system)
    with system.db.transaction() as s:
        s.execute(delete(AuditEvent).where(AuditEvent.seq == 2))
    with system.db.reader() as s:
        assert any("missing" in p for p in audit.verify(s).problems)
    with system.db.transaction() as s:
        last = max(s.scalars(__import__("sqlalchemy").select(AuditEvent.seq)))
        s.execute(delete(AuditEvent).where(AuditEvent.seq == last))
    with system.db.reader() as s:
        assert any("end" in p for p in audit.verify(s).problems)


def test_failed_change_leaves_no_event(system):
    with system.db.reader() as s:
        before = audit.verify(s).events
    try:
        with system.db.transaction() as s:
            members.add_member(s, SYSTEM, "ok@example.org", "Ok")
            raise RuntimeError("crash before commit")
    except RuntimeError:
        pass
    with system.db.reader() as s:
        result = audit.verify(s)
    assert result.ok and result.events == before


def test_concurrent_appends_keep_one_chain(system):
    from concurrent.futures import ThreadPoolExecutor

    def work(i):
        with system.db.transaction() as s:
            members.add_member(s, SYSTEM, f"c{i}@example.org", f"C{i}")

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(work, range(24)))
    with system.db.reader() as s:
        result = audit.verify(s)
    assert result.ok, result.problems
    assert result.events >= 25


def test_a_log_from_before_the_audit_key_is_sealed_on_upgrade(tmp_path):
    """An installation upgraded from the plain SHA-256 chain: `init` keeps its events as they are,
    keys every later one, and the first keyed event pins the old part."""
    from sqlalchemy import create_engine, select, text

    from onevoice.errors import Conflict
    from onevoice.store.migrate import upgrade
    from onevoice.store.models import AuditHead, utcnow
    from tests.conftest import make_system

    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0007")
    engine = create_engine(url)
    prev, at = audit.GENESIS, utcnow()
    with engine.begin() as c:
        for seq in (1, 2, 3):
            h = audit._event_hash(None, prev, seq, at, "cli:old", "member.add", "member", str(seq), None, None, {})
            c.execute(AuditEvent.__table__.insert().values(
                seq=seq, at=at, actor="cli:old", action="member.add", object_type="member", object_id=str(seq),
                before_digest=None, after_digest=None, detail={}, prev_hash=prev, hash=h))
            prev = h
        c.execute(text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 3, :h)"), {"h": prev})
    engine.dispose()

    from onevoice.config import Settings
    from onevoice.system import System

    before_init = System(Settings(home=tmp_path, database_url=url, secret_key="k"))
    before_init.migrate()
    with before_init.db.reader() as s:
        assert any("not sealed" in p for p in audit.verify(s).problems)
    with pytest.raises(Conflict):
        with before_init.db.transaction() as s:
            members.add_member(s, SYSTEM, "early@example.org", "Early")
    before_init.db.dispose()

    system = make_system(url, tmp_path)  # `onevoice init`: migrates and seals
    with system.db.reader() as s:
        result = audit.verify(s)
        keyed = s.scalar(select(AuditEvent).where(AuditEvent.action == "audit.keyed"))
        assert s.get(AuditHead, 1).keyed_from == 4
    assert result.ok, result.problems
    assert keyed.seq == 4 and keyed.detail == {"unkeyed_events": 3}
    system.initialize()  # idempotent: sealed once
    with system.db.reader() as s:
        assert len(list(s.scalars(select(AuditEvent).where(AuditEvent.action == "audit.keyed")))) == 1

    with system.db.transaction() as s:  # rewrite the old part as plain SHA-256, as it was written
        ev2, ev3 = s.get(AuditEvent, 2), s.get(AuditEvent, 3)
        ev2.actor = "somebody-else"
        ev2.hash = audit._event_hash(None, ev2.prev_hash, 2, ev2.at, ev2.actor, ev2.action, ev2.object_type,
                                     ev2.object_id, None, None, {})
        ev3.prev_hash = ev2.hash
        ev3.hash = audit._event_hash(None, ev3.prev_hash, 3, ev3.at, ev3.actor, ev3.action, ev3.object_type,
                                     ev3.object_id, None, None, {})
        s.get(AuditEvent, 4).prev_hash = ev3.hash
    with system.db.reader() as s:
        problems = audit.verify(s).problems
    assert any("event 4" in p and "edited" in p for p in problems), problems
    system.db.dispose()
