"""Bluesky (AT Protocol), through the `atproto` package (0.0.73).

The connector signs in to the organization's PDS (`config.base_url`) with
`credentials["identifier"]` (else the channel's handle) and `credentials["password"]` (an app
password). Posting, replying, images and deleting are repository writes on the PDS. Reading back
(threads, counts, notifications, profiles) are `app.bsky.*` views, which the PDS forwards to its
AppView; `credentials["appview_did"]` ("did:...", optionally "#bsky_appview") names another one.

Exactly once: the post's record key is a TID derived from the outbox's idempotency key, so a
second publish with the same key finds the record already there and returns the same PostRef
instead of making a copy. The reference PDS answers a create of an existing key with a 500, and a
timed-out create may have gone through: after a failed create the record is looked up again.
`find_published`, which the outbox asks after an attempt whose outcome is unknown, is that same
look-up: the record key is a marker that survives on the server without being in the post's text
(it is part of the post's at:// address), so Bluesky needs no comparison of text and time.

Errors: 429, 5xx, timeouts and transport failures are ConnectorError(retryable=True), with
`retry_after` from the Retry-After or RateLimit-Reset headers; other 4xx are permanent and carry
the platform's own message (e.g. "AuthenticationRequired: Invalid identifier or password").
"""
from __future__ import annotations

import hashlib
import time
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from collections.abc import Mapping
from typing import Any, Callable, TypeVar

import httpx
from atproto import Client, models
from atproto_client.exceptions import RequestErrorBase
from atproto_client.request import Request
from atproto_core.exceptions import AtProtocolError

from . import checked_http
from .addresses import PrivateAddress
from ..limits import LIMITS as PLATFORM_LIMITS
from .base import ConnectorConfig, ConnectorError, PostCounts, PostRef, PublishRequest, RemoteComment

LIMITS = PLATFORM_LIMITS["bluesky"]  # the one table, publishing/limits.yaml
POST = "app.bsky.feed.post"
TIMEOUT = httpx.Timeout(30.0, connect=10.0)
_B32 = "234567abcdefghijklmnopqrstuvwxyz"  # the TID alphabet (base32-sortable)
T = TypeVar("T")


def record_key(idempotency_key: str) -> str:
    """A valid TID (13 base32-sortable characters, top bit clear) derived from the key: the same
    key always gives the same record key, different keys practically never collide (63 bits)."""
    n = int.from_bytes(hashlib.sha256(idempotency_key.encode("utf-8")).digest()[:8], "big") & ((1 << 63) - 1)
    return "".join(_B32[(n >> shift) & 31] for shift in range(60, -1, -5))


def _rkey(uri: str) -> str:
    return uri.rsplit("/", 1)[-1]


def _repo(uri: str) -> str:
    return uri.split("/")[2]  # at://<did>/<collection>/<rkey>


def _when(value: str | None) -> datetime:
    if not value:
        return datetime.now(timezone.utc)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(timezone.utc)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _web_url(handle: str, uri: str) -> str:
    return f"https://bsky.app/profile/{handle}/post/{_rkey(uri)}"


