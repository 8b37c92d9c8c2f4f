"""Administration pages: members and roles, channels, the policy pack, the audit log, sign-in security
(whether two-factor sign-in is required)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from sqlalchemy import func, select

from onevoice import audit as audit_log
from onevoice.errors import InvalidInput
from onevoice.governance import channels as channel_service, links, members as member_service, two_factor
from onevoice.governance.permissions import ROLE_TITLES, Action, Role, require
from onevoice.policy import versions as policy_versions
from onevoice.store.models import AuditEvent, Member, MemberLink
from onevoice.system import System

from ..deps import Caller, get_system
from .forms import attempt, redirect
from .guard import member
from .paging import paginate
from .render import page
from .session import mail_configured

router = APIRouter(prefix="/admin")


def _members_page(request, who, system, status: int = 200, **extra):
    require(who.actor, Action.MEMBER_LIST)
    with system.db.reader() as s:
        paged = paginate(s, select(Member).order_by(Member.active.desc(), Member.name, Member.id), request)
        chans = channel_service.list_channels(s, who.actor)
        by_id = {c.id: c for c in chans}
        ids = [m.id for m in paged.items]
        invited = dict(s.execute(select(MemberLink.member_id, func.max(MemberLink.created_at))
                                 .where(MemberLink.member_id.in_(ids), MemberLink.purpose == links.INVITE)
                                 .group_by(MemberLink.member_id)).all()) if ids else {}
        rows = [{"id": m.id, "name": m.name, "email": m.email, "active": m.active, "pending": links.pending(m),
                 "invited_at": invited.get(m.id), "roles": member_service.role_words(m, by_id),
                 "me": m.id == who.actor.member_id} for m in paged.items]
        choices = s.execute(select(Member.id, Member.name, Member.email).where(Member.active.is_(True))
                            .order_by(Member.name, Member.id)).all()
    return page(request, "admin/members.html", status=status, who=who, members=rows, paged=paged, channels=chans,
                choices=choices, channel_words=member_service.channel_words, mail=mail_configured(system),
                roles=[r for r in Role if r is not Role.MEMBER], titles=ROLE_TITLES, **extra)


@router.get("/members")
def members(request: Request, who: Caller = Depends(member), system: System = Depends(get_system)):
    return _members_page(request, who, system, flash=request.query_params.get("flash"))


def _field(form, name: str, limit: int = 320) -> str:
    return str(form.get(name) or "")[:limit]


@router.post("/members/{action}")
async def members_act(request: Request, action: str, who: Caller = Depends(member), system: System = Depends(get_system)):
    form = await request.form()
    channel_ref = _field(form, "channel", 20) or None
    role = _field(form, "role", 40)
    mail = mail_configured(system)

    def go():
        with system.db.transaction() as s:
            ch = channel_service.get_channel(s, channel_ref) if channel_ref else None
            if action == "invite":
                if not mail:
                    raise InvalidInput("onevoice cannot send e-mail (no mail server is configured): "
                                       "add the member with a one-time password instead")
                m = links.invite(s, who.actor, _field(form, "email"), _field(form, "name", 200),
                                 system.settings.base_url, role or None, ch if role else None)
                return f"Invitation e-mailed to {m.name} ({m.email}); the link works once, for 7 days."
            if action == "add":
                if mail:
                    raise InvalidInput("e-mail is configured: invite the member, so that only they know "
                                       "their password")
                m, one_time = member_service.add_member(s, who.actor, _field(form, "email"), _field(form, "name", 200))
                return f"{m.name} added. Their one-time password (shown once, give it to them in person): {one_time}"
            chans = {c.id: c for c in channel_service.list_channels(s, who.actor)}
            if action == "grant":
                m = member_service.grant_role(s, who.actor, _field(form, "member", 20), role, ch)
                return f"{m.name} now holds: {', '.join(member_service.role_words(m, chans))}."
            if action == "revoke":
                m = member_service.revoke_role(s, who.actor, _field(form, "member", 20), role, ch)
                words = member_service.role_words(m, chans)
                return f"Role revoked; {m.name} now holds: {', '.join(words) or 'member only'}."
            raise InvalidInput("unknown action")

    done, error = attempt(go)
    if error:
        return _members_page(request, who, system, status=422, error=error)
    if action == "add":  # the one-time password is shown on this page, never put in a URL
        return _members_page(request, who, system, flash=done)
    return redirect("/admin/members", done)


# Actions on one member that take a second step: what each does, in words, on the confirmation page.
CONFIRM = {
    "deactivate": ("Deactivate {name}?",
                   "{name} can no longer sign in, and every session and API token of theirs stops at once. "
                   "Their drafts and reviews stay on record. You can reactivate them later.", "Deactivate"),
    "reactivate": ("Reactivate {name}?",
                   "{name} gets their account back with the roles they held, and can sign in again.", "Reactivate"),
    "reset": ("Reset the password of {name}?", "", "Reset password"),
}


def _one_member(system, who, member_id: int):
    require(who.actor, Action.MEMBER_LIST)
    with system.db.reader() as s:
        m = member_service.get_member(s, member_id)
        return {"id": m.id, "name": m.name, "email": m.email, "active": m.active, "pending": links.pending(m)}


@router.get("/members/{member_id}/confirm")
def members_confirm(request: Request, member_id: int, action: str = "", who: Caller = Depends(member),
                    system: System = Depends(get_system)):
    if action not in CONFIRM:
        return _members_page(request, who, system, status=404, error="There is no such action on a member.")
    m = _one_member(system, who, member_id)
    title, text, button = CONFIRM[action]
    if action == "reset":
        text = ("We e-mail {name} a link to choose a new password (it works once, within one hour). Their "
                "password and sign-ins stay as they are until they use it." if mail_configured(system) else
                "{name} gets a new one-time password, shown to you once: give it to them in person. Their "
                "current password stops working and every session and API token of theirs ends now. "
                "(onevoice cannot send e-mail: no mail server is configured.)")
    return page(request, "admin/member_confirm.html", who=who, m=m, action=action,
                title=title.format(name=m["name"]), text=text.format(name=m["name"]), button=button)


@router.post("/members/{member_id}/{action}")
def members_one(request: Request, member_id: int, action: str, who: Caller = Depends(member),
                system: System = Depends(get_system)):
    mail = mail_configured(system)

    def go():
        with system.db.transaction() as s:
            if action == "deactivate":
                m = member_service.deactivate_member(s, who.actor, member_id)
                return f"{m.name} is deactivated; their sessions and API tokens have ended."
            if action == "reactivate":
                m = member_service.reactivate_member(s, who.actor, member_id)
                return f"{m.name} is active again."
            if action == "resend":
                if not mail:
                    raise InvalidInput("onevoice cannot send e-mail (no mail server is configured)")
                m = links.resend_invitation(s, who.actor, member_id, system.settings.base_url)
                return f"A new invitation is on its way to {m.email}; the earlier link no longer works."
            if action == "reset" and mail:
                m = links.send_reset(s, who.actor, member_id, system.settings.base_url)
                return f"A link to choose a new password is on its way to {m.email} (it works for one hour)."
            if action == "reset":
                m, one_time = member_service.reset_password(s, who.actor, member_id)
                return (f"New one-time password of {m.name} (shown once, give it to them in person): {one_time}. "
                        "Their sessions and API tokens have ended.")
            raise InvalidInput("unknown action")

    done, error = attempt(go)
    if error:
        return _members_page(request, who, system, status=422, error=error)
    if action == "reset" and not mail:  # the one-time password is shown on this page, never put in a URL
        return _members_page(request, who, system, flash=done)
    return redirect("/admin/members", done)


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


def _security_page(request, who, system, status: int = 200, **extra):
    require(who.actor, Action.TWO_FACTOR_REQUIRE)
    with system.db.reader() as s:
        required = two_factor.is_required(s)
        not_enrolled = sum(1 for m in s.scalars(select(Member).where(Member.active.is_(True),
                                                                      Member.totp_enabled_at.is_(None)))
                           if two_factor.role_requires(m))
        on_self = two_factor.enabled(member_service.get_member(s, who.actor.member_id))
    return page(request, "admin/security.html", status=status, who=who, required=required,
                not_enrolled=not_enrolled, on_self=on_self, **extra)


@router.get("/security")
def security(request: Request, who: Caller = Depends(member), system: System = Depends(get_system)):
    return _security_page(request, who, system, flash=request.query_params.get("flash"))


@router.post("/security")
async def security_save(request: Request, who: Caller = Depends(member), system: System = Depends(get_system)):
    wanted = (await request.form()).get("required") == "1"

    def save():
        with system.db.transaction() as s:
            return two_factor.set_required(s, who.actor, wanted)

    required, error = attempt(save)
    if error:
        return _security_page(request, who, system, status=403, error=error)
    return redirect("/admin/security", "Two-factor sign-in is now required for the committee, chair and "
                                       "administrators." if required else "Two-factor sign-in is no longer required.")
