"""Official channels (1.): the organization's accounts, with their credentials encrypted at rest.

An admin connects a channel in the app: signing in on a Mastodon server (OAuth, the web page runs
the browser part), pasting a Mastodon access token, or a Bluesky handle and app password. Every
way ends here: the credentials are tried on the platform first (`verify`), and only credentials
that reached an account are stored, sealed by the CredentialBox, with the account they reached.
What the last call with them found is kept on the channel (`credentials_ok`, `credentials_failed`):
"connected (checked ...)" or "credentials failing since ...", for the admin to see and act on.
Secrets never enter the audit log: `channel_state` says only whether credentials are stored.
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import datetime, timezone as dt_timezone
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

    def open_recent(self, sealed: str | bytes | None, max_age_s: int) -> dict | None:
        """What `seal` sealed at most `max_age_s` seconds ago, else None (forged, altered or too
        old: Fernet tokens carry their own time and MAC). For short-lived secrets such as a
        sign-in in progress."""
        if not sealed:
            return None
        try:
            return json.loads(self._fernet.decrypt(sealed if isinstance(sealed, bytes) else sealed.encode(),
                                                   ttl=max_age_s))
        except (InvalidToken, ValueError):
            return None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def channel_state(c: Channel) -> dict:
    # credentials are digested as "present or not": the log must never hold a secret
    return {"id": c.id, "platform": c.platform, "handle": c.handle, "name": c.name, "base_url": c.base_url,
            "quorum": c.quorum, "timezone": c.timezone, "active": c.active, "crisis_mode": c.crisis_mode,
            "credentials_set": bool(c.credentials), "account": c.account,
            "credentials_failing_since": _iso(c.credentials_failing_since), "credentials_error": c.credentials_error}


def connection(c: Channel) -> str:
    """connected | failing | unchecked | not connected: what the channel's page says of it."""
    if not c.credentials:
        return "not connected"
    if c.credentials_failing_since is not None:
        return "failing"
    return "connected" if c.checked_at is not None else "unchecked"


def get_channel(session: Session, ref: int | str) -> Channel:
    """A channel by id or by handle."""
    if isinstance(ref, int) or str(ref).isdigit():
        channel = session.get(Channel, int(ref))
    else:
        channel = session.scalar(select(Channel).where(Channel.handle == str(ref).lstrip("@")))
    if channel is None:
        raise NotFound(f"no channel {ref!r}")
    return channel


def _check_quorum(quorum) -> None:
    if not isinstance(quorum, int) or quorum < 1 or quorum > 10:
        raise InvalidInput("quorum must be a whole number from 1 to 10")


def _check_timezone(timezone: str) -> None:
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"unknown time zone {timezone!r}") from None


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
    _check_quorum(quorum)
    _check_timezone(timezone)
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


def check_new_channel(session: Session, actor: Actor, base_url: str | None, quorum: int, timezone: str) -> None:
    """What can be refused before the platform is called (the server address, quorum, zone), so
    that a sign-in is not started for a channel that could not be added afterwards."""
    require(actor, Action.CHANNEL_MANAGE)
    _check_quorum(quorum)
    _check_timezone(timezone)
    if not base_url:
        raise InvalidInput("give the server's address, such as https://mastodon.social")
    _check_base_url(session, base_url)


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


# -- connecting and the state of the credentials ----------------------------------------------------

PUBLISHER = "publisher"  # who the audit names when a platform call (not a person) found the change


def _now() -> datetime:
    return datetime.now(dt_timezone.utc)


def handle_of(account: str) -> str:
    """The channel's handle for the account a platform named: "@ipala@example.social" -> "ipala@example.social"."""
    return account.strip().lstrip("@")


def same_account(channel: Channel, account: str) -> bool:
    """Whether `account` is the channel's own account (a handle stored without the server's name,
    as `onevoice channel add` allows, matches the account's name on the channel's server)."""
    theirs, ours = handle_of(account).lower(), channel.handle.lstrip("@").lower()
    return theirs == ours or ("@" not in ours and theirs.split("@", 1)[0] == ours)


def add_connected_channel(session: Session, actor: Actor, box: CredentialBox, platform: str, account: str,
                          credentials: dict, name: str | None, base_url: str, quorum: int = 1,
                          timezone: str = "UTC") -> Channel:
    """A channel for credentials that just reached `account` on the platform (see `verify`)."""
    channel = add_channel(session, actor, box, platform, handle_of(account), name or None, base_url, credentials,
                          quorum, timezone)
    channel.checked_at, channel.account = _now(), account
    session.flush()
    return channel


def replace_credentials(session: Session, actor: Actor, box: CredentialBox, ref: int | str, credentials: dict,
                        account: str) -> Channel:
    """New credentials for a channel (a new sign-in, token or app password), which reached
    `account`: refused when that is another account than the channel's, since its posts would
    then go out under another name."""
    require(actor, Action.CHANNEL_MANAGE)
    channel = get_channel(session, ref)
    if not same_account(channel, account):
        raise Conflict(f"these credentials sign in as {account}, not as this channel's account "
                       f"@{channel.handle.lstrip('@')}; sign in as @{channel.handle.lstrip('@')}, or add a new channel")
    set_credentials(session, actor, box, channel.id, credentials)
    credentials_ok(session, channel.id, account, by=actor.label)
    return channel


