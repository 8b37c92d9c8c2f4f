"""Page access: a signed-in member, or a redirect to the sign-in page (or, for a one-time
password, to the page that replaces it; for a role that requires two-factor sign-in not set up
yet, to the page that sets it up)."""
from __future__ import annotations

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse

from ..deps import Caller, optional_caller


class SignInRequired(Exception):
    pass


class PasswordChangeRequired(Exception):
    pass


class TwoFactorEnrolmentRequired(Exception):
    pass


# A member signed in with a one-time password may only choose a new one or sign out.
BEFORE_PASSWORD_CHANGE = ("/password", "/logout")
# A member whose role requires two-factor sign-in may only set it up (or sign out) until done.
BEFORE_TWO_FACTOR = ("/account/two-factor", "/account/two-factor/start", "/account/two-factor/confirm", "/logout")


async def member(request: Request, who: Caller | None = Depends(optional_caller)) -> Caller:
    if who is None:
        raise SignInRequired()
    if who.must_change_password and request.url.path not in BEFORE_PASSWORD_CHANGE:
        raise PasswordChangeRequired()
    if who.must_enrol_two_factor and not who.must_change_password and request.url.path not in BEFORE_TWO_FACTOR:
        raise TwoFactorEnrolmentRequired()
    return who


def install(app) -> None:
    @app.exception_handler(SignInRequired)
    async def _to_login(request: Request, exc: SignInRequired):
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(PasswordChangeRequired)
    async def _to_password(request: Request, exc: PasswordChangeRequired):
        return RedirectResponse("/password", status_code=303)

    @app.exception_handler(TwoFactorEnrolmentRequired)
    async def _to_two_factor(request: Request, exc: TwoFactorEnrolmentRequired):
        return RedirectResponse("/account/two-factor", status_code=303)
