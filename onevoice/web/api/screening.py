from __future__ import annotations

from fastapi import APIRouter, Depends

from onevoice.governance.permissions import Action, require
from onevoice.screening import Draft
from onevoice.system import System

from ..deps import Caller, caller, get_system
from .schemas import ScreenIn

router = APIRouter(tags=["screening"])


@router.post("/screen", summary="Screen a draft against the policy (2.a-2.g)")
async def screen(body: ScreenIn, who: Caller = Depends(caller), system: System = Depends(get_system)) -> dict:
    # Screening is pure CPU for about a millisecond (drafts are at most 20,000 characters): on the
    # event loop it costs less than the hand-off to a worker thread, which buys no parallelism
    # under the GIL.
    require(who.actor, Action.SCREEN_TEXT)
    draft = Draft.from_dict(body.model_dump())
    engine = system.screening if not body.employer else system.engine_with_employer(body.employer)
    return engine.screen(draft).to_dict()
