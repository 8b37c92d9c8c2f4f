"""Notifications (3. Crisis management: the committee chair hears of negative comments at once):
e-mail over SMTP, chat webhooks (Slack-style or Microsoft Teams Adaptive Cards, optionally
HMAC-signed) and Matrix rooms, delivered durably through the `notifications` table.

    with db.transaction() as s:                       # the escalation's own transaction
        subject, body = compose_escalation(incident_id=..., category=..., severity=..., channel=...,
                                           link=..., excerpt=comment.text)
        enqueue(s, "email", "chair@ipala.org", subject, body, related=("incident", incident.id))
    deliver_due(db, settings)                         # a periodic job (onevoice.jobs)

Module map: outbox (enqueue, deliver_due, retry_failed, undelivered), email, webhook, matrix (one sender
each), compose (what an escalation says, minimal personal data), config (the environment
variables, documented there).
"""
from __future__ import annotations

from .compose import compose_escalation, mask_personal_data
from .config import NotifyConfig
from .errors import NotConfigured, PermanentError
from .outbox import (CHANNELS, ChatTarget, Undelivered, chat_targets, deliver_due, enqueue, retry_failed,
                     undelivered, undelivered_list)

__all__ = ["CHANNELS", "ChatTarget", "NotConfigured", "NotifyConfig", "PermanentError", "Undelivered", "chat_targets",
           "compose_escalation", "deliver_due", "enqueue", "mask_personal_data", "retry_failed", "undelivered",
           "undelivered_list"]
