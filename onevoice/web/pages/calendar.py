"""The committee's calendar of scheduled and published posts (1.: what goes out, and when)."""
from __future__ import annotations

from collections import defaultdict

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select

from onevoice.governance.permissions import Action, require
from onevoice.store.models import Channel, Draft
from onevoice.system import System

from ..deps import Caller, get_system
from .guard import member
from .render import page

router = APIRouter()


@router.get("/calendar")
def calendar(request: Request, who: Caller = Depends(member), system: System = Depends(get_system)):
    require(who.actor, Action.DRAFT_VIEW_ALL)
    with system.db.reader() as s:
        rows = list(s.scalars(select(Draft).where(Draft.state.in_(("scheduled", "publishing", "published")),
                                                  Draft.scheduled_at.is_not(None))
                              .order_by(Draft.scheduled_at.desc()).limit(300)))
        channels = {c.id: c for c in s.scalars(select(Channel))}
    days = defaultdict(list)
    for d in sorted(rows, key=lambda d: d.scheduled_at):
        days[d.scheduled_at.date().isoformat()].append(d)
    return page(request, "calendar.html", who=who, days=dict(days), channels=channels)
