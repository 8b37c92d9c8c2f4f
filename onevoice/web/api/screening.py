from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from onevoice.errors import TooManyRequests
from onevoice.governance.permissions import Action, require
from onevoice.screening import Draft, check_length
from onevoice.system import System

from ..deps import Caller, caller, get_system
from .schemas import ScreenIn

router = APIRouter(tags=["screening"])

WINDOW_SECONDS = 60


def take_screening_turn(request: Request, who: Caller) -> None:
    """Count one screening against the member's allowance (ONEVOICE_SCREEN_PER_MINUTE), or refuse
    with 429: screening is the costliest thing a member can ask for, and any member may ask."""
    limiter = request.app.state.screen_limiter
    actor = who.actor
    key = f"member:{actor.member_id}" if actor.member_id is not None else f"actor:{actor.label}"
    if not limiter.allow(key):
        raise TooManyRequests(f"more than {limiter.limit} screenings in a minute; wait a little and try again",
                              retry_after=WINDOW_SECONDS)


@router.post("/screen", summary="Screen a draft against the policy (2.a-2.g)",
             responses={413: {"description": "the text is longer than ONEVOICE_MAX_DRAFT_CHARS"},
                        429: {"description": "over ONEVOICE_SCREEN_PER_MINUTE screenings this minute"}})
async def screen(body: ScreenIn, request: Request, who: Caller = Depends(caller),
                 system: System = Depends(get_system)) -> dict:
    require(who.actor, Action.SCREEN_TEXT)
    draft = Draft.from_dict(body.model_dump())
    check_length(draft.text, system.settings.max_draft_chars)
    take_screening_turn(request, who)

    # The learned layer runs the sentence encoder (milliseconds of CPU per draft), and an employer
    # pack is parsed on first use: both on a worker thread, so the event loop keeps answering.
    def run() -> dict:
        engine = system.screening if not body.employer else system.engine_with_employer(body.employer)
        return engine.screen(draft).to_dict()

    return await run_in_threadpool(run)
