"""Drafts for the members and the committee: write with live screening, submit, review.

The pages only ask the services (publishing.workflow) and show what they answer. Every form
works without script; screen.js adds the live counter, preview and screening, through the same
check (/drafts/check) that the Check button asks for."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from onevoice.errors import InvalidInput, OnevoiceError, PolicyNotAcknowledged, TooManyRequests
from onevoice.governance.channels import list_channels
from onevoice.governance.permissions import Action, PermissionDenied, allowed
from onevoice.policy import acknowledgements
from onevoice.publishing import limits, workflow
from onevoice.screening import check_length
from onevoice.store.models import AuditEvent, Channel, Member
from onevoice.system import System

from ..api.screening import take_screening_turn
from ..deps import Caller, get_system
from . import draft_history
from .dates import relative
from .forms import attempt, redirect
from .guard import member
from .paging import paginate
from .render import page, templates

router = APIRouter()
COMPOSER_FORM, EDIT_FORM = "draft-form", "edit-form"


def _attachments(form) -> list[dict]:
    out = []
    for i in range(1, 5):
        url, alt, credit = (form.get(f"image{i}_url") or "").strip(), form.get(f"image{i}_alt") or "", form.get(f"image{i}_credit") or ""
        if url:
            out.append({"type": "image", "url": url, "alt": alt.strip(), "credit": credit.strip() or None})
    return out


def _text(form, system: System) -> str:
    # a browser sends CRLF line breaks; the services keep "\n", so the offsets of findings match the text box
    text = str(form.get("text") or "").replace("\r\n", "\n")
    return check_length(text, system.settings.max_draft_chars)


def _sentence(words: str) -> str:
    """A service's message as a sentence on the page."""
    words = words.strip()
    return words[:1].upper() + words[1:] + ("" if words.endswith((".", "!", "?")) else ".")


def _fix_span(form) -> tuple[int, int] | None:
    start, _, end = str(form.get("fix") or "").partition(":")
    return (int(start), int(end)) if start.isdigit() and end.isdigit() else None


def _apply_fix(system: System, platform: str, text: str, kind: str, attachments: list, span) -> dict:
    """The no-script "Apply suggested fix": the finding at `span` in a fresh check of the text,
    replaced by its redaction; then the fixed text checked again."""
    found = workflow.check(system.screening, platform, text, kind=kind, attachments=attachments)
    finding = next((f for f in found["screening"]["findings"] if (f["start"], f["end"]) == span), None)
    if finding is None:
        raise InvalidInput("the text changed since it was checked: check it again, then apply the fix")
    fixed = workflow.apply_fix(found["text"], finding)
    return workflow.check(system.screening, platform, fixed, kind=kind, attachments=attachments)


# --- lists --------------------------------------------------------------------------------------

@router.get("/drafts")
def drafts(request: Request, state: str | None = None, who: Caller = Depends(member),
           system: System = Depends(get_system)):
    error = None
    with system.db.reader() as s:
        try:
            query = workflow.drafts_query(who.actor, state or None)
        except InvalidInput as exc:
            error, state, query = exc.detail, None, workflow.drafts_query(who.actor)
        paged = paginate(s, query, request)
        channels = {c.id: c for c in s.scalars(select(Channel))}
    return page(request, "drafts/list.html", who=who, drafts=paged.items, paged=paged, channels=channels,
                state=state, states=workflow.STATES, error=error, flash=request.query_params.get("flash"))


@router.get("/review")
def review_queue(request: Request, who: Caller = Depends(member), system: System = Depends(get_system)):
    with system.db.reader() as s:
        rows = workflow.review_queue(s, who.actor)
    for r in rows:
        age = relative(r["waiting_since"])
        r["age"] = "under a minute" if age == "now" else age.removesuffix(" ago")
    return page(request, "drafts/review.html", who=who, rows=rows, flash=request.query_params.get("flash"))


# --- the composer -------------------------------------------------------------------------------

def _channel_choices(system: System, who: Caller) -> list[dict]:
    with system.db.reader() as s:
        channels = list_channels(s, who.actor)
    return [{"id": c.id, "name": c.name, "platform": c.platform, "handle": c.handle, "rules": limits.LIMITS[c.platform]}
            for c in channels if c.active and c.platform in limits.LIMITS]


def _where(platform: str, text: str) -> dict:
    """What the counter and the preview say for this platform: the server's count and its rules."""
    return {"platform": platform, "measure": limits.measure(platform, text), "rules": limits.LIMITS.get(platform),
            "url_pattern": limits.URL.pattern}


