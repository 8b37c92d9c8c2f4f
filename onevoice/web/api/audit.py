from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select

from onevoice import audit as audit_log
from onevoice.governance.permissions import Action, require
from onevoice.store.models import AuditEvent
from onevoice.system import System

from ..deps import Caller, caller, get_system

router = APIRouter(tags=["audit"])


@router.get("/audit", summary="Audit events, newest first")
def list_events(limit: int = Query(50, ge=1, le=500), before: int | None = Query(None, ge=1, le=2**31 - 1),
                who: Caller = Depends(caller), system: System = Depends(get_system)) -> list[dict]:
    require(who.actor, Action.AUDIT_VIEW)
    with system.db.reader() as s:
        q = select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(limit)
        if before:
            q = q.where(AuditEvent.seq < before)
        return [{"seq": e.seq, "at": e.at.isoformat(), "actor": e.actor, "action": e.action,
                 "object_type": e.object_type, "object_id": e.object_id, "detail": e.detail} for e in s.scalars(q)]


@router.get("/audit/verify", summary="Verify the hash chain of the audit log, optionally against an anchor")
def verify(anchor: str | None = Query(None, max_length=100, description="SEQ:HASH kept outside onevoice"),
           who: Caller = Depends(caller), system: System = Depends(get_system)) -> dict:
    require(who.actor, Action.AUDIT_VIEW)
    mark = audit_log.Anchor.parse(anchor) if anchor is not None else None
    with system.db.reader() as s:
        result = audit_log.verify(s, mark)
    return {"ok": result.ok, "events": result.events, "problems": list(result.problems)}
