"""The committee's incident pages (3.): the board, an incident with its playbook, and the
notifications that could not be delivered (with Retry)."""
from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from onevoice import jobs, notify
from onevoice.crisis import escalation, inbox as inbox_service, incidents, playbooks
from onevoice.errors import Forbidden, InvalidInput
from onevoice.governance.permissions import Action, allowed
from onevoice.store.models import Channel, Draft, Member
from onevoice.system import System

from ..deps import Caller, get_system
from .dates import aware, relative
from .forms import attempt, redirect
from .guard import member
from .paging import paginate_list
from .render import page

router = APIRouter()
STATES = ("open", "acknowledged", "responding", "resolved")
STATE_TITLES = {"open": "Open", "acknowledged": "Acknowledged", "responding": "Responding", "resolved": "Resolved"}


def countdown(deadline: datetime | str | None, now: datetime | None = None) -> str:
    """"due in 14 min" / "overdue by 5 min": the acknowledge deadline as the chair reads it
    (incidents.js keeps it current; without the script it is right as of the page load)."""
    if not deadline:
        return ""
    now = now or datetime.now(timezone.utc)
    rel = relative(deadline, now)
    if rel == "now":
        return "due now"
    if aware(deadline) > now:
        return "due " + rel
    return "overdue by " + rel.removesuffix(" ago")


def _card(i, names: dict[int, str]) -> dict:
    return {"id": i.id, "title": i.title, "type": i.type, "severity": i.severity, "state": i.state,
            "crisis_mode": i.crisis_mode, "owner": names.get(i.owner_id), "deadline": i.ack_deadline,
            "countdown": countdown(i.ack_deadline) if i.state == "open" else "",
            "overdue": i.state == "open" and i.ack_deadline is not None and aware(i.ack_deadline) <= datetime.now(timezone.utc)}


@router.get("/incidents")
def board(request: Request, who: Caller = Depends(member), system: System = Depends(get_system)):
    with system.db.reader() as s:
        rows = incidents.list_incidents(s, who.actor)
        owners = {i.owner_id for i in rows if i.owner_id}
        names = {m.id: m.name for m in s.scalars(select(Member).where(Member.id.in_(owners)))} if owners else {}
    cards = [_card(i, names) for i in rows]
    # the open columns are short and all shown; the resolved ones pile up: a page at a time
    resolved = paginate_list([c for c in cards if c["state"] == "resolved"], request)
    columns = {state: [c for c in cards if c["state"] == state] for state in STATES[:3]}
    columns["resolved"] = resolved.items
    return page(request, "incidents/board.html", who=who, columns=columns, titles=STATE_TITLES, paged=resolved,
                resolved_total=resolved.total, flash=request.query_params.get("flash"))


def _incident(system: System, who: Caller, incident_id: int, request: Request) -> dict:
    with system.db.reader() as s:
        i = incidents.view_incident(s, who.actor, incident_id)
        view = incidents.incident_view(i)
        comments = inbox_service.incident_comments(s, incident_id)
        spec = playbooks.active(s, name=i.playbook) if i.playbook else None
        everyone = list(s.scalars(select(Member)))
        names = {m.id: m.name for m in everyone}
        by_email = {m.email: m.name for m in everyone}
        channel = s.get(Channel, i.channel_id) if i.channel_id else None
        fast = (playbooks.pre_approved_responses(s, i.playbook, i.channel_id)
                if i.playbook and i.channel_id else [])
        committee = incidents.committee_members(s)
        responses = incidents.response_status(s, i)
        timeline = incidents.timeline_sentences(i, by_email, channel.handle if channel else None)
        delivery = escalation.delivery(s, incident_id)
    chair_told = bool(delivery["sent"])
    nobody = any(e["kind"] == "escalate" and e["text"].startswith("Nobody") for e in timeline)
    shown = paginate_list(comments, request)  # a spike gathers hundreds: a page at a time
    return {"i": view, "comments": shown.items, "paged": shown, "spec": spec, "names": names, "channel": channel,
            "pre_approved": fast, "committee": committee, "responses": responses, "timeline": timeline,
            "delivery": delivery, "chair_told": chair_told, "nobody_to_tell": nobody,
            "sees_failures": escalation.sees_failures(who.actor),
            "may_fast_track": allowed(who.actor, Action.INCIDENT_FAST_TRACK),
            "countdown": countdown(i.ack_deadline) if i.state == "open" else ""}