def _composer(request: Request, system: System, who: Caller, *, status: int = 200, text: str = "",
              channel_id: str = "", attachments: list | None = None, checked: dict | None = None,
              error: str | None = None, notice: str | None = None, confirmed: bool = False):
    channels = _channel_choices(system, who)
    with system.db.reader() as s:
        unacknowledged = acknowledgements.needs_acknowledgement(s, who.actor)
    chosen = next((c for c in channels if str(c["id"]) == str(channel_id)), channels[0] if channels else None)
    platform = chosen["platform"] if chosen else ""
    return page(request, "drafts/new.html", status=status, who=who, channels=channels,
                channel_id=chosen["id"] if chosen else "", handle=chosen["handle"] if chosen else "",
                text=text, attachments=attachments or [], report=checked["screening"] if checked else None,
                problems=checked["problems"] if checked else [], fix_form=COMPOSER_FORM, confirm=True,
                confirmed=confirmed, error=error, notice=notice, unacknowledged=unacknowledged,
                acknowledge_link=PolicyNotAcknowledged.link, **_where(platform, text))


@router.get("/drafts/new")
def new_form(request: Request, who: Caller = Depends(member), system: System = Depends(get_system)):
    return _composer(request, system, who)


def _platform_of(system: System, channel_ref: str) -> str:
    with system.db.reader() as s:
        channel = s.get(Channel, int(channel_ref)) if channel_ref.isdigit() else None
    if channel is None:
        raise InvalidInput("choose the channel the post is for")
    return channel.platform


@router.post("/drafts/new")
async def create(request: Request, who: Caller = Depends(member), system: System = Depends(get_system)):
    form = await request.form()
    channel, attachments = str(form.get("channel") or ""), _attachments(form)
    action, span = str(form.get("action") or "save"), _fix_span(form)
    confirmed = form.get("confirm_block") == "yes"
    raw = str(form.get("text") or "")

    def again(status=200, **kw):
        return _composer(request, system, who, status=status, channel_id=channel, attachments=attachments,
                         **{"text": raw, "confirmed": confirmed, **kw})

    try:
        text = _text(form, system)
    except OnevoiceError as exc:
        return again(exc.status, error=_sentence(exc.detail))

    if span or action == "check":  # screened and shown, stored nowhere
        try:
            take_screening_turn(request, who)
        except TooManyRequests as exc:
            return again(429, error=exc.detail)

        def look():
            platform = _platform_of(system, channel)
            if span:
                return _apply_fix(system, platform, text, "official", attachments, span)
            return workflow.check(system.screening, platform, text, attachments=attachments)

        checked, error = await run_in_threadpool(attempt, look)
        if error:
            return again(422, error=_sentence(error))
        return again(text=checked["text"], checked=checked,
                     notice="The fix is applied to the text: check the sentence still reads well, then save or "
                            "submit it." if span else None)

    def go():
        try:
            with system.db.transaction() as s:
                # saved alone, it is screened now (its page shows the findings); submitting screens it anyway
                d = workflow.create_draft(s, who.actor, channel, text, attachments=attachments,
                                          engine=system.screening if action != "submit" else None)
                if action == "submit":
                    workflow.submit(s, who.actor, d.id, system.screening, block_confirmed=confirmed)
                return d.id
        except workflow.BlockNotConfirmed as exc:
            return exc  # raised inside the transaction, so it rolled back: nothing is stored

    result, error = await run_in_threadpool(attempt, go)  # screening is CPU work: off the event loop
    if error:
        return again(422, error=_sentence(error))
    if isinstance(result, workflow.BlockNotConfirmed):
        checked = {"text": text, "screening": result.report,
                   "problems": limits.limit_problems(_platform_of(system, channel), text, attachments)}
        return again(text=text, checked=checked, confirmed=False,
                     notice="Nothing is submitted yet: this draft has a block finding. This will need the chair's "
                            "override. Fix it, or tick the box below and submit again.")
    return redirect(f"/drafts/{result}", "Submitted to the committee." if action == "submit" else "Draft saved.")


