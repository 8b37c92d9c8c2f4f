"""The one protocol every platform connector follows.

Connectors are adapters: they translate between onevoice and a platform's API and hold no
policy. Publishing is made exactly-once by the outbox (publishing/outbox.py) together with two
things every connector does:
- `find_published(request, since)`: the post an earlier attempt at this request made, read back
  from the platform, or None. The outbox asks it before sending again whenever an earlier
  attempt's outcome is unknown (a lost answer, a timeout, a 5xx, a worker that died between the
  platform call and the commit). It cannot rely on the platform deduplicating a repeated call:
  snac2 and other servers speaking the Mastodon API ignore `Idempotency-Key`, and mastodon.social
  keeps it for an hour only. Bluesky: the record key derived from the idempotency key; Mastodon:
  the account's recent statuses compared by text, reply and time (see each connector for why).
- errors say whether the call may have done its work: `ConnectorError.outcome_unknown`. A
  connector retries by itself only what reached no server (a refused or reset connect, a read
  error on a request the server never got); a request that may have been received is never sent
  again without `find_published` first, and that is the outbox's job, after its own commit.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class Media:
    """An image or video to attach. `alt` is required by policy for images (accessibility)."""

    data: bytes
    mime_type: str
    alt: str = ""


@dataclass(frozen=True)
class PostRef:
    """Where a published post lives. `id` is the platform's own id (Mastodon status id,
    Bluesky at:// URI); `cid` is Bluesky's content id (needed to reply to or like a post)."""

    id: str
    url: str | None = None
    cid: str | None = None


@dataclass(frozen=True)
class PublishRequest:
    text: str
    idempotency_key: str
    reply_to: PostRef | None = None
    media: tuple[Media, ...] = ()
    language: str | None = None


@dataclass(frozen=True)
class RemoteComment:
    """A reply or mention read back from the platform (input to triage, 3.)."""

    id: str                       # the platform's id, used to deduplicate
    author: str                   # handle
    text: str
    created_at: datetime
    kind: str = "reply"           # reply | mention
    in_reply_to: str | None = None
    author_followers: int | None = None
    url: str | None = None
    cursor: str | None = None     # where to continue polling from (e.g. the notification's id)


@dataclass(frozen=True)
class PostCounts:
    likes: int = 0
    reposts: int = 0
    replies: int = 0
    quotes: int = 0
    impressions: int | None = None  # only where the platform reports it


@dataclass(frozen=True)
class PlatformLimits:
    max_chars: int
    count_graphemes: bool = False   # Bluesky counts graphemes, Mastodon characters
    max_media: int = 4
    url_length: int | None = None   # Mastodon counts every link as 23 characters
    alt_required: bool = True       # our policy: every image needs alt text


class ConnectorError(Exception):
    """A platform call failed. `retryable` for 429/5xx/timeouts (retry with backoff, honouring
    `retry_after` seconds when the platform says); otherwise permanent, and `message` is the
    platform's own words, shown to the author.

    `outcome_unknown`: the request may have reached the platform and done its work although no
    answer saying so arrived (a timeout or a connection lost after sending, a 5xx, which a gateway
    also sends after the server behind it made the post). False when it certainly did nothing: a
    connection that could not be opened, a 429 or another 4xx refusal."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None,
                 status: int | None = None, outcome_unknown: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status
        self.outcome_unknown = outcome_unknown


@runtime_checkable
class Connector(Protocol):
    platform: str
    limits: PlatformLimits

    def publish(self, request: PublishRequest) -> PostRef: ...

    def find_published(self, request: PublishRequest, since: datetime) -> PostRef | None:
        """The post an earlier `publish(request)` made, if the platform has it; None if it has
        none. `since`: when the first attempt whose outcome is unknown started (the outbox's
        clock), so that only what was posted from then on is considered."""
        ...

    def delete(self, ref: PostRef) -> None: ...

    def fetch_replies(self, ref: PostRef) -> list[RemoteComment]: ...

    def fetch_mentions(self, since_id: str | None = None) -> list[RemoteComment]: ...

    def counts(self, ref: PostRef) -> PostCounts: ...

    def followers(self) -> int: ...

    def account(self) -> str:
        """Who the credentials sign in as ("@ipala@example.social", "@ipala.bsky.social")."""
        ...


@dataclass
class ConnectorConfig:
    """What a connector is built from: the channel's row plus its decrypted credentials, and
    whether it may connect to private addresses (settings.allow_private_urls; see addresses.py)."""

    platform: str
    handle: str
    base_url: str | None
    credentials: dict[str, Any] = field(default_factory=dict)
    allow_private_urls: bool = False
