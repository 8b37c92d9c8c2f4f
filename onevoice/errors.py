"""The errors services raise. Adapters turn them into an HTTP problem or a one-line CLI error,
so every adapter reports the same failure the same way."""
from __future__ import annotations


class OnevoiceError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidInput(OnevoiceError):
    status = 422
    title = "Invalid input"


class NotFound(OnevoiceError):
    status = 404
    title = "Not found"


class Conflict(OnevoiceError):
    status = 409
    title = "Conflict"


class Unauthenticated(OnevoiceError):
    status = 401
    title = "Not signed in"


class Forbidden(OnevoiceError):
    status = 403
    title = "Forbidden"


class ExpiredForm(Forbidden):
    """A form sent without this session's token: opened before signing in again, or forged."""

    type = "/problems/expired-form"
    words = ("This form has expired: it was opened before you last signed in, or in another window. "
             "Go back, reload the page and send it again; nothing was changed.")


class PasswordChangeRequired(Forbidden):
    """Signed in with a one-time password: nothing but changing it (or signing out) until then.
    `type` tells API clients apart from a missing role, so they can send the member to change it."""

    title = "Password change required"
    type = "/problems/password-change-required"

    def __init__(self, detail: str = "you signed in with a one-time password; change it first "
                                     "(POST /api/v1/me/password with current_password and new_password)") -> None:
        super().__init__(detail)


class TwoFactorRequired(Forbidden):
    """The member's role requires two-factor sign-in and they have not set it up: a session may do
    nothing else until then (API tokens keep working). `type` tells API clients what to do."""

    title = "Two-factor sign-in required"
    type = "/problems/two-factor-required"
    words = "Your role requires two-factor sign-in: set it up on your account page first."

    def __init__(self, detail: str = "your role requires two-factor sign-in; set it up at /account/two-factor "
                                     "first (API tokens keep working)") -> None:
        super().__init__(detail)


class PolicyNotAcknowledged(Forbidden):
    """Submitting before acknowledging the active policy version (1.): `link` is the page where the
    member reads it in full and confirms; `type` tells API clients to send the member there."""

    title = "Policy acknowledgement required"
    type = "/problems/policy-acknowledgement-required"
    link = "/policy/acknowledge"

    def __init__(self, detail: str, version_id: int) -> None:
        super().__init__(detail)
        self.extra = {"link": self.link, "version_id": version_id}  # what an API client acknowledges


class AuthorizationExpired(Forbidden):
    """Submitting to a channel whose authorization has ended: the detail says when and who renews it."""

    title = "Authorization ended"
    type = "/problems/authorization-expired"


class TooManyAttempts(OnevoiceError):
    status = 429
    title = "Too many attempts"


class TooLarge(OnevoiceError):
    status = 413
    title = "Request too large"


class TooManyRequests(OnevoiceError):
    """Over a rate limit; `retry_after` (seconds) becomes the Retry-After header."""

    status = 429
    title = "Too many requests"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
