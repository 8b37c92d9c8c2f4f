"""The committee's inbox of triaged comments (3.): filtered, a page at a time, and worked from
there: reply (through the review queue), assign, snooze, mark handled or reopen."""
from __future__ import annotations

from typing import Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from onevoice.crisis import inbox as inbox_service
from onevoice.errors import InvalidInput
from onevoice.governance.permissions import Action, allowed
from onevoice.store.models import utcnow
from onevoice.system import System
from onevoice.triage import CATEGORIES

from ..deps import Caller, get_system
from .forms import attempt, redirect
from .guard import member
from .paging import PAGE_SIZE, Paged, page_number
from .render import page

router = APIRouter()


def _filters(params: Mapping[str, str]) -> tuple[inbox_service.Filters, str | None]:
    """The filters the query asks for, or the default ones and what was wrong with the query."""
    state = params.get("state") or ("escalated" if params.get("escalated") == "1" else None)
    try:
        return inbox_service.Filters.parse(state, params.get("channel"), params.get("category"),
                                           params.get("severity")), None
    except InvalidInput as exc:
        return inbox_service.Filters(), exc.detail


def _listing(system: System, who: Caller, params: Mapping[str, str], number: int) -> dict:
    filters, problem = _filters(params)
    with system.db.reader() as s:
        found = inbox_service.find(s, who.actor, filters, number, PAGE_SIZE)
        context = inbox_service.context_for(s, found.comments)
        committee = inbox_service.committee_members(s) if allowed(who.actor, Action.INCIDENT_MANAGE) else []
        channels = inbox_service.viewer_channels(s, who.actor)
    base = "/inbox?" + urlencode(filters.as_query())
    paged = Paged(found.comments, found.number, PAGE_SIZE, min(found.total, inbox_service.MAX_ROWS), base)
    here = paged.url(paged.number)
    return {"paged": paged, "found": found, "filters": filters, "ctx": context, "committee": committee,
            "channels": channels, "categories": CATEGORIES, "states": inbox_service.STATES,
            "severities": inbox_service.SEVERITIES, "snoozes": inbox_service.SNOOZES, "here": here,
            "may_manage": allowed(who.actor, Action.INCIDENT_MANAGE),
            "may_reply": {c.id for c in context.channels.values()
                          if allowed(who.actor, Action.DRAFT_SUBMIT, channel_id=c.id)},
            "problem": problem, "now": utcnow()}


@router.get("/inbox")
def inbox(request: Request, who: Caller = Depends(member), system: System = Depends(get_system)):
    view = _listing(system, who, request.query_params, page_number(request))
    return page(request, "inbox.html", who=who, flash=request.query_params.get("flash"), error=view["problem"], **view)


def _back(raw: str) -> str:
    """Where a form returns to: the inbox page it was sent from, never another site."""
    return raw if raw.startswith("/inbox") and not raw.startswith("//") and "\\" not in raw else "/inbox"


@router.post("/inbox/{comment_id}")
async def act(request: Request, comment_id: int, who: Caller = Depends(member), system: System = Depends(get_system)):
    form = await request.form()
    # a snooze button sends its length ("until") alone: a button carries one name and value
    action = str(form.get("action") or ("snooze" if form.get("until") else ""))
    back = _back(str(form.get("back") or "/inbox"))
    a = who.actor

    def member_id():
        raw = str(form.get("member_id") or "").strip()
        if raw and not raw.isdigit():
            raise InvalidInput("choose a committee member")
        return int(raw) if raw else None

    def go():
        with system.db.transaction() as s:
            if action == "reply":
                return inbox_service.draft_reply(s, a, comment_id, str(form.get("text") or ""), system.screening)
            if action == "assign":
                c = inbox_service.assign(s, a, comment_id, member_id(), system.settings)
                return "Assigned." if c.assigned_to else "Nobody is assigned now."
            if action == "snooze":
                until = inbox_service.snooze_until(str(form.get("until") or ""), who.timezone)
                inbox_service.snooze(s, a, comment_id, until)
                return "Snoozed: it comes back to the open list " + inbox_service.SNOOZES[str(form.get("until"))] + "."
            if action == "wake":
                inbox_service.snooze(s, a, comment_id, None)
                return "Back in the open list."
            if action in ("handled", "reopen"):
                inbox_service.set_handled(s, a, comment_id, action == "handled")
                return "Marked handled." if action == "handled" else "Reopened."
            raise InvalidInput(f"unknown action {action!r}")

    result, error = await run_in_threadpool(attempt, go)  # a reply is screened: off the event loop
    if error:
        query = urlsplit(back).query
        params = dict(parse_qsl(query))
        view = _listing(system, who, params, int(params["page"]) if params.get("page", "").isdigit() else 1)
        return page(request, "inbox.html", status=422, who=who, error=f"Comment {comment_id}: {error}", **view)
    if action == "reply":
        return redirect(f"/drafts/{result}", "Reply sent to the review queue: the committee approves it before it "
                                             "is posted (1.).")
    return redirect(back, f"Comment {comment_id}: {result}")
