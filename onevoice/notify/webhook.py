"""Chat webhooks: one JSON POST per notification (httpx), in one of two documented shapes.

format "slack" (the default; also Mattermost, Rocket.Chat, Discord's /slack endpoint)
    {"text": "*<subject>*\\n<body>"}        -- Slack incoming webhook, mrkdwn, &<> escaped

format "teams" (target "teams:<url>"; Teams Workflows / Power Automate "post to a channel")
    {"type": "message",
     "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": null,
                      "content": {"type": "AdaptiveCard", "version": "1.4", "$schema": ...,
                                  "body": [TextBlock subject (bold), TextBlock body],
                                  "actions": [Action.OpenUrl "Open in onevoice" -> first link]}}]}

Headers: Content-Type: application/json; X-Onevoice-Notification: <id> (the same on every
retry, so a receiver can drop repeats); with a secret configured,
X-Onevoice-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes, keyed by the secret>.

Answers: 2xx is delivered; 408, 425, 429 and 5xx (and timeouts, refused connections) are retried;
any other 4xx means the hook is gone or refuses the payload: failed at once.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re

import httpx

from .config import WEBHOOK_FORMATS, NotifyConfig
from .errors import PermanentError

SIGNATURE_HEADER = "X-Onevoice-Signature"
ID_HEADER = "X-Onevoice-Notification"
RETRYABLE_4XX = {408, 425, 429}
_LINK = re.compile(r"https?://\S+")


def split_target(target: str) -> tuple[str, str]:
    """'teams:https://...' -> ('teams', 'https://...'); a bare URL is Slack-style."""
    fmt, sep, rest = target.partition(":")
    if sep and fmt in WEBHOOK_FORMATS:
        return fmt, rest
    return "slack", target


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def payload(fmt: str, subject: str, body: str) -> dict:
    if fmt == "teams":
        card = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
                "version": "1.4",
                "body": [{"type": "TextBlock", "text": subject, "weight": "Bolder", "size": "Medium", "wrap": True},
                         {"type": "TextBlock", "text": body, "wrap": True}]}
        link = _LINK.search(body)
        if link:
            card["actions"] = [{"type": "Action.OpenUrl", "title": "Open in onevoice", "url": link.group()}]
        return {"type": "message", "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}]}
    return {"text": f"*{_slack_escape(subject)}*\n{_slack_escape(body)}"}


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def send(notification, config: NotifyConfig) -> None:
    fmt, url = split_target(notification.target)
    body = json.dumps(payload(fmt, notification.subject, notification.body), ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", ID_HEADER: str(notification.id)}
    if config.webhook_secret:
        headers[SIGNATURE_HEADER] = sign(config.webhook_secret, body)
    r = httpx.post(url, content=body, headers=headers, timeout=config.timeout)
    if r.is_success:
        return
    message = f"webhook answered {r.status_code}: {r.text[:200]}"
    if 400 <= r.status_code < 500 and r.status_code not in RETRYABLE_4XX:
        raise PermanentError(message)
    raise RuntimeError(message)
