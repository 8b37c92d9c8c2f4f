"""Administration pages: members and roles, channels, the policy pack, the audit log."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select

from onevoice import audit as audit_log
from onevoice.governance import channels as channel_service, members as member_service
from onevoice.governance.permissions import ROLE_TITLES, Action, Role, require
from onevoice.policy import versions as policy_versions
from onevoice.store.models import AuditEvent
from onevoice.system import System

from ..deps import Caller, get_system
from .forms import attempt, redirect
from .guard import member
from .render import page

router = APIRouter(prefix="/admin")


def _members_page(request, who, system, **extra):
    with system.db.reader() as s:
        rows = [member_service.member_state(m) for m in member_service.list_members(s, who.actor)]
        chans = channel_service.list_channels(s, who.actor)
    return page(request, "admin/members.html", who=who, members=rows, channels=chans,
                roles=[r for r in Role if r is not Role.MEMBER], titles=ROLE_TITLES, **extra)


@router.get("/members")
def members(request: Request, who: Caller = Depends(member), system: System = Depends(get_system)):
    return _members_page(request, who, system, flash=request.query_params.get("flash"))


@router.post("/members/{action}")
async def members_act(request: Request, action: str, who: Caller = Depends(member), system: System = Depends(get_system)):
    form = await request.form()
    channel_ref = str(form.get("channel") or "") or None

    def go():
        with system.db.transaction() as s:
            ch = channel_service.get_channel(s, channel_ref) if channel_ref else None
            if action == "add":
                _, one_time = member_service.add_member(s, who.actor, str(form.get("email") or ""),
                                                        str(form.get("name") or ""))
                return f"Member added. One-time password (shown once): {one_time}"
            if action == "grant":
                member_service.grant_role(s, who.actor, str(form.get("member") or ""), str(form.get("role") or ""), ch)
                return "Role granted."
            if action == "revoke":
                member_service.revoke_role(s, who.actor, str(form.get("member") or ""), str(form.get("role") or ""), ch)
                return "Role revoked."
            return "Unknown action."

    done, error = attempt(go)
    if error:
        return _members_page(request, who, system, error=error)
    return _members_page(request, who, system, flash=done)


def _policy_page(request, who, system, source=None, **extra):
    require(who.actor, Action.POLICY_VIEW)
    with system.db.reader() as s:
        rows = policy_versions.versions(s)
        active = next((r for r in rows if r.active), None)
    pack = system.policy
    return page(request, "admin/policy.html", who=who, pack=pack, versions=rows,
                source=source if source is not None else (active.source if active else ""), **extra)


@router.get("/policy")
def policy(request: Request, who: Caller = Depends(member), system: System = Depends(get_system)):
    return _policy_page(request, who, system, flash=request.query_params.get("flash"))


@router.post("/policy")
async def policy_save(request: Request, who: Caller = Depends(member), system: System = Depends(get_system)):
    form = await request.form()
    source = str(form.get("source") or "")

    def go():
        with system.db.transaction() as s:
            return policy_versions.save_version(s, who.actor, source).id

    _, error = attempt(go)
    if error:
        return _policy_page(request, who, system, source=source, error=error)
    system.reload_policy()
    return redirect("/admin/policy", "Saved as the new active version.")


@router.post("/policy/{version_id}/activate")
def policy_activate(version_id: int, who: Caller = Depends(member), system: System = Depends(get_system)):
    with system.db.transaction() as s:
        policy_versions.activate(s, who.actor, version_id)
    system.reload_policy()
    return redirect("/admin/policy", f"Version {version_id} is active.")


@router.get("/audit")
def audit(request: Request, verify: str = "", who: Caller = Depends(member), system: System = Depends(get_system)):
    require(who.actor, Action.AUDIT_VIEW)
    with system.db.reader() as s:
        events = list(s.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(200)))
        result = audit_log.verify(s) if verify else None
    return page(request, "admin/audit.html", who=who, events=events, result=result)
