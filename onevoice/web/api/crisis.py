from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from pydantic import Field

from onevoice import jobs
from onevoice.crisis import inbox as inbox_service, incidents, intake, queue, webhook
from onevoice.errors import InvalidInput
from onevoice.governance.channels import get_channel
from onevoice.governance.permissions import Action, require
from onevoice.store.models import Comment
from onevoice.system import System

from ..deps import Caller, caller, get_system
from .schemas import Id, Strict

router = APIRouter(tags=["crisis management"])
MAX_BATCH = 1000


def comment_view(c: Comment) -> dict:
    return {"id": c.id, "channel_id": c.channel_id, "platform_id": c.platform_id, "kind": c.kind, "author": c.author,
            "author_followers": c.author_followers, "text": c.text, "url": c.url,
            "received_at": c.received_at.isoformat(), "category": c.category, "severity": c.severity,
            "escalate": c.escalate, "triage": c.triage, "incident_id": c.incident_id, "handled": c.handled}


def _items(payload) -> list:
    items = payload.get("comments") if isinstance(payload, dict) else payload
    if not isinstance(items, list):
        raise InvalidInput("send a JSON list of comments, or {\"comments\": [...]}")
    if len(items) > MAX_BATCH:
        raise InvalidInput(f"at most {MAX_BATCH} comments per request")
    return items


QUEUED = {202: {"description": "With ONEVOICE_INTAKE=queued: the batch is stored and the workers triage it"}}


def _receive(system: System, channel_id: int, items: list, source: str):
    """Inline: triaged and routed before the answer. Queued (at scale): stored, 202, then the workers."""
    if system.settings.intake == "queued":
        accepted = queue.accept(system.db, channel_id, items, source)
        if accepted["batch"] is not None:
            jobs.kick(system, "ingest_queued")
        return JSONResponse(accepted, status_code=202)
    return intake.ingest(system.db, channel_id, items, source, system.settings).as_dict()


@router.post("/channels/{channel_id}/inbound", summary="Signed webhook: push comments and mentions of a channel",
             responses=QUEUED)
async def inbound(channel_id: Id, request: Request, system: System = Depends(get_system)) -> dict:
    body = await request.body()
    with system.db.reader() as s:
        channel = get_channel(s, channel_id)
        secret = system.box.open(channel.credentials).get("webhook_secret")
    webhook.verify(secret, request.headers.get("x-onevoice-timestamp"), request.headers.get("x-onevoice-signature"), body)
    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InvalidInput("the body is not JSON") from None
    except RecursionError:  # nested past what the parser follows (NestingLimit catches it first for JSON)
        raise InvalidInput("the body nests too deeply") from None
    # triage and the database are blocking work: off the event loop, like the sync routes
    return await run_in_threadpool(_receive, system, channel_id, _items(payload), "webhook")


@router.post("/channels/{channel_id}/comments", summary="Import comments (JSON list) as a committee member",
             responses=QUEUED)
def import_comments(channel_id: Id, payload: list[Any] | dict[str, Any], who: Caller = Depends(caller),
                    system: System = Depends(get_system)) -> dict:
    # items of any type, not list[dict]: one that is not an object is reported alone, like any bad item
    require(who.actor, Action.COMMENT_IMPORT)
    return _receive(system, channel_id, _items(payload), "import")


@router.get("/comments", summary="The inbox of triaged comments, newest first (of the channels one may watch)")
def inbox(escalated: bool | None = None, channel_id: Id | None = None, limit: int = Query(100, ge=1, le=500),
          who: Caller = Depends(caller), system: System = Depends(get_system)) -> list[dict]:
    with system.db.reader() as s:
        rows = inbox_service.list_comments(s, who.actor, escalated=escalated, channel_id=channel_id, limit=limit)
        return [comment_view(c) for c in rows]


@router.get("/inbound/failed", summary="Admin: queued batches that failed every attempt (dead letters)")
def failed_batches(who: Caller = Depends(caller), system: System = Depends(get_system)) -> list[dict]:
    with system.db.reader() as s:
        return [queue.dead_letter_view(b) for b in queue.failed(s, who.actor)]