@router.post("/drafts/check")
async def live_check(request: Request, who: Caller = Depends(member), system: System = Depends(get_system)):
    """The screening panel alone, for screen.js: the composer's text (channel given) or a saved
    draft's edited text (draft given), through the same check as the Check button."""
    form = await request.form()
    draft_ref, attachments = str(form.get("draft") or ""), _attachments(form)
    context = {"attachments": attachments, "fix_form": EDIT_FORM if draft_ref else COMPOSER_FORM,
               "confirm": not draft_ref, "confirmed": form.get("confirm_block") == "yes", "problems": [],
               "report": None, "problem": None, "text": str(form.get("text") or "").replace("\r\n", "\n")}

    def look():
        text = _text(form, system)
        take_screening_turn(request, who)
        if draft_ref.isdigit():
            with system.db.reader() as s:
                d = workflow.view_draft(s, who.actor, int(draft_ref))
                kind, channel = d.kind, s.get(Channel, d.channel_id)
                keep = d.attachments
            platform, handle, shown = channel.platform, channel.handle, keep
        else:
            with system.db.reader() as s:
                channel = s.get(Channel, int(form["channel"])) if str(form.get("channel") or "").isdigit() else None
            if channel is None:
                raise InvalidInput("choose the channel the post is for")
            kind, platform, handle, shown = "official", channel.platform, channel.handle, attachments
        checked = workflow.check(system.screening, platform, text, kind=kind, attachments=shown)
        return {"report": checked["screening"], "problems": checked["problems"], "platform": platform,
                "handle": handle, "attachments": shown, "text": checked["text"]}

    status = 200
    try:
        context |= await run_in_threadpool(look)
    except (OnevoiceError, PermissionDenied) as exc:
        status = getattr(exc, "status", 403)
        words = exc.detail if isinstance(exc, OnevoiceError) else exc.words
        context["problem"] = ("Live checking is paused for a minute: " + words if isinstance(exc, TooManyRequests)
                              else words[:1].upper() + words[1:])
    return templates.TemplateResponse(request, "drafts/_screening.html", context, status_code=status)


# --- a draft ------------------------------------------------------------------------------------

def _detail(system: System, who: Caller, draft_id: int) -> dict:
    with system.db.reader() as s:
        d = workflow.view_draft(s, who.actor, draft_id)
        view = workflow.draft_view(d)
        channel = s.get(Channel, d.channel_id)
        people = list(s.scalars(select(Member)))
        unacknowledged = acknowledgements.needs_acknowledgement(s, who.actor)
        events = list(s.scalars(select(AuditEvent).where(AuditEvent.object_type == "draft",
                                                         AuditEvent.object_id == str(draft_id)).order_by(AuditEvent.seq)))
    names = {m.id: m.name for m in people}
    a = who.actor
    mine = view["author_id"] == a.member_id
    screened = view["screening"]["decision"] is not None and view["screening"]["revision"] == view["revision"]
    can_edit = mine and view["state"] in workflow.EDITABLE
    return {"d": view, "channel": channel, "names": names, "mine": mine,
            "history": draft_history.sentences(events, {m.email: m.name for m in people}, who.timezone),
            "report": view["screening"] if screened else None, "text": view["text"],
            "attachments": view["attachments"] or [], "handle": channel.handle, "problems": [],
            "fix_form": EDIT_FORM if can_edit else "", "confirm": False,
            "can_review": allowed(a, Action.DRAFT_REVIEW) and not mine and view["state"] == "in_review",
            "can_override": allowed(a, Action.DRAFT_OVERRIDE_BLOCK) and view["state"] == "in_review" and not mine
                            and view["screening"]["decision"] == "block" and not view["override"],
            "can_edit": can_edit,
            "can_submit": mine and view["state"] in ("draft", "changes_requested", "failed"),
            "unacknowledged": unacknowledged, "acknowledge_link": PolicyNotAcknowledged.link,
            "can_schedule": view["state"] == "approved" and (mine or allowed(a, Action.DRAFT_REVIEW)),
            "can_retract": view["state"] == "published" and (mine or allowed(a, Action.DRAFT_RETRACT)),
            **_where(channel.platform, view["text"])}


@router.get("/drafts/{draft_id}")
def show(request: Request, draft_id: int, who: Caller = Depends(member), system: System = Depends(get_system)):
    return page(request, "drafts/show.html", who=who, flash=request.query_params.get("flash"),
                **_detail(system, who, draft_id))


