"""Your account's two-factor sign-in (set up, recovery codes, turn off) and API tokens (create with
scopes and an expiry, revoke)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request

from onevoice.governance import auth, members, two_factor
from onevoice.system import System

from ..deps import Caller, get_system
from .forms import attempt, redirect
from .guard import member
from .render import page
from .session import account_page

router = APIRouter()


def _two_factor_page(request: Request, who: Caller, system: System, status: int = 200, **extra):
    with system.db.reader() as s:
        me = members.get_member(s, who.actor.member_id)
        on, required = two_factor.enabled(me), two_factor.required_for(s, me)
        left = two_factor.recovery_codes_left(s, me) if on else 0
        setup = two_factor.pending(me, system.box)
    secret, uri = setup or (None, None)
    return page(request, "two_factor.html", status=status, who=who, on=on, required=required, codes_left=left,
                secret=secret, uri=uri, qr=two_factor.qr_svg_data_uri(uri) if uri else None, **extra)


@router.get("/account/two-factor")
def two_factor_page(request: Request, who: Caller = Depends(member), system: System = Depends(get_system)):
    return _two_factor_page(request, who, system, flash=request.query_params.get("flash"))


def _run(request: Request, who: Caller, system: System, change, done: str | None = None):
    """A change in one transaction; the page again with the service's words when it fails."""
    def run():
        with system.db.transaction() as s:
            return change(s)

    result, error = attempt(run)
    if error:
        return _two_factor_page(request, who, system, status=422, error=error[:1].upper() + error[1:] + ".")
    if isinstance(result, list):  # recovery codes: shown once, on this answer only
        return _two_factor_page(request, who, system, codes=result, flash=done)
    return redirect("/account/two-factor", done)


@router.post("/account/two-factor/start")
def two_factor_start(request: Request, who: Caller = Depends(member), system: System = Depends(get_system)):
    return _run(request, who, system, lambda s: two_factor.begin(s, who.actor, system.box) and None)


@router.post("/account/two-factor/confirm")
def two_factor_confirm(request: Request, code: str = Form("", max_length=40), who: Caller = Depends(member),
                       system: System = Depends(get_system)):
    return _run(request, who, system, lambda s: two_factor.confirm(s, who.actor, system.box, code),
                "Two-factor sign-in is on.")


@router.post("/account/two-factor/recovery-codes")
def two_factor_new_codes(request: Request, who: Caller = Depends(member), system: System = Depends(get_system)):
    return _run(request, who, system, lambda s: two_factor.regenerate_recovery_codes(s, who.actor),
                "New recovery codes: the old ones no longer work.")


@router.post("/account/two-factor/disable")
def two_factor_disable(request: Request, code: str = Form("", max_length=40), who: Caller = Depends(member),
                       system: System = Depends(get_system)):
    return _run(request, who, system, lambda s: two_factor.disable(s, who.actor, system.box, code) and None,
                "Two-factor sign-in is off: your password alone signs you in.")


@router.post("/account/tokens")
async def token_create(request: Request, who: Caller = Depends(member), system: System = Depends(get_system)):
    form = await request.form()
    name = str(form.get("name") or "")[:200]
    scopes = [str(v)[:20] for v in form.getlist("scope")][:10]
    days_text = str(form.get("days") or "").strip()[:10]

    def create():
        days = int(days_text) if days_text.isdigit() else (system.settings.token_days if not days_text else -1)
        with system.db.transaction() as s:
            return auth.create_token(s, who.actor, name, scopes, days)[0]

    secret, error = attempt(create)
    if error:
        return account_page(request, who, system, status=422, error=error[:1].upper() + error[1:] + ".")
    return account_page(request, who, system, new_token=secret, flash="Your token is made: copy it now.")


@router.post("/account/tokens/{token_id}/revoke")
def token_revoke(request: Request, token_id: int, who: Caller = Depends(member), system: System = Depends(get_system)):
    def revoke():
        with system.db.transaction() as s:
            auth.revoke_token(s, who.actor, token_id)

    error = attempt(revoke)[1]
    if error:
        return account_page(request, who, system, status=404, error=error[:1].upper() + error[1:] + ".")
    return redirect("/account", "The token is revoked.")
