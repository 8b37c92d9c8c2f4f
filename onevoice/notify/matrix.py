"""Matrix: an m.room.message in a room, through the client-server API (httpx).

PUT /_matrix/client/v3/rooms/{room}/send/m.room.message/{txnId} with the bot's access token.
The transaction id is derived from the notification (its id and creation time), so a resend
after a crash between "sent" and "marked sent" is recognised by the homeserver as the same
event (idempotent) -- and a notification with a reused id in a recreated database is not.
A room alias (#room:server) is resolved to its id first. The bot must already be in the room.

401/403 and 5xx, timeouts and refused connections are retried (a token or membership can be
fixed while the notification waits); other 4xx (unknown room, bad request) fail at once.
"""
from __future__ import annotations

import html
from urllib.parse import quote

import httpx

from .config import NotifyConfig
from .errors import NotConfigured, PermanentError

RETRYABLE_4XX = {401, 403, 408, 429}
NOT_CONFIGURED = "Matrix is not configured: set ONEVOICE_MATRIX_HOMESERVER and ONEVOICE_MATRIX_TOKEN"


def txn_id(notification) -> str:
    created = getattr(notification, "created_at", None)
    stamp = f"-{int(created.timestamp() * 1_000_000)}" if created is not None else ""
    return f"onevoice-{notification.id}{stamp}"


def content(subject: str, body: str) -> dict:
    return {"msgtype": "m.text", "body": f"{subject}\n{body}",
            "format": "org.matrix.custom.html",
            "formatted_body": f"<strong>{html.escape(subject)}</strong><br>" + html.escape(body).replace("\n", "<br>")}


def _check(r: httpx.Response, what: str) -> None:
    if r.is_success:
        return
    message = f"Matrix {what} answered {r.status_code}: {r.text[:200]}"
    if 400 <= r.status_code < 500 and r.status_code not in RETRYABLE_4XX:
        raise PermanentError(message)
    raise RuntimeError(message)


def resolve_room(client: httpx.Client, room: str) -> str:
    if not room.startswith("#"):
        return room
    r = client.get(f"/_matrix/client/v3/directory/room/{quote(room, safe='')}")
    _check(r, "room alias lookup")
    return r.json()["room_id"]


def send(notification, config: NotifyConfig) -> None:
    if not config.matrix_homeserver or not config.matrix_token:
        raise NotConfigured(NOT_CONFIGURED)
    with httpx.Client(base_url=config.matrix_homeserver, timeout=config.timeout,
                      headers={"Authorization": f"Bearer {config.matrix_token}"}) as client:
        room = resolve_room(client, notification.target)
        r = client.put(f"/_matrix/client/v3/rooms/{quote(room, safe='')}/send/m.room.message/"
                       f"{quote(txn_id(notification), safe='')}",
                       json=content(notification.subject, notification.body))
        _check(r, "send")
