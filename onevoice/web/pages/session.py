"""Sign in, sign out and the home page."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from onevoice.errors import OnevoiceError
from onevoice.governance import auth
from onevoice.system import System

from ..deps import SESSION_COOKIE, Caller, get_system, optional_caller
from .render import page

router = APIRouter()


@router.get("/")
def home(request: Request, who: Caller | None = Depends(optional_caller)):
    if who is None:
        return RedirectResponse("/login", status_code=303)
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
    return page(request, "home.html", who=who, counts={"mine": mine, "review": review, "incidents": open_incidents})


@router.get("/login")
def login_form(request: Request, next: str = "/"):
    return page(request, "login.html", error=None, email="", next=_safe_next(next))


def _safe_next(target: str | None) -> str:
    """Only local paths: a sign-in link must not send people to another site."""
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


@router.post("/login")
def login(request: Request, email: str = Form(..., max_length=320), password: str = Form(..., max_length=1000),
          next: str = Form("/", max_length=500), system: System = Depends(get_system)):
    if not request.app.state.login_limiter.allow(request.client.host if request.client else "?"):
        return page(request, "login.html", status=429, error="Too many sign-in attempts; wait a minute.", email=email)
    with system.db.transaction() as s:
        outcome = auth.authenticate(s, email, password, system.login_policy)
        if outcome.member is not None:
            secret, _ = auth.start_session(s, outcome.member, system.settings.session_hours)
    if outcome.error is not None:
        status = getattr(outcome.error, "status", 401)
        message = outcome.error.detail if isinstance(outcome.error, OnevoiceError) else "Sign-in failed."
        return page(request, "login.html", status=status, error=message, email=email)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, secret, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", max_age=system.settings.session_hours * 3600)
    return response


@router.post("/logout")
def logout(request: Request, who: Caller | None = Depends(optional_caller), system: System = Depends(get_system)):
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie and who is not None:
        with system.db.transaction() as s:
            auth.end_session(s, cookie)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