@router.post("/inbound/failed/{batch_id}/retry", summary="Admin: queue a failed batch again")
def retry_batch(batch_id: Id, who: Caller = Depends(caller), system: System = Depends(get_system)) -> dict:
    with system.db.transaction() as s:
        view = queue.dead_letter_view(queue.retry(s, who.actor, batch_id))
    jobs.kick(system, "ingest_queued")
    return view


@router.delete("/inbound/failed/{batch_id}", status_code=204, summary="Admin: give a failed batch up")
def discard_batch(batch_id: Id, who: Caller = Depends(caller), system: System = Depends(get_system)) -> None:
    with system.db.transaction() as s:
        queue.discard(s, who.actor, batch_id)


@router.get("/incidents")
def list_incidents(state: str | None = Query(None, max_length=20), who: Caller = Depends(caller),
                   system: System = Depends(get_system)) -> list[dict]:
    with system.db.reader() as s:
        return [incidents.incident_view(i) for i in incidents.list_incidents(s, who.actor, state)]


@router.get("/incidents/{incident_id}")
def show_incident(incident_id: Id, who: Caller = Depends(caller), system: System = Depends(get_system)) -> dict:
    with system.db.reader() as s:
        view = incidents.incident_view(incidents.view_incident(s, who.actor, incident_id))
        view["comments"] = [comment_view(c) for c in inbox_service.incident_comments(s, incident_id)]
        return view


class NoteIn(Strict):
    text: str = Field("", max_length=5000)


class StepIn(Strict):
    done: bool = True


class CrisisModeIn(Strict):
    on: bool


class ResponseIn(Strict):
    text: str = Field(..., max_length=5000)
    comment_id: int | None = Field(None, ge=1, le=2**31 - 1)


class FastTrackIn(Strict):
    response: str = Field(..., max_length=100)
    comment_id: int | None = Field(None, ge=1, le=2**31 - 1)


def _act(system: System, fn, *args) -> dict:
    with system.db.transaction() as s:
        return incidents.incident_view(fn(s, *args))


@router.post("/incidents/{incident_id}/acknowledge")
def acknowledge(incident_id: Id, who: Caller = Depends(caller), system: System = Depends(get_system)) -> dict:
    return _act(system, incidents.acknowledge, who.actor, incident_id)


@router.post("/incidents/{incident_id}/respond")
def respond(incident_id: Id, body: NoteIn, who: Caller = Depends(caller), system: System = Depends(get_system)) -> dict:
    return _act(system, incidents.respond, who.actor, incident_id, body.text)


@router.post("/incidents/{incident_id}/resolve")
def resolve(incident_id: Id, body: NoteIn, who: Caller = Depends(caller), system: System = Depends(get_system)) -> dict:
    return _act(system, incidents.resolve, who.actor, incident_id, body.text)


@router.post("/incidents/{incident_id}/notes")
def add_note(incident_id: Id, body: NoteIn, who: Caller = Depends(caller), system: System = Depends(get_system)) -> dict:
    return _act(system, incidents.note, who.actor, incident_id, body.text)


@router.post("/incidents/{incident_id}/checklist/{step}")
def check(incident_id: Id, step: Id, body: StepIn, who: Caller = Depends(caller),
          system: System = Depends(get_system)) -> dict:
    return _act(system, incidents.check_step, who.actor, incident_id, step, body.done)


@router.post("/incidents/{incident_id}/crisis-mode")
def crisis_mode(incident_id: Id, body: CrisisModeIn, who: Caller = Depends(caller),
                system: System = Depends(get_system)) -> dict:
    return _act(system, incidents.set_crisis_mode, who.actor, incident_id, body.on)


@router.post("/incidents/{incident_id}/responses", status_code=201, summary="Draft a response (normal approval)")
def draft_response(incident_id: Id, body: ResponseIn, who: Caller = Depends(caller),
                   system: System = Depends(get_system)) -> dict:
    with system.db.transaction() as s:
        return {"draft_id": incidents.draft_response(s, who.actor, incident_id, body.text, system.screening,
                                                     body.comment_id)}


@router.post("/incidents/{incident_id}/fast-track", status_code=201, summary="Chair: send a pre-approved response")
def fast_track(incident_id: Id, body: FastTrackIn, who: Caller = Depends(caller),
               system: System = Depends(get_system)) -> dict:
    with system.db.transaction() as s:
        return {"draft_id": incidents.fast_track(s, who.actor, incident_id, body.response, system.screening,
                                                 body.comment_id)}
