"""Passwords, the sign-in delay, sessions and API tokens."""
from __future__ import annotations

import pytest

from onevoice.errors import Unauthenticated
from onevoice.governance import auth, members
from onevoice.governance.permissions import SYSTEM
from onevoice.store.models import ApiToken, Member


def _member(system, password="correct horse battery"):
    with system.db.transaction() as s:
        m, _ = members.add_member(s, SYSTEM, "pat@example.org", "Pat", password)
        return m.id


def _login(system, password, policy=None):
    with system.db.transaction() as s:
        outcome = auth.authenticate(s, "pat@example.org", password, policy or system.login_policy)
    return outcome


def test_password_is_hashed_with_argon2(system):
    mid = _member(system)
    with system.db.reader() as s:
        stored = s.get(Member, mid).password_hash
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    assert _login(system, "correct horse battery").member is not None


def test_after_repeated_failures_sign_in_waits_even_with_right_password(system):
    _member(system)
    # a first wait of 30 s, not 1 s: a loaded machine must not let the wait pass while the test runs
    policy = auth.LoginPolicy(max_failures=system.settings.login_max_failures, lockout_seconds=60,
                              first_delay_seconds=30)
    for _ in range(system.settings.login_max_failures):
        assert isinstance(_login(system, "wrong password!", policy).error, Unauthenticated)
    outcome = _login(system, "correct horse battery", policy)
    assert outcome.member is None and isinstance(outcome.error, Unauthenticated)
    assert outcome.error.detail == auth.SIGN_IN_REFUSED  # the words a wrong password gets


def test_unknown_email_fails_like_a_wrong_password(system):
    with system.db.transaction() as s:
        outcome = auth.authenticate(s, "nobody@example.org", "whatever", system.login_policy)
    assert isinstance(outcome.error, Unauthenticated) and "e-mail or password" in outcome.error.detail


def test_tokens_are_hashed_and_revocable(system):
    mid = _member(system)
    with system.db.transaction() as s:
        actor = members.actor_for(s.get(Member, mid))
        secret, token = auth.create_token(s, actor, "ci")
        tid = token.id
    with system.db.reader() as s:
        row = s.get(ApiToken, tid)
        assert secret not in (row.token_hash, row.prefix) and len(row.token_hash) == 64
    with system.db.reader() as s:
        assert auth.token_actor(s, secret).actor.member_id == mid
    with system.db.transaction() as s:
        auth.revoke_token(s, actor, tid)
    with system.db.reader() as s, pytest.raises(Unauthenticated, match="revoked"):
        auth.token_actor(s, secret)


def test_sessions_end(system):
    mid = _member(system)
    with system.db.transaction() as s:
        secret, _ = auth.start_session(s, s.get(Member, mid))
    with system.db.reader() as s:
        assert auth.session_member(s, secret)[0].id == mid
    with system.db.transaction() as s:
        auth.end_session(s, secret)
    with system.db.reader() as s, pytest.raises(Unauthenticated):
        auth.session_member(s, secret)


def test_token_use_is_recorded_at_most_once_a_minute(system):
    mid = _member(system)
    with system.db.transaction() as s:
        secret, token = auth.create_token(s, members.actor_for(s.get(Member, mid)), "ci")
        tid = token.id
    with system.db.reader() as s:
        use = auth.token_actor(s, secret)
        assert use.actor.member_id == mid and auth.token_use_is_stale(use)  # never used yet
    with system.db.transaction() as s:
        auth.touch_token(s, tid)
    with system.db.reader() as s:
        first = s.get(ApiToken, tid).last_used_at
        assert first is not None and not auth.token_use_is_stale(s.get(ApiToken, tid))
    with system.db.transaction() as s:
        auth.touch_token(s, tid)  # within the minute: unchanged
    with system.db.transaction() as s:
        assert s.get(ApiToken, tid).last_used_at == first
        s.get(ApiToken, tid).last_used_at = first - auth.TOKEN_TOUCH_EVERY
    with system.db.transaction() as s:
        auth.touch_token(s, tid)
    with system.db.reader() as s:
        assert s.get(ApiToken, tid).last_used_at > first - auth.TOKEN_TOUCH_EVERY
