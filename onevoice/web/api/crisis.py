from __future__ import annotations

import json
from datetime import datetime
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
from onevoice.screening import check_length
from onevoice.store.models import Comment
from onevoice.system import System

from ..deps import Caller, caller, get_system
from .schemas import Id, Strict

router = APIRouter(tags=["crisis management"])
MAX_BATCH = 1000


comment_view = inbox_service.comment_view  # one shape for the API and the CLI


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
          state: str | None = Query(None, max_length=20, description="open, mine, snoozed, handled, escalated or all"),
          category: str | None = Query(None, max_length=30), min_severity: int | None = Query(None, ge=1, le=3),
          page: int = Query(1, ge=1, le=1_000_000), who: Caller = Depends(caller),
          system: System = Depends(get_system)) -> list[dict]:
    with system.db.reader() as s:
        if state is None and category is None and min_severity is None and page == 1:
            rows = inbox_service.list_comments(s, who.actor, escalated=escalated, channel_id=channel_id, limit=limit)
            return [comment_view(c) for c in rows]
        # without a state, every state: the same rows as the plain list, filtered further
        filters = inbox_service.Filters.parse(state or "all", channel_id, category, min_severity)
        if (page - 1) * limit >= inbox_service.MAX_ROWS:  # the offset stays bounded, like the page's
            raise InvalidInput(f"the pages reach the newest {inbox_service.MAX_ROWS:,} comments; narrow the filters")
        q = inbox_service.inbox_query(who.actor, filters)
        if escalated is not None:
            q = q.where(Comment.escalate.is_(escalated))
        return [comment_view(c) for c in s.scalars(q.limit(limit).offset((page - 1) * limit))]


class AssignIn(Strict):
    member_id: int | None = Field(..., ge=1, le=2**31 - 1, description="a committee member, or null for nobody")


class SnoozeIn(Strict):
    until: datetime | None = Field(..., description="when the comment comes back to the open list; null wakes it")


class HandledIn(Strict):
    handled: bool = True


class ReplyIn(Strict):
    text: str = Field(..., max_length=5000)


@router.post("/comments/{comment_id}/assign", summary="Committee: assign a comment to a committee member")
def assign_comment(comment_id: Id, body: AssignIn, who: Caller = Depends(caller),
                   system: System = Depends(get_system)) -> dict:
    with system.db.transaction() as s:
        return comment_view(inbox_service.assign(s, who.actor, comment_id, body.member_id, system.settings))


@router.post("/comments/{comment_id}/snooze", summary="Committee: snooze a comment until a time (null wakes it)")
def snooze_comment(comment_id: Id, body: SnoozeIn, who: Caller = Depends(caller),
                   system: System = Depends(get_system)) -> dict:
    if body.until is not None and body.until.tzinfo is None:
        raise InvalidInput("until needs a time zone, e.g. 2026-12-03T09:00:00Z")
    with system.db.transaction() as s:
        return comment_view(inbox_service.snooze(s, who.actor, comment_id, body.until))


@router.post("/comments/{comment_id}/handled", summary="Committee: mark a comment handled, or reopen it")
def handle_comment(comment_id: Id, body: HandledIn, who: Caller = Depends(caller),
                   system: System = Depends(get_system)) -> dict:
    with system.db.transaction() as s:
        return comment_view(inbox_service.set_handled(s, who.actor, comment_id, body.handled))


@router.post("/comments/{comment_id}/replies", status_code=201,
             summary="Authorized member of the channel: draft a reply, sent to the review queue")
def reply_to_comment(comment_id: Id, body: ReplyIn, who: Caller = Depends(caller),
                     system: System = Depends(get_system)) -> dict:
    check_length(body.text, system.settings.max_draft_chars)
    with system.db.transaction() as s:
        return {"draft_id": inbox_service.draft_reply(s, who.actor, comment_id, body.text, system.screening)}


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
