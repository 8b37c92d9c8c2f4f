"""Playbooks (3.): the committee's checklists and pre-approved responses, as YAML."""
from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import Field

from onevoice.crisis import playbooks
from onevoice.governance.permissions import Action, require
from onevoice.system import System

from ..deps import Caller, caller, get_system
from .schemas import Strict

router = APIRouter(tags=["crisis management"])


@router.get("/playbooks")
def list_playbooks(who: Caller = Depends(caller), system: System = Depends(get_system)) -> list[dict]:
    require(who.actor, Action.INCIDENT_MANAGE)
    with system.db.reader() as s:
        return [playbooks.as_dict(p) for p in playbooks.all_active(s)]


class PlaybookIn(Strict):
    source: str = Field(..., max_length=50_000, description="the playbook as YAML")


@router.put("/playbooks", summary="Write or edit a playbook (YAML)")
def save_playbook(body: PlaybookIn, who: Caller = Depends(caller), system: System = Depends(get_system)) -> dict:
    with system.db.transaction() as s:
        return playbooks.as_dict(playbooks.save(s, who.actor, body.source))
