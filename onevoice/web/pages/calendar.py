"""The committee's calendar of scheduled and published posts (1.: what goes out, and when): a
month grid, a week grid and the agenda (a paged list), in the viewer's time zone. Posts are
moved by drag and drop (static/calendar.js) or, without JavaScript, with a date-time field."""
from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select

from onevoice.errors import InvalidInput
from onevoice.governance.permissions import Action, allowed
from onevoice.publishing import calendar as cal, workflow
from onevoice.store.models import Channel
from onevoice.system import System

from ..deps import Caller, get_system
from . import dates
from .forms import attempt, redirect
from .guard import member
from .paging import paginate
from .render import page

router = APIRouter()
VIEWS = ("month", "week", "agenda")
PALETTE = 6  # channel colours: calendar.css .cal-ch-0 … .cal-ch-5


def _zone(who: Caller) -> str:
    return cal.zone_of(who.timezone).key


def _url(view: str, day: date | None = None, past: bool = False) -> str:
    params = {"view": view}
    if day is not None:
        params["date"] = day.isoformat()
    if past:
        params["past"] = "1"
    return "/calendar?" + urlencode(params)


def _back(value) -> str:
    """Where a form returns to: a calendar page of this site only."""
    value = str(value or "")
    return value if value.startswith("/calendar") and not value.startswith("//") and "\\" not in value else "/calendar"


def _channels(s) -> dict[int, Channel]:
    return {c.id: c for c in s.scalars(select(Channel).order_by(Channel.id))}


@router.get("/calendar")
def calendar(request: Request, who: Caller = Depends(member), system: System = Depends(get_system)):
    q = request.query_params
    view = q.get("view") if q.get("view") in VIEWS else "month"
    zone = _zone(who)
    today = cal.today_in(zone)
    error = None
    try:
        day = date.fromisoformat(q["date"]) if q.get("date") else today
    except ValueError:
        day, error = today, f"{q.get('date')!r} is not a date like 2026-12-01; showing today."
    past = q.get("past") == "1"
    context = {"view": view, "zone": zone, "today": today, "day": day, "past": past,
               "everyone": allowed(who.actor, Action.DRAFT_VIEW_ALL), "palette": PALETTE,
               "states": cal.STATE_LABELS, "back": str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""),
               "url": _url}
    with system.db.reader() as s:
        channels = _channels(s)
        if view == "agenda":
            paged = paginate(s, cal.agenda_query(who.actor, past=past), request)
            context["paged"] = paged
            context["rows"] = cal.entries(s, who.actor, paged.items, zone)
        else:
            context["grid"] = cal.grid(s, who.actor, view, day, zone)
    return page(request, "calendar.html", who=who, channels=channels, error=error,
                flash=q.get("flash"), **context)


def _card(request: Request, who: Caller, system: System, draft_id: int, status: int = 200, error: str | None = None,
          template: str = "calendar_post.html", at_value: str | None = None):
    zone = _zone(who)
    with system.db.reader() as s:
        draft = workflow.view_draft(s, who.actor, draft_id)
        [entry] = cal.entries(s, who.actor, [draft], zone) or [None]
        channel = s.get(Channel, draft.channel_id)
    back = _back(request.query_params.get("back"))
    if entry is not None and at_value is None:
        at_value = entry.local.strftime("%Y-%m-%dT%H:%M")
    return page(request, template, status=status, who=who, error=error, draft=draft, entry=entry, channel=channel,
                zone=zone, back=back, at_value=at_value or "", palette=PALETTE)


@router.get("/calendar/posts/{draft_id}")
def card(request: Request, draft_id: int, who: Caller = Depends(member), system: System = Depends(get_system)):
    return _card(request, who, system, draft_id)


@router.get("/calendar/posts/{draft_id}/unschedule")
def confirm_unschedule(request: Request, draft_id: int, who: Caller = Depends(member),
                       system: System = Depends(get_system)):
    return _card(request, who, system, draft_id, template="calendar_unschedule.html")


@router.post("/calendar/posts/{draft_id}/reschedule")
async def reschedule(request: Request, draft_id: int, who: Caller = Depends(member),
                     system: System = Depends(get_system)):
    form = await request.form()
    zone = _zone(who)
    back = _back(form.get("back"))
    day, at_text = str(form.get("day") or "").strip(), str(form.get("at") or "").strip()

    def go():
        with system.db.transaction() as s:
            if day:  # dropped on another day of the grid
                try:
                    target = date.fromisoformat(day)
                except ValueError:
                    raise InvalidInput(f"{day!r} is not a day like 2026-12-01") from None
                d = cal.move_to_day(s, who.actor, draft_id, target, zone)
            else:
                if not at_text:
                    raise InvalidInput("give the new date and time")
                d = cal.reschedule(s, who.actor, draft_id, workflow.parse_when(at_text, zone))
            return d.scheduled_at

    at, error = attempt(go)
    if error:
        request.scope["query_string"] = urlencode({"back": back}).encode()
        return _card(request, who, system, draft_id, status=409 if "started" in error or "only a" in error else 422,
                     error=error, at_value=at_text or None)
    return redirect(back, f"Draft {draft_id} moved to {dates.when(at, zone)}.")


@router.post("/calendar/posts/{draft_id}/unschedule")
async def unschedule(request: Request, draft_id: int, who: Caller = Depends(member),
                     system: System = Depends(get_system)):
    form = await request.form()
    back = _back(form.get("back"))

    def go():
        with system.db.transaction() as s:
            return cal.unschedule(s, who.actor, draft_id)

    _, error = attempt(go)
    if error:
        request.scope["query_string"] = urlencode({"back": back}).encode()
        return _card(request, who, system, draft_id, status=409, error=error)
    return redirect(back, f"Draft {draft_id} unscheduled: it is approved again and waits for a new time.")

