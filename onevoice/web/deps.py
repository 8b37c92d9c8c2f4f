"""Who is asking: an API token (Authorization: Bearer ov_...) or a signed-in web session.

Unsafe requests made with a session cookie must carry the session's CSRF token (form field
`csrf_token` or header `X-CSRF-Token`); requests with a bearer token need none, since a browser
never adds that header by itself.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, replace

from fastapi import Depends, Request

from onevoice.errors import ExpiredForm, PasswordChangeRequired, TwoFactorRequired, Unauthenticated
from onevoice.governance import auth, two_factor
from onevoice.governance.members import actor_for
from onevoice.governance.permissions import Actor
from onevoice.system import System

from .security import cookie_name

SESSION_COOKIE = "onevoice_session"
SAFE = {"GET", "HEAD", "OPTIONS"}


async def get_system(request: Request) -> System:
    # async: FastAPI would run a plain function in the thread pool, a hand-off on every request
    return request.app.state.system


@dataclass(frozen=True)
class Caller:
    actor: Actor
    name: str
    csrf_token: str | None  # set for session callers
    must_change_password: bool = False
    session_id: int | None = None  # the sign-in this request came with (a password change keeps it)
    token_id: int | None = None
    timezone: str | None = None  # the member's chosen IANA zone; pages show dates in it
    must_enrol_two_factor: bool = False  # a session whose role requires two-factor sign-in, not set up yet


async def _csrf_from(request: Request) -> str | None:
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    if request.headers.get("content-type", "").startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get("csrf_token")
        return value if isinstance(value, str) else None
    return None


async def optional_caller(request: Request, system: System = Depends(get_system)) -> Caller | None:
    # The look-ups run on the event loop: one indexed read, cheaper than a hand-off to a worker
    # thread (bench/load.py on SQLite: 424 against 276 screen requests/s in one run).
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret:
            raise Unauthenticated("use 'Authorization: Bearer <token>'")
        return _token_caller(system, secret.strip())
    cookie = request.cookies.get(cookie_name(system.settings, SESSION_COOKIE))
    if not cookie:
        return None
    caller = _session_caller(system, cookie)
    if caller is not None and request.method not in SAFE:
        sent = await _csrf_from(request)
        # as bytes: compare_digest raises on a str with non-ASCII characters, which anyone can send
        if not sent or not secrets.compare_digest(sent.encode(), caller.csrf_token.encode()):
            raise ExpiredForm("missing or wrong CSRF token; reload the page and try again")
    return caller


def _token_caller(system: System, secret: str) -> Caller:
    with system.db.connect() as conn:
        use = auth.token_actor(conn, secret)
    if auth.token_use_is_stale(use):
        with system.db.transaction() as s:
            auth.touch_token(s, use.token_id)
    return Caller(use.actor, use.name, None, use.must_change_password, token_id=use.token_id)


def _session_caller(system: System, cookie: str) -> Caller | None:
    with system.db.reader() as s:
        try:
            member, web = auth.session_member(s, cookie)
        except Unauthenticated:
            return None
        enrol = two_factor.must_enrol(s, member)
        actor = actor_for(member, signed_in=True)
        return Caller(replace(actor, must_enrol_two_factor=enrol) if enrol else actor, member.name, web.csrf_token,
                      member.must_change_password, session_id=web.id, timezone=member.timezone,
                      must_enrol_two_factor=enrol)


def page_caller(request: Request) -> Caller | None:
    """The member a page is for, from the session cookie alone: an error page shows them their
    navigation (no CSRF check: it changes nothing)."""
    system = request.app.state.system
    cookie = request.cookies.get(cookie_name(system.settings, SESSION_COOKIE))
    return _session_caller(system, cookie) if cookie else None


async def signed_in(c: Caller | None = Depends(optional_caller)) -> Caller:
    """Any signed-in caller, even one still holding a one-time password: only for changing it and
    signing out. Every other route uses `caller`."""
    if c is None:
        raise Unauthenticated("sign in, or send an API token")
    return c


async def caller(c: Caller = Depends(signed_in)) -> Caller:
    if c.must_change_password:
        raise PasswordChangeRequired()
    if c.must_enrol_two_factor:
        raise TwoFactorRequired()
    return c
