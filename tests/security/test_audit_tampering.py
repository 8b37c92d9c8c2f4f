"""Tampering with the audit log by someone who can write to the database but does not hold the
audit key: editing an event and recomputing the chain, cutting the end and rewriting the head,
emptying both tables. And the anchors, which catch what the key cannot: a head copied earlier and
put back, or a rewrite by someone holding the key. On both databases."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, update

from onevoice import audit
from onevoice.errors import Conflict, InvalidInput
from onevoice.governance import members
from onevoice.governance.permissions import SYSTEM
from onevoice.jobs import JOBS
from onevoice.store.models import AuditEvent, AuditHead, Notification, utcnow
from onevoice.web.app import create_app

BIN = os.path.join(os.path.dirname(sys.executable), "onevoice")


def _events(system, n=4, prefix="a"):
    for i in range(n):
        with system.db.transaction() as s:
            members.add_member(s, SYSTEM, f"{prefix}{i}@example.org", f"{prefix.upper()}{i}")


def _verify(system, anchor=None):
    with system.db.reader() as s:
        return audit.verify(s, anchor)


def _anchor(system):
    with system.db.reader() as s:
        return audit.anchor(s)


def _rechain(system, edit_seq: int, key: bytes | None, **changes):
    """What someone with write access can do: change one event and recompute every hash after it,
    and the head, with the hash they can compute (plain SHA-256, or a key they guessed)."""
    with system.db.transaction() as s:
        s.execute(update(AuditEvent).where(AuditEvent.seq == edit_seq).values(**changes))
        prev = audit.GENESIS
        for ev in s.scalars(select(AuditEvent).order_by(AuditEvent.seq)):
            if ev.seq >= edit_seq:
                ev.prev_hash = prev
                ev.hash = audit._event_hash(key, prev, ev.seq, ev.at, ev.actor, ev.action, ev.object_type,
                                            ev.object_id, ev.before_digest, ev.after_digest, ev.detail)
            prev = ev.hash
        head = s.get(AuditHead, 1)
        head.hash = prev
        if key is not None:
            head.mac = audit._head_mac(key, head.seq, prev, head.keyed_from)


def _append_refused(system):
    with pytest.raises(Conflict), system.db.transaction() as s:
        members.add_member(s, SYSTEM, "after@example.org", "After")


@pytest.mark.parametrize("key", [None, b"a guessed key"], ids=["sha256", "wrong-key"])
def test_an_edit_with_the_chain_recomputed_is_detected(system, key):
    _events(system)
    _rechain(system, 3, key, actor="somebody-else")
    result = _verify(system)
    assert not result.ok
    assert any("event 3" in p and "edited" in p for p in result.problems)
    if key is not None:
        assert any("seal" in p for p in result.problems)


def test_the_tail_cut_with_the_head_rewritten_is_detected(system):
    _events(system)
    with system.db.transaction() as s:
        last = s.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1))
        s.execute(delete(AuditEvent).where(AuditEvent.seq > last - 2))
        kept = s.get(AuditEvent, last - 2)
        s.execute(update(AuditHead).values(seq=kept.seq, hash=kept.hash))
    result = _verify(system)
    assert not result.ok and any("does not match its seal" in p for p in result.problems), result.problems
    _append_refused(system)  # the next change must not seal the cut log as if it were intact
    assert not _verify(system).ok


def test_both_tables_emptied_is_detected(system):
    _events(system)
    with system.db.transaction() as s:
        s.execute(delete(AuditEvent))
        s.execute(delete(AuditHead))
    result = _verify(system)
    assert not result.ok and result.events == 0
    assert any("head row is missing" in p for p in result.problems)
    _append_refused(system)
    with pytest.raises(Conflict):
        system.initialize()  # re-running init does not start a fresh log over the emptied one
    assert not _verify(system).ok


def test_an_unsealed_head_is_reported_and_not_appended_to(system):
    _events(system, 2)
    with system.db.transaction() as s:
        s.execute(update(AuditHead).values(mac="0" * 64))
    assert any("seal" in p for p in _verify(system).problems)
    _append_refused(system)
    with pytest.raises(Conflict):
        _anchor(system)  # a tampered head is not anchored as if it were good


def test_problems_stay_bounded(sqlite_system, monkeypatch):
    _events(sqlite_system, 3)
    with sqlite_system.db.transaction() as s:
        s.execute(update(AuditEvent).values(actor="x"))
    every = _verify(sqlite_system).problems
    assert len(every) >= 5 and all("edited" in p for p in every)
    monkeypatch.setattr(audit, "MAX_PROBLEMS", 2)
    capped = _verify(sqlite_system).problems
    assert capped[:2] == every[:2] and capped[2:] == (f"... and {len(every) - 2} more problems",)


def test_an_anchor_verifies_and_catches_a_head_put_back(system):
    _events(system, 2)
    mark = _anchor(system)
    assert str(audit.Anchor.parse(str(mark))) == str(mark)
    with system.db.reader() as s:
        copied = s.get(AuditHead, 1)
        copied = (copied.seq, copied.hash, copied.mac)
    _events(system, 3, prefix="b")
    later = _anchor(system)
    assert later.seq > mark.seq
    assert _verify(system, mark).ok and _verify(system, later).ok
    # cut back to the copied head and put it back: without the later anchor this looks intact
    with system.db.transaction() as s:
        s.execute(delete(AuditEvent).where(AuditEvent.seq > copied[0]))
        s.execute(update(AuditHead).values(seq=copied[0], hash=copied[1], mac=copied[2]))
    assert _verify(system).ok
    result = _verify(system, later)
    assert not result.ok and any(f"anchored event {later.seq}" in p for p in result.problems)


def test_an_anchor_catches_a_rewrite_with_the_key(system):
    _events(system, 3)
    mark = _anchor(system)
    key = system.settings.audit_key.encode()
    _rechain(system, 2, key, actor="rewritten by a key holder")
    assert _verify(system).ok  # the key alone cannot tell
    result = _verify(system, mark)
    assert not result.ok and any(f"event {mark.seq} is not the one anchored" in p for p in result.problems)


def test_anchor_parsing_refuses_garbage():
    for bad in ("", "12", "x:" + "a" * 64, "3:" + "g" * 64, "3:" + "a" * 63, "1" * 30 + ":" + "a" * 64):
        with pytest.raises(InvalidInput):
            audit.Anchor.parse(bad)


def test_the_anchor_goes_to_the_committee_on_schedule(sqlite_system):
    system = sqlite_system
    with system.db.transaction() as s:
        members.add_member(s, SYSTEM, "chair@example.org", "Chair", roles=("chair",))
        members.add_member(s, SYSTEM, "rev@example.org", "Rev", roles=("committee",))
        members.add_member(s, SYSTEM, "plain@example.org", "Plain")
    assert any(j.name == "audit_anchor" for j in JOBS)
    sent = audit.send_anchor(system.db, 24)
    assert sent is not None
    with system.db.reader() as s:
        mails = list(s.scalars(select(Notification).order_by(Notification.target)))
        assert [m.target for m in mails] == ["chair@example.org", "rev@example.org"]
        assert all(str(sent) in m.body and "--anchor" in m.body for m in mails)
        assert s.scalar(select(AuditEvent.detail).where(AuditEvent.action == audit.ANCHOR_ACTION)) == {
            "anchor": str(sent), "recipients": 2}
    assert audit.send_anchor(system.db, 24) is None  # not due again yet
    assert audit.send_anchor(system.db, 0) is None  # 0: never
    again = audit.send_anchor(system.db, 24, now=utcnow() + timedelta(hours=25))
    assert again is not None and again.seq > sent.seq
    assert _verify(system, sent).ok and _verify(system, again).ok


def test_the_api_verifies_against_an_anchor(sqlite_system):
    system = sqlite_system
    with system.db.transaction() as s:
        members.add_member(s, SYSTEM, "chair@example.org", "Chair", "a long password", ("chair",))
    client = TestClient(create_app(system, scheduler=False), raise_server_exceptions=False)
    token = client.post("/api/v1/tokens", json={"email": "chair@example.org", "password": "a long password"})
    h = {"Authorization": f"Bearer {token.json()['token']}"}
    mark = _anchor(system)
    r = client.get("/api/v1/audit/verify", params={"anchor": str(mark)}, headers=h)
    assert r.status_code == 200 and r.json()["ok"] is True, r.text
    gone = audit.Anchor(mark.seq + 1000, mark.hash)
    r = client.get("/api/v1/audit/verify", params={"anchor": str(gone)}, headers=h)
    assert r.status_code == 200 and r.json()["ok"] is False
    r = client.get("/api/v1/audit/verify", params={"anchor": "not-an-anchor"}, headers=h)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"


def test_the_cli_prints_the_anchor_and_verifies_against_it(tmp_path):
    env = {**os.environ, "ONEVOICE_HOME": str(tmp_path)}
    for name in ("ONEVOICE_DATABASE_URL", "ONEVOICE_AUDIT_KEY"):
        env.pop(name, None)

    def run(*args):
        return subprocess.run([BIN, *args], capture_output=True, text=True, env=env, timeout=120)

    assert run("init").returncode == 0
    assert run("member", "add", "ana@example.org", "--name", "Ana").returncode == 0
    printed = run("audit", "anchor")
    mark = audit.Anchor.parse(printed.stdout)
    assert printed.returncode == 0 and printed.stdout.strip() == str(mark)
    assert run("member", "add", "bo@example.org", "--name", "Bo").returncode == 0
    r = run("audit", "verify", "--anchor", str(mark))
    assert r.returncode == 0 and "intact" in r.stdout, r.stderr
    with sqlite3.connect(tmp_path / "onevoice.db") as conn:  # the tail cut, the head rewritten to match
        conn.execute("DELETE FROM audit_events WHERE seq >= ?", (mark.seq,))
        seq, last = conn.execute("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1").fetchone()
        conn.execute("UPDATE audit_head SET seq = ?, hash = ?", (seq, last))
    r = run("audit", "verify", "--anchor", str(mark))
    assert r.returncode == 1 and f"anchored event {mark.seq}" in r.stderr and "seal" in r.stderr
    r = run("audit", "verify", "--anchor", "yesterday")
    assert r.returncode != 0 and r.stderr.startswith("error: ") and len(r.stderr.strip().splitlines()) == 1
