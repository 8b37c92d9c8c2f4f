"""Server-rendered pages over the same services as the API (minimal JavaScript)."""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from . import session

STATIC = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(include_in_schema=False)
router.include_router(session.router)
