from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field

from onevoice.publishing import outbox, workflow
from onevoice.governance.permissions import Action, require
from onevoice.screening import check_length
from onevoice.store.models import Channel
from onevoice.system import System

from ..deps import Caller, caller, get_system
from .schemas import MAX_ID, AttachmentIn, Id, Strict
from .screening import take_screening_turn

router = APIRouter(tags=["drafts and review"])


class ReplyTo(Strict):
    id: str = Field(..., max_length=500)
    cid: str | None = Field(None, max_length=200)
    url: str | None = Field(None, max_length=2000)


class DraftIn(Strict):
    channel: Annotated[int, Field(ge=1, le=MAX_ID)] | Annotated[str, Field(max_length=300)]
    text: str  # as long as ONEVOICE_MAX_DRAFT_CHARS allows (413 beyond)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=10)
    reply_to: ReplyTo | None = None


class EditIn(Strict):
    text: str | None = None  # as long as ONEVOICE_MAX_DRAFT_CHARS allows (413 beyond)
    attachments: list[AttachmentIn] | None = Field(None, max_length=10)


class ReviewIn(Strict):
    verdict: str = Field(..., pattern="^(approve|request_changes|reject)$")
    comment: str = Field("", max_length=5000)


class OverrideIn(Strict):
    reason: str = Field(..., max_length=5000)


class ScheduleIn(Strict):
    at: datetime | str | None = None
    timezone: str | None = Field(None, max_length=64)


class RetractIn(Strict):
    reason: str = Field(..., max_length=5000)


@router.post("/drafts", status_code=201)
def create(body: DraftIn, who: Caller = Depends(caller), system: System = Depends(get_system)) -> dict:
    check_length(body.text, system.settings.max_draft_chars)
    with system.db.transaction() as s:
        d = workflow.create_draft(s, who.actor, body.channel, body.text, kind="reply" if body.reply_to else "official",
                                  attachments=[a.model_dump() for a in body.attachments],
                                  reply_to=body.reply_to.model_dump() if body.reply_to else None)
        return workflow.draft_view(d)


@router.get("/drafts")
def list_(state: str | None = Query(None, max_length=30), mine: bool = False, who: Caller = Depends(caller),
          system: System = Depends(get_system)) -> list[dict]:
    with system.db.reader() as s:
        return [workflow.draft_view(d) for d in workflow.list_drafts(s, who.actor, state, mine)]


@router.get("/drafts/{draft_id}")
def show(draft_id: Id, who: Caller = Depends(caller), system: System = Depends(get_system)) -> dict:
    with system.db.reader() as s:
        return workflow.draft_view(workflow.view_draft(s, who.actor, draft_id))


@router.patch("/drafts/{draft_id}")
def edit(draft_id: Id, body: EditIn, request: Request, who: Caller = Depends(caller),
         system: System = Depends(get_system)) -> dict:
    # sync routes run on FastAPI's worker threads: the screening below never holds the event loop
    if body.text is not None:
        check_length(body.text, system.settings.max_draft_chars)
    take_screening_turn(request, who)  # an edit under review is screened again
    with system.db.transaction() as s:
        d = workflow.edit(s, who.actor, draft_id, system.screening, text=body.text,
                          attachments=[a.model_dump() for a in body.attachments] if body.attachments is not None else None)
        return workflow.draft_view(d)


@router.post("/drafts/{draft_id}/submit")
def submit(draft_id: Id, request: Request, who: Caller = Depends(caller), system: System = Depends(get_system)) -> dict:
    take_screening_turn(request, who)
    with system.db.transaction() as s:
        return workflow.draft_view(workflow.submit(s, who.actor, draft_id, system.screening))


@router.post("/drafts/{draft_id}/reviews", status_code=201)
def review(draft_id: Id, body: ReviewIn, who: Caller = Depends(caller), system: System = Depends(get_system)) -> dict:
    with system.db.transaction() as s:
        return workflow.draft_view(workflow.review(s, who.actor, draft_id, body.verdict, body.comment))


@router.post("/drafts/{draft_id}/override")
def override(draft_id: Id, body: OverrideIn, who: Caller = Depends(caller), system: System = Depends(get_system)) -> dict:
    with system.db.transaction() as s:
        return workflow.draft_view(workflow.override_block(s, who.actor, draft_id, body.reason))


@router.post("/drafts/{draft_id}/schedule")
def schedule(draft_id: Id, body: ScheduleIn, who: Caller = Depends(caller), system: System = Depends(get_system)) -> dict:
    with system.db.transaction() as s:
        d = workflow.get_draft(s, draft_id)
        when = workflow.parse_when(body.at, body.timezone or s.get(Channel, d.channel_id).timezone)
        return workflow.draft_view(workflow.schedule(s, who.actor, draft_id, when))


@router.post("/drafts/{draft_id}/retract")
def retract(draft_id: Id, body: RetractIn, who: Caller = Depends(caller), system: System = Depends(get_system)) -> dict:
    with system.db.transaction() as s:
        return workflow.draft_view(workflow.retract(s, who.actor, draft_id, body.reason))


@router.post("/publish/due", summary="Send every due post now (the scheduler does this on its own)")
def publish_due(who: Caller = Depends(caller), system: System = Depends(get_system)) -> list[dict]:
    require(who.actor, Action.PUBLISH_RUN)
    return [o.__dict__ for o in outbox.publish_due(system.db, system.connector_for)]
