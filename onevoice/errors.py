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


class TooManyAttempts(OnevoiceError):
    status = 429
    title = "Too many attempts"
