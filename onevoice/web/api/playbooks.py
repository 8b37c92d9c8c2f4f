"""Playbooks (3.): the committee's checklists and prepared responses, as YAML, and the committee's
pre-approval of those responses per channel."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import Field

from onevoice.crisis import playbooks
from onevoice.governance.permissions import Action, require
from onevoice.system import System

from ..deps import Caller, caller, get_system
from .schemas import MAX_ID, Strict

router = APIRouter(tags=["crisis management"])
Name = Annotated[str, Path(min_length=1, max_length=playbooks.MAX_NAME)]


@router.get("/playbooks")
def list_playbooks(who: Caller = Depends(caller), system: System = Depends(get_system)) -> list[dict]:
    require(who.actor, Action.INCIDENT_MANAGE)
    with system.db.reader() as s:
        return [{**playbooks.as_dict(p), "pre_approvals": [playbooks.approval_view(s, a)
                                                           for a in playbooks.proposals(s, p.name)]}
                for p in playbooks.all_active(s)]


class PlaybookIn(Strict):
    source: str = Field(..., max_length=50_000, description="the playbook as YAML")


@router.put("/playbooks", summary="Write or edit a playbook (YAML)")
def save_playbook(body: PlaybookIn, who: Caller = Depends(caller), system: System = Depends(get_system)) -> dict:
    with system.db.transaction() as s:
        return playbooks.as_dict(playbooks.save(s, who.actor, body.source))


class PreApprovalIn(Strict):
    channel: Annotated[int, Field(ge=1, le=MAX_ID)] | Annotated[str, Field(max_length=300)]


@router.post("/playbooks/{playbook}/responses/{response}/pre-approvals", status_code=201,
             summary="Propose a response for pre-approval on a channel (a draft for normal review)")
def propose_pre_approval(playbook: Name, response: Name, body: PreApprovalIn, who: Caller = Depends(caller),
                         system: System = Depends(get_system)) -> dict:
    with system.db.transaction() as s:
        return playbooks.approval_view(s, playbooks.propose(s, who.actor, playbook, response, body.channel,
                                                            system.screening))
