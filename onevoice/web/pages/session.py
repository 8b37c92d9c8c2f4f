"""Sign in, sign out and the home page.

The sign-in form has its own CSRF token, since there is no session yet to hold one: a random
token in a signed, SameSite cookie and the same token in the form (double submit). Another site
can neither read the token nor make the browser send the cookie with its POST, so it cannot sign
a visitor in to an account of its choosing.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from onevoice.config import Settings
from onevoice.errors import OnevoiceError
from onevoice.governance import auth, members
from onevoice.system import System

from ..deps import SESSION_COOKIE, Caller, get_system, optional_caller
from ..security import cookie_name, delete_cookie, set_cookie
from .forms import attempt, redirect
from .guard import member
from .render import page

router = APIRouter()

LOGIN_COOKIE = "onevoice_login"
LOGIN_FORM_SECONDS = 2 * 3600


@router.get("/")
def home(request: Request, who: Caller | None = Depends(optional_caller)):
    if who is None:
        return RedirectResponse("/login", status_code=303)
    if who.must_change_password:
        return RedirectResponse("/password", status_code=303)
    from sqlalchemy import func, select

    from onevoice.governance.permissions import Action, allowed
    from onevoice.store.models import Draft, Incident

    system = request.app.state.system
    with system.db.reader() as s:
        mine = s.scalar(select(func.count(Draft.id)).where(Draft.author_id == who.actor.member_id,
                                                           Draft.state.not_in(("published", "rejected", "retracted"))))
        review = (s.scalar(select(func.count(Draft.id)).where(Draft.state == "in_review"))
                  if allowed(who.actor, Action.DRAFT_REVIEW) else None)
        open_incidents = (s.scalar(select(func.count(Incident.id)).where(Incident.state != "resolved"))
                          if allowed(who.actor, Action.INCIDENT_MANAGE) else None)
    return page(request, "home.html", who=who, flash=request.query_params.get("flash"),
                counts={"mine": mine, "review": review, "incidents": open_incidents})


def _signature(settings: Settings, token: str) -> str:
    return hmac.new(settings.secret_key.encode(), f"login-form:{token}".encode(), hashlib.sha256).hexdigest()


def _form_token(request: Request, settings: Settings) -> str | None:
    """The token in this browser's sign-in cookie, if onevoice signed it."""
    token, _, signature = request.cookies.get(cookie_name(settings, LOGIN_COOKIE), "").partition(".")
    # compared as bytes: compare_digest refuses str with non-ASCII characters, which anyone can send
    return token if token and hmac.compare_digest(signature.encode(), _signature(settings, token).encode()) else None


def _login_page(request: Request, system: System, status: int = 200, error: str | None = None, email: str = "",
                next: str = "/"):
    settings = system.settings
    token = _form_token(request, settings) or secrets.token_urlsafe(24)  # kept: several tabs stay valid
    response = page(request, "login.html", status=status, error=error, email=email, next=_safe_next(next),
                    csrf_token=token)
    set_cookie(response, request, settings, LOGIN_COOKIE, f"{token}.{_signature(settings, token)}", LOGIN_FORM_SECONDS)
    return response


@router.get("/login")
def login_form(request: Request, next: str = "/", system: System = Depends(get_system)):
    return _login_page(request, system, next=next)


def _safe_next(target: str | None) -> str:
    """Only local paths: a sign-in link must not send people to another site."""
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


@router.post("/login")
def login(request: Request, email: str = Form(..., max_length=320), password: str = Form(..., max_length=1000),
          next: str = Form("/", max_length=500), csrf_token: str = Form("", max_length=100),
          system: System = Depends(get_system)):
    expected = _form_token(request, system.settings)
    if expected is None or not secrets.compare_digest(csrf_token.encode(), expected.encode()):
        return _login_page(request, system, status=403, email=email, next=next,
                           error="This sign-in form has expired; please sign in again.")
    # request.client is the real client behind a trusted proxy (security.ForwardedFrom)
    if not request.app.state.login_limiter.allow(request.client.host if request.client else "?"):
        return _login_page(request, system, status=429, error="Too many sign-in attempts; wait a minute.",
                           email=email, next=next)
    with system.db.transaction() as s:
        outcome = auth.authenticate(s, email, password, system.login_policy)
        if outcome.member is not None:
            secret, _ = auth.start_session(s, outcome.member, system.settings.session_hours)
    if outcome.error is not None:
        status = getattr(outcome.error, "status", 401)
        message = outcome.error.detail if isinstance(outcome.error, OnevoiceError) else "Sign-in failed."
        return _login_page(request, system, status=status, error=message, email=email, next=next)
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_cookie(response, request, system.settings, SESSION_COOKIE, secret, system.settings.session_hours * 3600)
    delete_cookie(response, request, system.settings, LOGIN_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, who: Caller | None = Depends(optional_caller), system: System = Depends(get_system)):
    cookie = request.cookies.get(cookie_name(system.settings, SESSION_COOKIE))
    if cookie and who is not None:
        with system.db.transaction() as s:
            auth.end_session(s, cookie)
    response = RedirectResponse("/login", status_code=303)
    delete_cookie(response, request, system.settings, SESSION_COOKIE)
    return response


@router.get("/password")
def password_form(request: Request, who: Caller = Depends(member)):
    return page(request, "password.html", who=who, flash=request.query_params.get("flash"))


@router.post("/password")
def change_password(request: Request, current: str = Form("", max_length=1000), new: str = Form("", max_length=1000),
                    repeat: str = Form("", max_length=1000), who: Caller = Depends(member),
                    system: System = Depends(get_system)):
    if new != repeat:
        return page(request, "password.html", who=who, status=422, error="The two new passwords differ.")

    def change():
        with system.db.transaction() as s:
            members.change_password(s, who.actor, current, new, keep_session=who.session_id)

    _, error = attempt(change)
    if error:
        return page(request, "password.html", who=who, status=422, error=error)
    return redirect("/", "Your password is changed; other sign-ins were ended.")