# What the second step of a lasting decision says (reject, override), before it is taken.
CONFIRM = {
    "reject": {"title": "Reject draft {id}?", "field": "comment", "label": "Your reason, for the author",
               "button": "Yes, reject draft {id}",
               "what": "A rejected draft is final: {author} cannot edit or resubmit it, and it is never posted. "
                       "To let them fix it, go back and request changes instead."},
    "override": {"title": "Override the block findings of draft {id}?", "field": "reason",
                 "label": "Your written reason (kept in the audit log)", "button": "Yes, override the block findings",
                 "what": "You set aside what screening blocked in revision {revision} ({clauses}). The committee "
                         "still has to approve it, and an edit brings the block back."},
}


def _confirm_page(request: Request, system: System, who: Caller, draft_id: int, action: str, value: str,
                  status: int = 200, error: str | None = None):
    detail = _detail(system, who, draft_id)
    d, spec = detail["d"], CONFIRM[action]
    clauses = "; ".join(sorted({f"{f['clause']} {f['clause_title']}" for f in d["screening"]["findings"]
                                if f["severity"] == "block"})) or "none"
    words = {"id": d["id"], "author": detail["names"].get(d["author_id"], "the author"), "revision": d["revision"],
             "clauses": clauses}
    return page(request, "drafts/confirm.html", status=status, who=who, error=error, d=d, action=action,
                field=spec["field"], label=spec["label"], value=value, title=spec["title"].format(**words),
                what=spec["what"].format(**words), button=spec["button"].format(**words))


def _edit_check(request: Request, system: System, who: Caller, draft_id: int, form, span) -> HTMLResponse:
    """The no-script fix on a saved draft: applied to the text being edited, shown, not saved."""
    detail = _detail(system, who, draft_id)
    text = str(form.get("text") or "").replace("\r\n", "\n")

    def look():
        take_screening_turn(request, who)
        return _apply_fix(system, detail["channel"].platform, _text(form, system), detail["d"]["kind"],
                          detail["attachments"], span)

    checked, error = attempt(look)
    if error:
        return page(request, "drafts/show.html", status=422, who=who, error=error, **{**detail, "edit_text": text})
    return page(request, "drafts/show.html", who=who, **{
        **detail, "edit_text": checked["text"], "report": checked["screening"], "text": checked["text"],
        "unsaved": True, "flash": "The fix is applied to the text below, not saved yet: Save changes to keep it.",
        **_where(detail["channel"].platform, checked["text"])})


@router.post("/drafts/{draft_id}/{action}")
async def act(request: Request, draft_id: int, action: str, who: Caller = Depends(member),
              system: System = Depends(get_system)):
    form = await request.form()
    comment = str(form.get("comment") or "")
    confirmed = form.get("confirmed") == "yes"
    if action == "edit" and _fix_span(form):
        return await run_in_threadpool(_edit_check, request, system, who, draft_id, form, _fix_span(form))
    if action in CONFIRM and not confirmed:  # a lasting decision: a second step says what it does
        return _confirm_page(request, system, who, draft_id, action, str(form.get(CONFIRM[action]["field"]) or ""))

    def edit(s):
        return workflow.edit(s, who.actor, draft_id, system.screening, text=_text(form, system),
                             attachments=_attachments(form) if form.get("image1_url") is not None else None)

    actions = {
        "submit": (lambda s: workflow.submit(s, who.actor, draft_id, system.screening,
                                             block_confirmed=form.get("confirm_block") == "yes"),
                   "Submitted to the committee."),
        "edit": (edit, "Saved. Approvals, if any, were reset."),
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
        try:
            with system.db.transaction() as s:
                return fn(s)
        except workflow.BlockNotConfirmed as exc:
            return exc  # the transaction rolled back: still a draft, nothing submitted

    result, error = await run_in_threadpool(attempt, go)  # submit and edit screen: off the event loop
    if isinstance(result, workflow.BlockNotConfirmed):
        return page(request, "drafts/show.html", who=who, confirm_needed=True, error=_sentence(result.detail),
                    **{**_detail(system, who, draft_id), "report": result.report})
    if error:
        if action in CONFIRM:
            return _confirm_page(request, system, who, draft_id, action, str(form.get(CONFIRM[action]["field"]) or ""),
                                 status=422, error=_sentence(error))
        status = 409 if "cannot" in error else 422
        extra = {"edit_text": str(form.get("text") or "")} if action == "edit" else {}
        return page(request, "drafts/show.html", status=status, who=who, error=_sentence(error),
                    **{**_detail(system, who, draft_id), **extra})
    return redirect(f"/drafts/{draft_id}", done)
