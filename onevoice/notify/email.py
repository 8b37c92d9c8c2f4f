"""E-mail over SMTP (smtplib): plain text, one message per notification.

The Message-ID is derived from the notification, so if a worker dies after the server took
the message but before the row was marked sent, the resent copy carries the same Message-ID
and mail systems can recognise the duplicate.
"""
from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from .config import NotifyConfig
from .errors import NotConfigured, PermanentError


NOT_CONFIGURED = "no e-mail server is configured: set ONEVOICE_SMTP_HOST (and ONEVOICE_SMTP_FROM)"


def build_message(notification, config: NotifyConfig) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = config.smtp_from
    msg["To"] = notification.target
    msg["Subject"] = notification.subject
    msg["Date"] = formatdate(localtime=False)
    domain = config.smtp_from.rpartition("@")[2] or "onevoice"
    msg["Message-ID"] = f"<onevoice-notification-{notification.id}@{domain}>"
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies back to us
    msg.set_content(notification.body)
    return msg


def send(notification, config: NotifyConfig) -> None:
    if not config.smtp_host:
        raise NotConfigured(NOT_CONFIGURED)
    msg = build_message(notification, config)
    cls = smtplib.SMTP_SSL if config.smtp_ssl else smtplib.SMTP
    with cls(config.smtp_host, config.smtp_port, timeout=config.timeout) as smtp:
        if config.smtp_starttls and not config.smtp_ssl:
            smtp.starttls(context=ssl.create_default_context())
        if config.smtp_user:
            smtp.login(config.smtp_user, config.smtp_password)
        try:
            smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if all(500 <= code < 600 for code in codes):  # 5xx: the address does not exist; 4xx: try later
                raise PermanentError(f"recipient refused: {exc.recipients}") from exc
            raise
