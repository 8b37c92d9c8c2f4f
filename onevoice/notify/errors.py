"""How a sender tells the outbox that trying again cannot help."""
from __future__ import annotations


class PermanentError(Exception):
    """The far side refused this notification for good (a rejected recipient, a deleted webhook):
    the outbox marks it failed at once instead of retrying. Every other exception is retried."""


class NotConfigured(PermanentError):
    """The channel has no settings (no SMTP server, no Matrix token): nothing can be tried, so the
    notification is marked failed at once with the setting to add, for the chair and the admin to
    see in the app (and to retry once it is set), instead of waiting in the queue for hours."""
