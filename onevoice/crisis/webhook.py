"""Signed inbound webhooks: a platform bridge or a monitoring tool pushes comments to
`POST /api/v1/channels/{id}/inbound`.

The sender signs `"{timestamp}.{raw body}"` with HMAC-SHA256 and the channel's webhook secret
(stored encrypted with the channel's credentials as `webhook_secret`) and sends
`X-Onevoice-Timestamp: <unix seconds>` and `X-Onevoice-Signature: sha256=<hex>`. Requests older
than five minutes are refused, so a captured request cannot be replayed later.
"""
from __future__ import annotations

import hashlib
import hmac
import time

from onevoice.errors import Forbidden, Unauthenticated

MAX_AGE = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str | None, timestamp: str | None, signature: str | None, body: bytes,
           now: float | None = None) -> None:
    if not secret:
        raise Forbidden("this channel has no webhook secret; set credentials.webhook_secret first")
    if not timestamp or not signature:
        raise Unauthenticated("missing X-Onevoice-Timestamp or X-Onevoice-Signature")
    try:
        ts = int(timestamp)
    except ValueError:
        raise Unauthenticated("X-Onevoice-Timestamp must be unix seconds") from None
    if abs((now or time.time()) - ts) > MAX_AGE:
        raise Unauthenticated("the request is too old (or the clocks differ by more than 5 minutes)")
    if not hmac.compare_digest(sign(secret, ts, body), signature.strip()):
        raise Unauthenticated("the signature does not match")
