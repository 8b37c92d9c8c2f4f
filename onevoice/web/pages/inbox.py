"""The committee's inbox of triaged comments (3.)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select

from onevoice.crisis import inbox as inbox_service
from onevoice.store.models import Channel
from onevoice.system import System

from ..deps import Caller, get_system
from .guard import member
from .render import page

router = APIRouter()


@router.get("/inbox")
def inbox(request: Request, escalated: str = "", who: Caller = Depends(member), system: System = Depends(get_system)):
    with system.db.reader() as s:
        rows = inbox_service.list_comments(s, who.actor, escalated=True if escalated == "1" else None, limit=200)
        channels = {c.id: c for c in s.scalars(select(Channel))}
    return page(request, "inbox.html", who=who, comments=rows, channels=channels, escalated=escalated)
