"""The JSON API under /api/v1 (OpenAPI at /docs)."""
from fastapi import APIRouter

from . import audit, crisis, drafts, governance, monitoring, screening

router = APIRouter(prefix="/api/v1")
for module in (screening, drafts, crisis, governance, audit, monitoring):
    router.include_router(module.router)
