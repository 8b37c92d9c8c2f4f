"""Single sign-on pages: "Sign in with <provider>" sends the browser to the provider, and the
callback signs the member in (governance/sso.py holds the rules; this adapter moves cookies)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from onevoice.governance import sso
from onevoice.system import System

from ..deps import SESSION_COOKIE, get_system
from ..security import cookie_name, delete_cookie, set_cookie
from .render import page
from .session import LOGIN_COOKIE, safe_next, too_many

router = APIRouter()

SSO_COOKIE = "onevoice_sso"


def client(request: Request) -> sso.OidcClient | None:
    return request.app.state.oidc


def _refused(request: Request, system: System, detail: str, status: int = 401):
    response = page(request, "sso_refused.html", status=status, detail=detail)
    delete_cookie(response, request, system.settings, SSO_COOKIE)
    return response


@router.get("/login/sso")
def start(request: Request, next: str = "/", system: System = Depends(get_system)):
    oidc = client(request)
    if oidc is None:
        return _refused(request, system, "Single sign-on is not set up on this onevoice.", status=404)
    if too_many(request):
        return _refused(request, system, "Too many sign-in attempts; wait a minute.", status=429)
    try:
        url, pending = oidc.begin(safe_next(next[:500]))
    except sso.SsoRefused as refusal:
        return _refused(request, system, refusal.detail, status=502)
    response = RedirectResponse(url, status_code=303)
    set_cookie(response, request, system.settings, SSO_COOKIE, pending.sealed(system.box), sso.PENDING_SECONDS)
    return response


@router.get("/login/sso/callback")
def callback(request: Request, state: str = "", code: str = "", error: str = "", error_description: str = "",
             system: System = Depends(get_system)):
    oidc = client(request)
    if oidc is None:
        return _refused(request, system, "Single sign-on is not set up on this onevoice.", status=404)
    if too_many(request):
        return _refused(request, system, "Too many sign-in attempts; wait a minute.", status=429)
    pending = sso.Pending.opened(system.box, request.cookies.get(cookie_name(system.settings, SSO_COOKIE)))
    try:
        _, secret = sso.sign_in(system.db, oidc, pending, state[:200], code[:2000], error[:100],
                                error_description[:300], system.settings.session_hours)
    except sso.SsoRefused as refusal:
        return _refused(request, system, refusal.detail)
    response = RedirectResponse(safe_next(pending.next), status_code=303)
    set_cookie(response, request, system.settings, SESSION_COOKIE, secret, system.settings.session_hours * 3600)
    delete_cookie(response, request, system.settings, SSO_COOKIE)
    delete_cookie(response, request, system.settings, LOGIN_COOKIE)
    return response
