"""The official channels (1.): the admin adds them, connects their accounts and sees their state,
including the comments a worker could not store (dead letters)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from onevoice.governance import channels as channel_service
from onevoice.governance.permissions import Action, require
from onevoice.system import System

from ..deps import Caller, get_system
from .forms import attempt, redirect
from .guard import member
from .render import page

router = APIRouter(prefix="/admin")


@router.get("/channels")
def channels(request: Request, who: Caller = Depends(member), system: System = Depends(get_system)):
    require(who.actor, Action.CHANNEL_MANAGE)
    from onevoice.crisis import queue  # dead letters: pushed comments the workers could not store

    with system.db.reader() as s:
        rows = [channel_service.channel_state(c) for c in channel_service.list_channels(s, who.actor)]
        failed = [queue.dead_letter_view(b) for b in queue.failed(s, who.actor)]
    return page(request, "admin/channels.html", who=who, channels=rows, failed=failed,
                flash=request.query_params.get("flash"))


@router.post("/channels")
async def channels_add(request: Request, who: Caller = Depends(member), system: System = Depends(get_system)):
    form = await request.form()

    def go():
        quorum = str(form.get("quorum") or "1")
        if not quorum.isdigit():
            from onevoice.errors import InvalidInput
            raise InvalidInput("quorum must be a whole number")
        with system.db.transaction() as s:
            channel_service.add_channel(s, who.actor, system.box, str(form.get("platform") or ""),
                                        str(form.get("handle") or ""), str(form.get("name") or "") or None,
                                        str(form.get("base_url") or "") or None, None, int(quorum),
                                        str(form.get("timezone") or "UTC"))

    _, error = attempt(go)
    if error:
        with system.db.reader() as s:
            rows = [channel_service.channel_state(c) for c in channel_service.list_channels(s, who.actor)]
        return page(request, "admin/channels.html", status=422, who=who, channels=rows, error=error)
    return redirect("/admin/channels", "Channel added. Store its credentials with `onevoice channel add --credentials-file`.")
