"""Server-rendered pages over the same services as the API (minimal JavaScript)."""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from . import (account_security, acknowledgements, admin, calendar, channels, committee, drafts, inbox, monitoring,
               selfcheck, session, sso)

STATIC = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(include_in_schema=False)
for module in (session, sso, account_security, drafts, selfcheck, calendar, inbox, committee, monitoring, channels, admin,
               acknowledgements):
    router.include_router(module.router)
