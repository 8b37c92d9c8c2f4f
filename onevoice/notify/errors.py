"""How a sender tells the outbox that trying again cannot help."""
from __future__ import annotations


class PermanentError(Exception):
    """The far side refused this notification for good (a rejected recipient, a deleted webhook):
    the outbox marks it failed at once instead of retrying. Every other exception is retried."""