def credentials_ok(session: Session, channel_id: int, account: str, *, by: str = PUBLISHER,
                   now: datetime | None = None) -> None:
    """The platform accepted the channel's stored credentials and named `account`. Audited when
    it changes something worth knowing (failing credentials work again, another account), not
    at every successful call."""
    channel = get_channel(session, int(channel_id))
    before = channel_state(channel)
    recovered = channel.credentials_failing_since is not None
    moved = bool(channel.account) and channel.account != account
    channel.checked_at, channel.account = now or _now(), account
    channel.credentials_failing_since = channel.credentials_error = None
    session.flush()
    if recovered or moved:
        audit.record(session, by, "channel.credentials_ok", "channel", channel.id, before, channel_state(channel),
                     {"account": account})


def credentials_failed(session: Session, channel_id: int, error: str, *, by: str = PUBLISHER,
                       now: datetime | None = None) -> None:
    """The platform refused the channel's stored credentials. `credentials_failing_since` keeps
    the first refusal (how long posts have not gone out); the error is the latest. Audited when
    the credentials start failing."""
    channel = get_channel(session, int(channel_id))
    before = channel_state(channel)
    when = now or _now()
    started = channel.credentials_failing_since is None
    channel.checked_at = when
    channel.credentials_failing_since = channel.credentials_failing_since or when
    channel.credentials_error = (error or "refused")[:1000]
    session.flush()
    if started:
        audit.record(session, by, "channel.credentials_failing", "channel", channel.id, before,
                     channel_state(channel), {"error": channel.credentials_error})


def connector_config(channel: Channel, box: CredentialBox, allow_private_urls: bool,
                     credentials: dict | None = None):
    from onevoice.publishing.connectors import ConnectorConfig

    return ConnectorConfig(platform=channel.platform, handle=channel.handle, base_url=channel.base_url,
                           credentials=box.open(channel.credentials) if credentials is None else credentials,
                           allow_private_urls=allow_private_urls)


def verify(platform: str, handle: str, base_url: str, credentials: dict, allow_private_urls: bool) -> str:
    """The account these credentials reach on the platform (a call to it; ConnectorError if not)."""
    from onevoice.publishing.connectors import ConnectorConfig, verify_credentials

    return verify_credentials(ConnectorConfig(platform=platform, handle=handle, base_url=base_url,
                                              credentials=credentials, allow_private_urls=allow_private_urls))


def check_connection(db, actor: Actor, box: CredentialBox, ref: int | str, allow_private_urls: bool) -> tuple[bool, str]:
    """Call the platform with the channel's stored credentials: (True, the account reached) or
    (False, why not). A refusal is recorded as failing credentials; a platform that does not
    answer says nothing about them and is only reported. The call is made outside any
    transaction: a slow platform must not hold the database's write lock."""
    from onevoice.publishing.connectors import ConnectorError, refuses_credentials, verify_credentials

    require(actor, Action.CHANNEL_MANAGE)
    with db.reader() as s:
        channel = get_channel(s, ref)
        channel_id = channel.id
        if not channel.credentials:
            raise InvalidInput("this channel has no credentials yet: connect it first")
        config = connector_config(channel, box, allow_private_urls)
    try:
        account = verify_credentials(config)
    except ConnectorError as exc:
        if not refuses_credentials(exc):
            return False, f"the platform could not be reached, the credentials were not checked: {exc.message}"
        with db.transaction() as s:
            credentials_failed(s, channel_id, exc.message, by=actor.label)
        return False, exc.message
    with db.transaction() as s:
        credentials_ok(s, channel_id, account, by=actor.label)
    return True, account


def update_channel(session: Session, actor: Actor, ref: int | str, name: str, quorum: int, timezone: str) -> Channel:
    require(actor, Action.CHANNEL_MANAGE)
    channel = get_channel(session, ref)
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise InvalidInput("give the channel a name (at most 200 characters)")
    _check_quorum(quorum)
    _check_timezone(timezone)
    before = channel_state(channel)
    channel.name, channel.quorum, channel.timezone = name, quorum, timezone
    session.flush()
    audit.record(session, actor.label, "channel.update", "channel", channel.id, before, channel_state(channel))
    return channel


def set_active(session: Session, actor: Actor, ref: int | str, active: bool) -> Channel:
    """Deactivate (nothing is published or polled on it; its history stays) or reactivate."""
    require(actor, Action.CHANNEL_MANAGE)
    channel = get_channel(session, ref)
    if channel.active == active:
        return channel
    before = channel_state(channel)
    channel.active = active
    session.flush()
    audit.record(session, actor.label, "channel.reactivate" if active else "channel.deactivate", "channel",
                 channel.id, before, channel_state(channel))
    return channel