@router.get("/incidents/{incident_id}")
def show(request: Request, incident_id: int, who: Caller = Depends(member), system: System = Depends(get_system)):
    return page(request, "incidents/show.html", who=who, flash=request.query_params.get("flash"),
                **_incident(system, who, incident_id, request))


def _fast_track_flash(system: System, draft_id: int) -> str:
    with system.db.reader() as s:
        d = s.get(Draft, draft_id)
        to = (d.reply_to or {}).get("id")
    return ("Pre-approved response on its way: it goes out within a minute, as a reply to the comment, "
            "even in crisis mode." if to else
            "Pre-approved response on its way: it goes out within a minute as a new post, even in crisis mode.")


@router.post("/incidents/{incident_id}/{action}")
async def act(request: Request, incident_id: int, action: str, who: Caller = Depends(member),
              system: System = Depends(get_system)):
    form = await request.form()
    text = str(form.get("text") or "")
    comment_id = int(form["comment_id"]) if str(form.get("comment_id") or "").isdigit() else None
    owner_id = int(form["owner_id"]) if str(form.get("owner_id") or "").isdigit() else None
    a = who.actor

    def assign(s):
        if owner_id is None:
            raise InvalidInput("choose the member who owns the incident")
        return incidents.assign(s, a, incident_id, owner_id)

    actions = {
        "acknowledge": lambda s: incidents.acknowledge(s, a, incident_id),
        "respond": lambda s: incidents.respond(s, a, incident_id, text),
        "resolve": lambda s: incidents.resolve(s, a, incident_id, text),
        "note": lambda s: incidents.note(s, a, incident_id, text),
        "assign": assign,
        "crisis_on": lambda s: incidents.set_crisis_mode(s, a, incident_id, True),
        "crisis_off": lambda s: incidents.set_crisis_mode(s, a, incident_id, False),
        "check": lambda s: incidents.check_step(s, a, incident_id, int(form.get("step") or 0), form.get("done") == "1"),
        "response": lambda s: incidents.draft_response(s, a, incident_id, text, system.screening, comment_id),
        "fast_track": lambda s: incidents.fast_track(s, a, incident_id, str(form.get("response") or ""),
                                                     system.screening, comment_id),
        "retry": lambda s: escalation.retry_undelivered(s, a, incident_id),
    }
    if action not in actions:
        return redirect(f"/incidents/{incident_id}", "Unknown action.")

    def go():
        with system.db.transaction() as s:
            return actions[action](s)

    result, error = await run_in_threadpool(attempt, go)  # a response draft is screened: off the event loop
    if error:
        return page(request, "incidents/show.html", status=422, who=who, error=error,
                    **_incident(system, who, incident_id, request))
    if action == "response":
        return redirect(f"/drafts/{result}", "Response drafted: it goes through review.")
    if action == "fast_track":
        jobs.kick(system, "publish_due")
        return redirect(f"/incidents/{incident_id}", _fast_track_flash(system, result))
    if action == "retry":
        jobs.kick(system, "deliver_notifications")
        return redirect(f"/incidents/{incident_id}", f"{result} notification{'s' if result != 1 else ''} queued again.")
    flashes = {"acknowledge": "Acknowledged: the countdown stops.", "assign": "Owner saved.",
               "crisis_on": "Crisis mode is on: the channel's scheduled posts are paused.",
               "crisis_off": "Crisis mode is off: scheduled posts go out again.", "resolve": "Incident resolved."}
    return redirect(f"/incidents/{incident_id}", flashes.get(action, "Saved."))


@router.get("/notifications")
def undelivered(request: Request, who: Caller = Depends(member), system: System = Depends(get_system)):
    if not escalation.sees_failures(who.actor):
        raise Forbidden("the chair or an administrator sees the notifications that could not be delivered")
    with system.db.reader() as s:
        rows = notify.undelivered_list(s, limit=1000)
    paged = paginate_list(rows, request)
    return page(request, "incidents/notifications.html", who=who, paged=paged,
                flash=request.query_params.get("flash"))


@router.post("/notifications/retry")
async def retry_all(request: Request, who: Caller = Depends(member), system: System = Depends(get_system)):
    def go():
        with system.db.transaction() as s:
            return escalation.retry_undelivered(s, who.actor)

    result, error = await run_in_threadpool(attempt, go)
    if error:
        raise Forbidden(error)
    jobs.kick(system, "deliver_notifications")
    return redirect("/notifications", f"{result} notification{'s' if result != 1 else ''} queued again.")

