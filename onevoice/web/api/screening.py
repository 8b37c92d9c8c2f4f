from __future__ import annotations

from fastapi import APIRouter, Depends

from onevoice.governance.permissions import Action, require
from onevoice.screening import Draft
from onevoice.system import System

from ..deps import Caller, caller, get_system
from .schemas import ScreenIn

router = APIRouter(tags=["screening"])


@router.post("/screen", summary="Screen a draft against the policy (2.a-2.g)")
def screen(body: ScreenIn, who: Caller = Depends(caller), system: System = Depends(get_system)) -> dict:
    require(who.actor, Action.SCREEN_TEXT)
    draft = Draft.from_dict(body.model_dump())
    engine = system.screening if not body.employer else system.engine_with_employer(body.employer)
    return engine.screen(draft).to_dict()
