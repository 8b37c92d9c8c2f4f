from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool

from onevoice.governance.permissions import Action, require
from onevoice.screening import Draft
from onevoice.system import System

from ..deps import Caller, caller, get_system
from .schemas import ScreenIn

router = APIRouter(tags=["screening"])


@router.post("/screen", summary="Screen a draft against the policy (2.a-2.g)")
async def screen(body: ScreenIn, who: Caller = Depends(caller), system: System = Depends(get_system)) -> dict:
    # The learned layer runs the sentence encoder (milliseconds of CPU per draft): on a worker
    # thread, so that the event loop keeps answering other requests meanwhile.
    require(who.actor, Action.SCREEN_TEXT)
    draft = Draft.from_dict(body.model_dump())
    engine = system.screening if not body.employer else system.engine_with_employer(body.employer)
    report = await run_in_threadpool(engine.screen, draft)
    return report.to_dict()
