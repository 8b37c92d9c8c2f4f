"""Notifications (3.: the chair hears of negative comments at once): e-mail over SMTP, chat
webhooks (Slack-style and Microsoft Teams-style JSON) and Matrix rooms, delivered durably.

`enqueue` writes a row in the caller's transaction, so an escalation and its messages commit
together; `deliver_due` (a periodic job) sends them, each marked sent in its own transaction
after the send, and retries failures with exponential backoff. An SMTP outage delays an
escalation, it never loses it.

Configuration (environment):
  ONEVOICE_SMTP_HOST, ONEVOICE_SMTP_PORT (25), ONEVOICE_SMTP_FROM, ONEVOICE_SMTP_USER,
  ONEVOICE_SMTP_PASSWORD, ONEVOICE_SMTP_STARTTLS (0/1)
  ONEVOICE_CHAT_WEBHOOKS   comma-separated URLs; a URL may start with "teams:" for Teams cards
  ONEVOICE_WEBHOOK_SECRET  signs webhook bodies (X-Onevoice-Signature: sha256=<hmac>)
  ONEVOICE_MATRIX_HOMESERVER, ONEVOICE_MATRIX_TOKEN, ONEVOICE_MATRIX_ROOM
"""
from __future__ import annotations

from .compose import compose_escalation, mask_personal_data
from .outbox import ChatTarget, chat_targets, deliver_due, enqueue

__all__ = ["ChatTarget", "chat_targets", "compose_escalation", "deliver_due", "enqueue", "mask_personal_data"]