class BlueskyConnector:
    platform = "bluesky"
    limits = LIMITS

    def __init__(self, config: ConnectorConfig, *, timeout: httpx.Timeout | float = TIMEOUT) -> None:
        creds = config.credentials or {}
        identifier = creds.get("identifier") or (config.handle or "").lstrip("@")
        password = creds.get("password")
        if not identifier or not password or not config.base_url:
            raise ConnectorError("a Bluesky channel needs base_url (its PDS), an identifier and a password",
                                 retryable=False)
        transport = {} if config.allow_private_urls else {"transport": checked_http.httpx_transport()}
        self.client = Client(base_url=config.base_url, request=Request(timeout=timeout, **transport))
        # fetch_bsky_profile=False: signing in needs only the PDS, not an AppView
        self._call(self.client.login, identifier, password, fetch_bsky_profile=False)
        session = self._call(self.client.com.atproto.server.get_session)
        self.did, self.handle = session.did, session.handle
        appview = creds.get("appview_did")
        if appview:
            did, _, service = appview.partition("#")
            self._call(self.client.configure_proxy_header, service or "bsky_appview", did)

    # -- errors -----------------------------------------------------------------------------

    def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return fn(*args, **kwargs)
        except RequestErrorBase as exc:
            raise _error(exc) from None
        except PrivateAddress as exc:
            raise ConnectorError(str(exc), retryable=False) from None
        except httpx.TransportError as exc:  # what the SDK lets through (protocol errors, ...)
            raise ConnectorError(f"Bluesky did not answer: {type(exc).__name__}: {exc}", retryable=True,
                                 outcome_unknown=not isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout))) from None
        except AtProtocolError as exc:  # an answer the SDK could not read
            raise ConnectorError(f"Bluesky: {type(exc).__name__}: {exc}", retryable=False) from None

    # -- publishing ---------------------------------------------------------------------------

    def _get_post(self, repo: str, rkey: str) -> Any:
        """The post record, or None when there is none (RecordNotFound)."""
        try:
            return self._call(self.client.com.atproto.repo.get_record,
                              {"repo": repo, "collection": POST, "rkey": rkey})
        except ConnectorError as exc:
            if exc.status in (400, 404) and ("RecordNotFound" in exc.message or "NotFound" in exc.message):
                return None
            raise

    def find_published(self, request: PublishRequest, since: datetime | None = None) -> PostRef | None:
        """The post an earlier publish of this request made: the record at the key derived from
        its idempotency key, or None. Exact whenever it was made (`since` is not needed): no
        other post can have that key."""
        existing = self._get_post(self.did, record_key(request.idempotency_key))
        return self._ref(existing.uri, existing.cid) if existing is not None else None

    def publish(self, request: PublishRequest) -> PostRef:
        rkey = record_key(request.idempotency_key)
        existing = self.find_published(request)
        if existing is not None:  # an earlier attempt got through: the same post, not a second one
            return existing
        if len(request.media) > LIMITS.max_media:
            raise ConnectorError(f"Bluesky takes at most {LIMITS.max_media} images per post", retryable=False)
        record = models.AppBskyFeedPost.Record(
            text=request.text, created_at=self.client.get_current_time_iso(),
            langs=[request.language] if request.language else None,
            facets=self._call(self.client.detect_facets, request.text) or None,  # links, #tags, @mentions
            reply=self._reply_ref(request.reply_to) if request.reply_to else None,
            embed=self._images(request) if request.media else None)
        data = models.ComAtprotoRepoCreateRecord.Data(repo=self.did, collection=POST, rkey=rkey, record=record)
        try:
            created = self._call(self.client.com.atproto.repo.create_record, data)
        except ConnectorError:
            # the key exists already (a concurrent or timed-out earlier attempt): read it back
            again = self._get_post(self.did, rkey)
            if again is not None:
                return self._ref(again.uri, again.cid)
            raise
        return self._ref(created.uri, created.cid)

    def _images(self, request: PublishRequest) -> models.AppBskyEmbedImages.Main:
        images = []
        for m in request.media:
            if not m.mime_type.startswith("image/"):
                raise ConnectorError(f"Bluesky posts here carry images only, not {m.mime_type}", retryable=False)
            blob = self._call(self.client.com.atproto.repo.upload_blob, m.data,
                              headers={"Content-Type": m.mime_type}).blob
            images.append(models.AppBskyEmbedImages.Image(alt=m.alt or "", image=blob))
        return models.AppBskyEmbedImages.Main(images=images)

    def _reply_ref(self, parent: PostRef) -> models.AppBskyFeedPost.ReplyRef:
        """Parent and thread root: the root is the parent's root when the parent is itself a reply."""
        record = self._get_post(_repo(parent.id), _rkey(parent.id))
        if record is not None:
            uri, cid, value = record.uri, record.cid, record.value
        else:  # not on this PDS: ask the AppView
            found = self._call(self.client.app.bsky.feed.get_posts, {"uris": [parent.id]}).posts
            if not found:
                raise ConnectorError(f"Bluesky: the post to reply to does not exist: {parent.id}", retryable=False,
                                     status=404)
            uri, cid, value = found[0].uri, found[0].cid, found[0].record
        parent_ref = models.ComAtprotoRepoStrongRef.Main(uri=uri, cid=parent.cid or cid)
        reply = getattr(value, "reply", None)
        root = models.ComAtprotoRepoStrongRef.Main(uri=reply.root.uri, cid=reply.root.cid) if reply else parent_ref
        return models.AppBskyFeedPost.ReplyRef(root=root, parent=parent_ref)

    def _ref(self, uri: str, cid: str) -> PostRef:
        return PostRef(id=uri, cid=cid, url=_web_url(self.handle, uri))

    def delete(self, ref: PostRef) -> None:
        """Delete the post; deleting one that is already gone succeeds (the goal is reached)."""
        self._call(self.client.com.atproto.repo.delete_record,
                   {"repo": _repo(ref.id), "collection": POST, "rkey": _rkey(ref.id)})

    # -- reading back (AppView) -------------------------------------------------------------------

    def _followers_of(self, dids: set[str]) -> dict[str, int]:
        """Followers per author, for triage (best effort: a failure leaves them unknown)."""
        out: dict[str, int] = {}
        ids = sorted(dids)
        for i in range(0, len(ids), 25):
            try:
                profiles = self._call(self.client.app.bsky.actor.get_profiles, {"actors": ids[i:i + 25]}).profiles
            except ConnectorError:
                continue
            out.update({p.did: p.followers_count for p in profiles if p.followers_count is not None})
        return out

    def fetch_replies(self, ref: PostRef) -> list[RemoteComment]:
        """Every reply below the post (the whole visible tree), oldest first."""
        thread = self._call(self.client.app.bsky.feed.get_post_thread, {"uri": ref.id, "depth": 20}).thread
        posts, stack = [], list(getattr(thread, "replies", None) or [])
        while stack:
            node = stack.pop()
            post = getattr(node, "post", None)  # NotFoundPost / BlockedPost have none
            if post is None:
                continue
            posts.append(post)
            stack.extend(getattr(node, "replies", None) or [])
        followers = self._followers_of({p.author.did for p in posts})
        out = []
        for p in posts:
            reply = getattr(p.record, "reply", None)
            out.append(RemoteComment(
                id=p.uri, author=p.author.handle, text=getattr(p.record, "text", ""),
                created_at=_when(getattr(p.record, "created_at", None) or p.indexed_at), kind="reply",
                in_reply_to=reply.parent.uri if reply else ref.id, author_followers=followers.get(p.author.did),
                url=_web_url(p.author.handle, p.uri), cursor=p.indexed_at))
        return sorted(out, key=lambda c: c.created_at)

    def fetch_mentions(self, since_id: str | None = None, *, max_pages: int = 10) -> list[RemoteComment]:
        """Mentions, replies and quotes of the account from its notifications, newest first.

        `cursor` of each is the notification's indexedAt (an ISO timestamp, so the newest sorts
        last); pass the newest one back as `since_id` to get only what came after it."""
        notes, cursor = [], None
        for _ in range(max_pages):
            params = {"limit": 50, "reasons": ["mention", "reply", "quote"]}
            if cursor:
                params["cursor"] = cursor
            page = self._call(self.client.app.bsky.notification.list_notifications, params)
            fresh = [n for n in page.notifications if not since_id or n.indexed_at > since_id]
            notes.extend(fresh)
            cursor = page.cursor
            if not cursor or len(fresh) < len(page.notifications) or not page.notifications:
                break
        notes = [n for n in notes if n.reason in ("mention", "reply", "quote")]
        followers = self._followers_of({n.author.did for n in notes})
        out = []
        for n in notes:
            reply = getattr(n.record, "reply", None)
            out.append(RemoteComment(
                id=n.uri, author=n.author.handle, text=getattr(n.record, "text", "") or "",
                created_at=_when(getattr(n.record, "created_at", None) or n.indexed_at),
                kind="reply" if n.reason == "reply" else "mention",
                in_reply_to=reply.parent.uri if reply else None, author_followers=followers.get(n.author.did),
                url=_web_url(n.author.handle, n.uri), cursor=n.indexed_at))
        return out

    def counts(self, ref: PostRef) -> PostCounts:
        posts = self._call(self.client.app.bsky.feed.get_posts, {"uris": [ref.id]}).posts
        if not posts:
            if _repo(ref.id) == self.did and self._get_post(self.did, _rkey(ref.id)) is None:
                raise ConnectorError("Bluesky: the post no longer exists", retryable=False, status=404)
            raise ConnectorError("Bluesky: the post is not indexed yet", retryable=True)
        p = posts[0]
        return PostCounts(likes=p.like_count or 0, reposts=p.repost_count or 0, replies=p.reply_count or 0,
                          quotes=p.quote_count or 0, impressions=None)

    def followers(self) -> int:
        return int(self._call(self.client.app.bsky.actor.get_profile, {"actor": self.did}).followers_count or 0)

    def account(self) -> str:
        """The account the session reached (com.atproto.server.getSession, read at sign-in): "@handle"."""
        return "@" + str(self.handle)


