"""Official channels (1.): the organization's accounts, with their credentials encrypted at rest."""
from __future__ import annotations

import base64
import hashlib
import json
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select
from sqlalchemy.orm import Session

from onevoice import audit
from onevoice.errors import Conflict, InvalidInput, NotFound
from onevoice.publishing.connectors.addresses import ALLOW_PRIVATE, PrivateAddress, refuse_private_url
from onevoice.store.models import Channel

from .permissions import Action, Actor, require

PLATFORMS = ("mastodon", "bluesky")
HANDLE = re.compile(r"^@?[\w.\-]+(@[\w.\-]+)?$")


class CredentialBox:
    """Encrypts channel credentials with a Fernet key derived from the installation's secret."""

    def __init__(self, secret_key: str) -> None:
        key = base64.urlsafe_b64encode(hashlib.sha256(b"onevoice-credentials:" + secret_key.encode()).digest())
        self._fernet = Fernet(key)

    def seal(self, credentials: dict) -> bytes:
        return self._fernet.encrypt(json.dumps(credentials, sort_keys=True).encode())

    def open(self, sealed: bytes | None) -> dict:
        if not sealed:
            return {}
        try:
            return json.loads(self._fernet.decrypt(sealed))
        except InvalidToken:
            raise InvalidInput("channel credentials cannot be decrypted with this secret key "
                               "(was ONEVOICE_SECRET_KEY changed?)") from None


def channel_state(c: Channel) -> dict:
    # credentials are digested as "present or not": the log must never hold a secret
    return {"id": c.id, "platform": c.platform, "handle": c.handle, "name": c.name, "base_url": c.base_url,
            "quorum": c.quorum, "timezone": c.timezone, "active": c.active, "crisis_mode": c.crisis_mode,
            "credentials_set": bool(c.credentials)}


def get_channel(session: Session, ref: int | str) -> Channel:
    """A channel by id or by handle."""
    if isinstance(ref, int) or str(ref).isdigit():
        channel = session.get(Channel, int(ref))
    else:
        channel = session.scalar(select(Channel).where(Channel.handle == str(ref).lstrip("@")))
    if channel is None:
        raise NotFound(f"no channel {ref!r}")
    return channel


def add_channel(session: Session, actor: Actor, box: CredentialBox, platform: str, handle: str,
                name: str | None = None, base_url: str | None = None, credentials: dict | None = None,
                quorum: int = 1, timezone: str = "UTC") -> Channel:
    require(actor, Action.CHANNEL_MANAGE)
    platform = (platform or "").strip().lower()
    if platform not in PLATFORMS:
        raise InvalidInput(f"platform must be one of {', '.join(PLATFORMS)}, not {platform!r}")
    handle = (handle or "").strip().lstrip("@")
    if not handle or not HANDLE.match(handle):
        raise InvalidInput(f"{handle!r} is not a valid account handle")
    if not isinstance(quorum, int) or quorum < 1 or quorum > 10:
        raise InvalidInput("quorum must be a whole number from 1 to 10")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"unknown time zone {timezone!r}") from None
    if base_url is not None:
        _check_base_url(session, base_url)
    if session.scalar(select(Channel.id).where(Channel.platform == platform, Channel.handle == handle)):
        raise Conflict(f"channel {platform}:{handle} already exists")
    channel = Channel(platform=platform, handle=handle, name=(name or handle).strip(), base_url=base_url,
                      credentials=box.seal(credentials) if credentials else None, quorum=quorum,
                      timezone=timezone, active=True, crisis_mode=False)
    session.add(channel)
    session.flush()
    audit.record(session, actor.label, "channel.add", "channel", channel.id, None, channel_state(channel))
    return channel


def _check_base_url(session: Session, base_url: str) -> None:
    """http(s) only, and not into the installation's own network: the workers connect there with
    the channel's token (connect-time checks: publishing/connectors/checked_http.py)."""
    if not re.match(r"^https?://", base_url):
        raise InvalidInput("base_url must start with http:// or https://")
    if session.info.get(ALLOW_PRIVATE):
        return
    try:
        refuse_private_url(base_url)
    except ValueError as exc:
        raise InvalidInput(f"base_url is not a valid URL: {exc}") from None
    except PrivateAddress as exc:
        raise InvalidInput(f"base_url is refused: {exc}") from None


def list_channels(session: Session, actor: Actor) -> list[Channel]:
    require(actor, Action.CHANNEL_LIST)
    return list(session.scalars(select(Channel).order_by(Channel.id)))


def set_credentials(session: Session, actor: Actor, box: CredentialBox, ref: int | str, credentials: dict) -> Channel:
    require(actor, Action.CHANNEL_MANAGE)
    channel = get_channel(session, ref)
    before = channel_state(channel)
    channel.credentials = box.seal(credentials)
    session.flush()
    audit.record(session, actor.label, "channel.credentials", "channel", channel.id, before, channel_state(channel),
                 {"rotated": True})
    return channel
