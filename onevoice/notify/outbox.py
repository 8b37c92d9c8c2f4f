from __future__ import annotations

import hashlib
import hmac
import json
import os
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

import httpx
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from onevoice.store import Database
from onevoice.store.models import Notification, utcnow

MAX_ATTEMPTS = 10
BACKOFF_BASE = 30.0
BACKOFF_CAP = 3600.0
TIMEOUT = 10.0
CHANNELS = ("email", "webhook", "matrix")


@dataclass(frozen=True)
class ChatTarget:
    channel: str
    target: str


def enqueue(session: Session, channel: str, target: str, subject: str, body: str,
            related: tuple[str, object] | None = None, now: datetime | None = None) -> Notification:
    if channel not in CHANNELS:
        raise ValueError(f"unknown notification channel {channel!r}")
    n = Notification(channel=channel, target=target, subject=subject[:300], body=body, status="pending", attempts=0,
                     due_at=now or utcnow(), related_type=related[0] if related else None,
                     related_id=str(related[1]) if related else None)
    session.add(n)
    return n


def _env(settings, key: str, default: str = "") -> str:
    smtp = getattr(settings, "smtp", None) or {}
    if key.startswith("SMTP_") and key[5:].lower() in smtp:
        return smtp[key[5:].lower()]
    return os.environ.get(f"ONEVOICE_{key}", default)


def chat_targets(settings=None) -> list[ChatTarget]:
    targets = [ChatTarget("webhook", u.strip()) for u in _env(settings, "CHAT_WEBHOOKS").split(",") if u.strip()]
    room = _env(settings, "MATRIX_ROOM")
    if room:
        targets.append(ChatTarget("matrix", room))
    return targets


def _send_email(n: Notification, settings) -> None:
    host = _env(settings, "SMTP_HOST")
    if not host:
        raise RuntimeError("no SMTP server configured (ONEVOICE_SMTP_HOST)")
    msg = EmailMessage()
    msg["From"] = _env(settings, "SMTP_FROM", "onevoice@localhost")
    msg["To"] = n.target
    msg["Subject"] = n.subject
    msg["Message-ID"] = f"<onevoice-notification-{n.id}@onevoice>"  # lets mail systems drop a repeat
    msg.set_content(n.body)
    with smtplib.SMTP(host, int(_env(settings, "SMTP_PORT", "25")), timeout=TIMEOUT) as smtp:
        if _env(settings, "SMTP_STARTTLS") == "1":
            smtp.starttls()
        user = _env(settings, "SMTP_USER")
        if user:
            smtp.login(user, _env(settings, "SMTP_PASSWORD"))
        smtp.send_message(msg)


def webhook_payload(n: Notification, url: str) -> dict:
    if url.startswith("teams:"):  # Office 365 connector MessageCard
        return {"@type": "MessageCard", "@context": "https://schema.org/extensions", "summary": n.subject,
                "title": n.subject, "text": n.body.replace("\n", "<br>")}
    return {"text": f"*{n.subject}*\n{n.body}"}  # Slack-style incoming webhook


def _send_webhook(n: Notification, settings) -> None:
    url = n.target.removeprefix("teams:")
    body = json.dumps(webhook_payload(n, n.target)).encode()
    headers = {"Content-Type": "application/json", "X-Onevoice-Notification": str(n.id)}
    secret = _env(settings, "WEBHOOK_SECRET")
    if secret:
        headers["X-Onevoice-Signature"] = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    r = httpx.post(url, content=body, headers=headers, timeout=TIMEOUT)
    if r.status_code >= 300:
        raise RuntimeError(f"webhook answered {r.status_code}")


def _send_matrix(n: Notification, settings) -> None:
    server, token = _env(settings, "MATRIX_HOMESERVER").rstrip("/"), _env(settings, "MATRIX_TOKEN")
    if not server or not token:
        raise RuntimeError("no Matrix homeserver or token configured")
    from urllib.parse import quote

    # the transaction id is the notification's id: a resend after a crash is the same event
    url = f"{server}/_matrix/client/v3/rooms/{quote(n.target)}/send/m.room.message/onevoice-{n.id}"
    r = httpx.put(url, json={"msgtype": "m.text", "body": f"{n.subject}\n{n.body}"},
                  headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
    if r.status_code >= 300:
        raise RuntimeError(f"Matrix answered {r.status_code}: {r.text[:200]}")


SENDERS = {"email": _send_email, "webhook": _send_webhook, "matrix": _send_matrix}


def deliver_due(db: Database, settings=None, now: datetime | None = None, limit: int = 100) -> dict:
    now = now or utcnow()
    with db.reader() as s:
        due = list(s.scalars(select(Notification.id).where(and_(Notification.status == "pending",
                                                                Notification.due_at <= now))
                             .order_by(Notification.id).limit(limit)))
    sent = failed = retried = 0
    for nid in due:
        with db.reader() as s:
            n = s.get(Notification, nid)
        try:
            SENDERS[n.channel](n, settings)
            error = None
        except Exception as exc:  # noqa: BLE001 — any failure of the far side is retried
            error = f"{type(exc).__name__}: {exc}"[:1000]
        with db.transaction() as s:
            row = s.get(Notification, nid)
            if row.status != "pending":
                continue
            row.attempts += 1
            if error is None:
                row.status, row.sent_at, row.last_error = "sent", now, None
                sent += 1
            elif row.attempts >= MAX_ATTEMPTS:
                row.status, row.last_error = "failed", error
                failed += 1
            else:
                row.last_error = error
                row.due_at = now + timedelta(seconds=min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (row.attempts - 1)))
                retried += 1
    return {"sent": sent, "retried": retried, "failed": failed}