# -- error mapping --------------------------------------------------------------------------------

def _error(exc: RequestErrorBase) -> ConnectorError:
    response = exc.response
    if response is None:  # transport failure or timeout: nothing arrived
        cause = exc.__cause__ or exc.__context__
        what = f"{type(cause).__name__}: {cause}" if cause else type(exc).__name__
        # a connection that could not be opened sent nothing; any other failure may have come after the request
        sent = not isinstance(cause, (httpx.ConnectError, httpx.ConnectTimeout))
        return ConnectorError(f"Bluesky did not answer: {what}", retryable=True, outcome_unknown=sent)
    status = response.status_code
    retryable = status in (408, 429) or status >= 500
    retry_after = _retry_after(response.headers or {}) if retryable else None
    return ConnectorError(f"Bluesky: {_message(response)}", retryable=retryable, retry_after=retry_after,
                          status=status, outcome_unknown=status >= 500 or status == 408)


def _message(response: Any) -> str:
    content = response.content
    error, message = getattr(content, "error", None), getattr(content, "message", None)
    if isinstance(content, dict):
        error, message = content.get("error"), content.get("message")
    if error or message:
        return f"{error}: {message}" if error and message else str(error or message)
    if isinstance(content, bytes) and content:
        return f"HTTP {response.status_code}: {content[:200].decode('utf-8', 'replace')}"
    return f"HTTP {response.status_code}"


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait: Retry-After (seconds or an HTTP date), else RateLimit-Reset (a Unix time,
    as Bluesky sends it; small values are read as seconds, as the IETF draft has it)."""
    h = {str(k).lower(): str(v) for k, v in headers.items()}
    value = h.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                when = parsedate_to_datetime(value)
                if when.tzinfo is None:
                    when = when.replace(tzinfo=timezone.utc)
                return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
            except (TypeError, ValueError):
                pass
    reset = h.get("ratelimit-reset")
    if reset:
        try:
            n = float(reset)
        except ValueError:
            return None
        return max(0.0, n - time.time()) if n > 1_000_000_000 else max(0.0, n)
    return None
