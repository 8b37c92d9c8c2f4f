"""Drafts for the members and the committee: write with live screening, submit, review."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from onevoice.governance.channels import list_channels
from onevoice.governance.permissions import Action, allowed
from onevoice.publishing import workflow
from onevoice.store.models import AuditEvent, Channel, Draft, Member
from onevoice.system import System

from ..deps import Caller, get_system
from .forms import attempt, redirect
from .guard import member
from .render import page

router = APIRouter()


def _attachments(form) -> list[dict]:
    out = []
    for i in range(1, 5):
        url, alt, credit = (form.get(f"image{i}_url") or "").strip(), form.get(f"image{i}_alt") or "", form.get(f"image{i}_credit") or ""
        if url:
            out.append({"type": "image", "url": url, "alt": alt.strip(), "credit": credit.strip() or None})
    return out


@router.get("/drafts")
def drafts(request: Request, state: str | None = None, who: Caller = Depends(member),
           system: System = Depends(get_system)):
    with system.db.reader() as s:
        rows = workflow.list_drafts(s, who.actor, state or None)
        channels = {c.id: c for c in s.scalars(select(Channel))}
    return page(request, "drafts/list.html", who=who, drafts=rows, channels=channels, state=state,
                flash=request.query_params.get("flash"))


@router.get("/review")
def review_queue(request: Request, who: Caller = Depends(member), system: System = Depends(get_system)):
    with system.db.reader() as s:
        rows = [d for d in workflow.list_drafts(s, who.actor, "in_review")] if allowed(who.actor, Action.DRAFT_REVIEW) else []
        channels = {c.id: c for c in s.scalars(select(Channel))}
    return page(request, "drafts/list.html", who=who, drafts=rows, channels=channels, state="in_review",
                heading="Review queue", flash=request.query_params.get("flash"))


@router.get("/drafts/new")
def new_form(request: Request, who: Caller = Depends(member), system: System = Depends(get_system)):
    with system.db.reader() as s:
        channels = list_channels(s, who.actor)
    return page(request, "drafts/new.html", who=who, channels=channels, text="", attachments=[])


@router.post("/drafts/new")
async def create(request: Request, who: Caller = Depends(member), system: System = Depends(get_system)):
    form = await request.form()
    text, channel = str(form.get("text") or ""), str(form.get("channel") or "")
    attachments = _attachments(form)

    def go():
        with system.db.transaction() as s:
            d = workflow.create_draft(s, who.actor, channel, text, attachments=attachments)
            if form.get("action") == "submit":
                workflow.submit(s, who.actor, d.id, system.screening)
            return d.id

    draft_id, error = await run_in_threadpool(attempt, go)  # submitting screens: off the event loop
    if error:
        with system.db.reader() as s:
            channels = list_channels(s, who.actor)
        return page(request, "drafts/new.html", status=422, who=who, channels=channels, text=text,
                    attachments=attachments, error=error, channel_id=channel)
    return redirect(f"/drafts/{draft_id}", "Submitted to the committee." if form.get("action") == "submit" else "Draft saved.")


def _detail(system: System, who: Caller, draft_id: int) -> dict:
    with system.db.reader() as s:
        d = workflow.view_draft(s, who.actor, draft_id)
        view = workflow.draft_view(d)
        channel = s.get(Channel, d.channel_id)
        names = {m.id: m.name for m in s.scalars(select(Member))}
        history = list(s.scalars(select(AuditEvent).where(AuditEvent.object_type == "draft",
                                                          AuditEvent.object_id == str(draft_id)).order_by(AuditEvent.seq)))
    a = who.actor
    mine = view["author_id"] == a.member_id
    return {"d": view, "channel": channel, "names": names, "history": history, "mine": mine,
            "can_review": allowed(a, Action.DRAFT_REVIEW) and not mine and view["state"] == "in_review",
            "can_override": allowed(a, Action.DRAFT_OVERRIDE_BLOCK) and view["state"] == "in_review"
                            and view["screening"]["decision"] == "block" and not view["override"],
            "can_edit": mine and view["state"] in workflow.EDITABLE,
            "can_submit": mine and view["state"] in ("draft", "changes_requested", "failed"),
            "can_schedule": view["state"] == "approved" and (mine or allowed(a, Action.DRAFT_REVIEW)),
            "can_retract": view["state"] == "published" and (mine or allowed(a, Action.DRAFT_RETRACT))}


@router.get("/drafts/{draft_id}")
def show(request: Request, draft_id: int, who: Caller = Depends(member), system: System = Depends(get_system)):
    return page(request, "drafts/show.html", who=who, flash=request.query_params.get("flash"),
                **_detail(system, who, draft_id))


@router.post("/drafts/{draft_id}/{action}")
async def act(request: Request, draft_id: int, action: str, who: Caller = Depends(member),
              system: System = Depends(get_system)):
    form = await request.form()
    comment = str(form.get("comment") or "")
    actions = {
        "submit": (lambda s: workflow.submit(s, who.actor, draft_id, system.screening), "Submitted to the committee."),
        "edit": (lambda s: workflow.edit(s, who.actor, draft_id, system.screening, text=str(form.get("text") or ""),
                                         attachments=_attachments(form) if form.get("image1_url") is not None else None),
                 "Saved. Approvals, if any, were reset."),
        "approve": (lambda s: workflow.review(s, who.actor, draft_id, "approve", comment), "Approval recorded."),
        "request_changes": (lambda s: workflow.review(s, who.actor, draft_id, "request_changes", comment),
                            "Changes requested."),
        "reject": (lambda s: workflow.review(s, who.actor, draft_id, "reject", comment), "Rejected."),
        "override": (lambda s: workflow.override_block(s, who.actor, draft_id, str(form.get("reason") or "")),
                     "Block findings overridden for this revision."),
        "schedule": (lambda s: workflow.schedule(s, who.actor, draft_id, workflow.parse_when(
            form.get("at") or None, str(form.get("timezone") or "UTC"))), "Scheduled."),
        "retract": (lambda s: workflow.retract(s, who.actor, draft_id, str(form.get("reason") or "")),
                    "Retraction queued."),
    }
    if action not in actions:
        return redirect(f"/drafts/{draft_id}", "Unknown action.")
    fn, done = actions[action]

    def go():
        with system.db.transaction() as s:
            return fn(s)

    _, error = await run_in_threadpool(attempt, go)  # submit and edit screen: off the event loop
    if error:
        return page(request, "drafts/show.html", status=409 if "cannot" in error else 422, who=who, error=error,
                    **_detail(system, who, draft_id))
    return redirect(f"/drafts/{draft_id}", done)
