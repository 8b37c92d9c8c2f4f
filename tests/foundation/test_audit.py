"""The hash-chained audit log detects edited and deleted events, on both databases."""
from __future__ import annotations

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
