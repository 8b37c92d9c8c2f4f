"""Running a service call from a form: success redirects (post/redirect/get), an expected
failure re-renders the page with the service's own words."""
from __future__ import annotations

from typing import Callable
from urllib.parse import quote

from fastapi.responses import RedirectResponse

from onevoice.errors import OnevoiceError
from onevoice.governance.permissions import PermissionDenied


def attempt(fn: Callable):
    """(result, None) on success; (None, message) on an expected failure."""
    try:
        return fn(), None
    except OnevoiceError as exc:
        return None, exc.detail
    except PermissionDenied as exc:
        return None, exc.words  # a page speaks to a person: no permission codes


def redirect(url: str, flash: str | None = None) -> RedirectResponse:
    sep = "&" if "?" in url else "?"
    return RedirectResponse(url + (f"{sep}flash={quote(flash)}" if flash else ""), status_code=303)
