"""The `onevoice` command line, a thin adapter over the services.

The CLI is the installation's operator console: whoever can run it on the server acts as the
system (recorded in the audit log as "cli:<user>"), the way `manage.py` works for a Django site.
"""
from __future__ import annotations

from .base import app
from . import admin, audit, crisis, drafts, model, monitoring, screen, triage  # noqa: F401,E402  (register their commands)

__all__ = ["app"]
from . import doctor  # noqa: F401,E402  (`onevoice doctor`)
