"""Page access: a signed-in member, or a redirect to the sign-in page."""
from __future__ import annotations

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse

from ..deps import Caller, optional_caller


class SignInRequired(Exception):
    pass


async def member(request: Request, who: Caller | None = Depends(optional_caller)) -> Caller:
    if who is None:
        raise SignInRequired()
    return who


def install(app) -> None:
    @app.exception_handler(SignInRequired)
    async def _to_login(request: Request, exc: SignInRequired):
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
