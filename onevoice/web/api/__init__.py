"""The JSON API under /api/v1 (OpenAPI at /docs)."""
from fastapi import APIRouter

from . import audit, crisis, drafts, governance, monitoring, playbooks, screening

router = APIRouter(prefix="/api/v1")
for module in (screening, drafts, crisis, playbooks, governance, audit, monitoring):
    router.include_router(module.router)
