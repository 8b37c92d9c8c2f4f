"""The committee's incident pages (3.): the board and an incident with its playbook."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from onevoice.crisis import inbox as inbox_service, incidents, playbooks
from onevoice.governance.permissions import Action, require
from onevoice.store.models import Channel, Draft, Member
from onevoice.system import System

from ..deps import Caller, get_system
from .forms import attempt, redirect
from .guard import member
from .render import page

router = APIRouter()

@router.get("/incidents")
def board(request: Request, who: Caller = Depends(member), system: System = Depends(get_system)):
    with system.db.reader() as s:
        rows = incidents.list_incidents(s, who.actor)
    columns = {state: [i for i in rows if i.state == state] for state in ("open", "acknowledged", "responding", "resolved")}
    return page(request, "incidents/board.html", who=who, columns=columns, flash=request.query_params.get("flash"))

def _incident(system: System, who: Caller, incident_id: int) -> dict:
    with system.db.reader() as s:
        i = incidents.view_incident(s, who.actor, incident_id)
        view = incidents.incident_view(i)
        comments = inbox_service.incident_comments(s, incident_id)
        spec = playbooks.active(s, name=i.playbook) if i.playbook else None
        drafts = list(s.scalars(select(Draft).where(Draft.incident_id == incident_id)))
        names = {m.id: m.name for m in s.scalars(select(Member))}
        channel = s.get(Channel, i.channel_id) if i.channel_id else None
        fast = (playbooks.pre_approved_responses(s, i.playbook, i.channel_id)
                if i.playbook and i.channel_id else [])
    return {"i": view, "comments": comments, "spec": spec, "drafts": drafts, "names": names, "channel": channel,
            "pre_approved": fast}

@router.get("/incidents/{incident_id}")
def show(request: Request, incident_id: int, who: Caller = Depends(member), system: System = Depends(get_system)):
    return page(request, "incidents/show.html", who=who, flash=request.query_params.get("flash"),
                **_incident(system, who, incident_id))

@router.post("/incidents/{incident_id}/{action}")
async def act(request: Request, incident_id: int, action: str, who: Caller = Depends(member),
              system: System = Depends(get_system)):
    form = await request.form()
    text = str(form.get("text") or "")
    comment_id = int(form["comment_id"]) if str(form.get("comment_id") or "").isdigit() else None
    a = who.actor
    actions = {
        "acknowledge": lambda s: incidents.acknowledge(s, a, incident_id),
        "respond": lambda s: incidents.respond(s, a, incident_id, text),
        "resolve": lambda s: incidents.resolve(s, a, incident_id, text),
        "note": lambda s: incidents.note(s, a, incident_id, text),
        "crisis_on": lambda s: incidents.set_crisis_mode(s, a, incident_id, True),
        "crisis_off": lambda s: incidents.set_crisis_mode(s, a, incident_id, False),
        "check": lambda s: incidents.check_step(s, a, incident_id, int(form.get("step") or 0), form.get("done") == "1"),
        "response": lambda s: incidents.draft_response(s, a, incident_id, text, system.screening, comment_id),
        "fast_track": lambda s: incidents.fast_track(s, a, incident_id, str(form.get("response") or ""),
                                                     system.screening, comment_id),
    }
    if action not in actions:
        return redirect(f"/incidents/{incident_id}", "Unknown action.")

    def go():
        with system.db.transaction() as s:
            return actions[action](s)

    result, error = await run_in_threadpool(attempt, go)  # a response draft is screened: off the event loop
    if error:
        return page(request, "incidents/show.html", status=422, who=who, error=error,
                    **_incident(system, who, incident_id))
    if action in ("response", "fast_track"):
        return redirect(f"/drafts/{result}", "Response drafted." if action == "response" else "Pre-approved response scheduled.")
    return redirect(f"/incidents/{incident_id}", "Saved.")
