"""Policy acknowledgement and authorizations that end (1.): a member reads the active policy in
full and confirms it; the committee sees who has and who has not, and the authorizations ending
within 30 days, which an administrator renews with a new end date."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from onevoice.governance import authorizations, channels as channel_service
from onevoice.governance.permissions import Action, allowed, require
from onevoice.policy import acknowledgements, versions
from onevoice.publishing import workflow
from onevoice.system import System

from ..deps import Caller, get_system
from .forms import attempt, redirect
from .guard import member
from .render import page

router = APIRouter()


def _acknowledge_page(request: Request, who: Caller, system: System, status: int = 200, error: str | None = None):
    with system.db.reader() as s:
        row = versions.active_version(s)
        at = acknowledgements.acknowledged_at(s, who.actor.member_id, row.id) if row and who.actor.member_id else None
        pack = acknowledgements.clauses_of(row) if row else None
    return page(request, "policy_acknowledge.html", status=status, who=who, row=row, pack=pack, at=at, error=error,
                confirmation=acknowledgements.CONFIRMATION, flash=request.query_params.get("flash"))


@router.get("/policy/acknowledge")
def acknowledge_form(request: Request, who: Caller = Depends(member), system: System = Depends(get_system)):
    return _acknowledge_page(request, who, system)


@router.post("/policy/acknowledge")
async def acknowledge(request: Request, who: Caller = Depends(member), system: System = Depends(get_system)):
    form = await request.form()
    version = str(form.get("version") or "")

    def go():
        with system.db.transaction() as s:
            acknowledgements.acknowledge(s, who.actor, int(version) if version.isdigit() else 0,
                                         form.get("confirm") == "yes")

    _, error = attempt(go)
    if error:
        return _acknowledge_page(request, who, system, status=422, error=error[:1].upper() + error[1:] + ".")
    return redirect("/drafts/new", "Thank you: you acknowledged the policy and may submit drafts and replies.")


@router.get("/committee/acknowledgements")
def acknowledgement_list(request: Request, who: Caller = Depends(member), system: System = Depends(get_system)):
    with system.db.reader() as s:
        row, people = acknowledgements.standings(s, who.actor)
    return page(request, "committee_acknowledgements.html", who=who, row=row, people=people,
                missing=sum(p.acknowledged_at is None for p in people))


def _authorizations_page(request: Request, who: Caller, system: System, status: int = 200, error: str | None = None):
    with system.db.reader() as s:
        rows = authorizations.expiring(s, who.actor)
        renewers = authorizations.renewers(s)
    return page(request, "committee_authorizations.html", status=status, who=who, rows=rows, error=error,
                days=authorizations.EXPIRING_DAYS, renewers=renewers,
                can_renew=allowed(who.actor, Action.AUTHORIZATION_RENEW), flash=request.query_params.get("flash"))


@router.get("/committee/authorizations")
def authorization_list(request: Request, who: Caller = Depends(member), system: System = Depends(get_system)):
    return _authorizations_page(request, who, system)


@router.post("/committee/authorizations/renew")
async def renew(request: Request, who: Caller = Depends(member), system: System = Depends(get_system)):
    form = await request.form()
    require(who.actor, Action.AUTHORIZATION_RENEW)

    def go():
        with system.db.transaction() as s:
            channel = channel_service.get_channel(s, str(form.get("channel") or "")[:20])
            ends = workflow.parse_when(str(form.get("ends") or "")[:40] or None, who.timezone or "UTC")
            if ends is None:
                from onevoice.errors import InvalidInput

                raise InvalidInput("give the new end date, e.g. 2027-12-31")
            authorizations.renew(s, who.actor, str(form.get("member") or "")[:20], channel, ends)

    _, error = attempt(go)
    if error:
        return _authorizations_page(request, who, system, status=422, error=error[:1].upper() + error[1:] + ".")
    return redirect("/committee/authorizations", "Renewed: the authorization has its new end date.")
