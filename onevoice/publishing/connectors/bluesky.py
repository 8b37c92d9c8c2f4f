"""Bluesky (AT Protocol), through the `atproto` package.

Exactly once: the post's record key is derived from the outbox's idempotency key, so a retry
after a crash looks the record up before creating it, and a second create of the same key
finds the first one instead of making a copy. Reading replies, mentions and counts needs an
AppView; against a bare PDS the connector still posts, replies and deletes.
"""
from __future__ import annotations

import hashlib
import re
import time
from datetime import datetime, timezone

from atproto import Client
from atproto_client.exceptions import (BadRequestError, NetworkError, RequestErrorBase, UnauthorizedError)

from .base import ConnectorConfig, ConnectorError, PlatformLimits, PostCounts, PostRef, PublishRequest, RemoteComment

LIMITS = PlatformLimits(max_chars=300, count_graphemes=True, max_media=4)
POST = "app.bsky.feed.post"
_B32 = "234567abcdefghijklmnopqrstuvwxyz"
_URL = re.compile(r"https?://[^\s)\]]+")
_TAG = re.compile(r"(?<![\w#])#([^\s#\d][^\s#]{0,63})")


def record_key(idempotency_key: str) -> str:
    """A valid TID (13 base32-sortable characters, top bit clear) derived from the key."""
    n = int.from_bytes(hashlib.sha256(idempotency_key.encode()).digest()[:8], "big") & ((1 << 63) - 1)
    out = []
    for _ in range(13):
        out.append(_B32[n & 31])
        n >>= 5
    return "".join(reversed(out))


def facets(text: str) -> list[dict]:
    """Links and hashtags as rich-text facets (byte offsets in UTF-8, as the protocol wants)."""
    out = []

    def span(start: int, end: int) -> dict:
        return {"byteStart": len(text[:start].encode()), "byteEnd": len(text[:end].encode())}

    for m in _URL.finditer(text):
        url = m.group().rstrip(".,;:!?")
        out.append({"index": span(m.start(), m.start() + len(url)),
                    "features": [{"$type": "app.bsky.richtext.facet#link", "uri": url}]})
    for m in _TAG.finditer(text):
        tag = m.group(1).rstrip(".,;:!?")
        out.append({"index": span(m.start(), m.start() + 1 + len(tag)),
                    "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": tag}]})
    return out


def _rkey(uri: str) -> str:
    return uri.rsplit("/", 1)[-1]


def _repo(uri: str) -> str:
    return uri.split("/")[2]


class BlueskyConnector:
    platform = "bluesky"
    limits = LIMITS

    def __init__(self, config: ConnectorConfig) -> None:
        creds = config.credentials
        identifier, password = creds.get("identifier") or config.handle, creds.get("password")
        if not password or not config.base_url:
            raise ConnectorError("a Bluesky channel needs base_url (its PDS) and credentials.password", retryable=False)
        self.client = Client(base_url=config.base_url)
        self.appview = creds.get("appview_did")  # e.g. "did:web:...#bsky_appview" on a private network
        self._call(self.client.login, identifier, password, fetch_bsky_profile=False)
        self.did = self.client.me.did if self.client.me else self._call(self.client.com.atproto.server.get_session).did
        self.handle = config.handle
        if self.appview:
            self.client = self.client.with_bsky_appview_proxy(self.appview) if hasattr(
                self.client, "with_bsky_appview_proxy") else self.client

    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except UnauthorizedError as exc:
            raise ConnectorError(f"Bluesky refused the sign-in or the call: {_details(exc)}", retryable=False,
                                 status=401) from None
        except NetworkError as exc:
            raise ConnectorError(f"Bluesky did not answer: {exc}", retryable=True) from None
        except (BadRequestError, RequestErrorBase) as exc:
            status = exc.response.status_code if exc.response is not None else None
            retry_after = None
            if exc.response is not None:
                reset = (exc.response.headers or {}).get("ratelimit-reset") or (exc.response.headers or {}).get("RateLimit-Reset")
                if reset and str(reset).isdigit():
                    retry_after = max(1.0, int(reset) - time.time())
            retryable = status is None or status == 429 or status >= 500
            raise ConnectorError(f"Bluesky: {_details(exc)}", retryable=retryable, retry_after=retry_after,
                                 status=status) from None

    def _get(self, repo: str, rkey: str):
        try:
            return self.client.com.atproto.repo.get_record({"repo": repo, "collection": POST, "rkey": rkey})
        except RequestErrorBase as exc:
            if exc.response is not None and exc.response.status_code in (400, 404):
                return None  # RecordNotFound
            return self._call(lambda: (_ for _ in ()).throw(exc))

    def publish(self, request: PublishRequest) -> PostRef:
        rkey = record_key(request.idempotency_key)
        existing = self._get(self.did, rkey)
        if existing is not None:  # a previous attempt got through: same post, not a second one
            return self._ref(existing.uri, existing.cid)
        record: dict = {"$type": POST, "text": request.text,
                        "createdAt": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")}
        if request.language:
            record["langs"] = [request.language]
        f = facets(request.text)
        if f:
            record["facets"] = f
        if request.reply_to:
            record["reply"] = self._reply_ref(request.reply_to)
        if request.media:
            images = []
            for m in request.media:
                blob = self._call(self.client.upload_blob, m.data).blob
                images.append({"$type": "app.bsky.embed.images#image", "alt": m.alt or "", "image": blob})
            record["embed"] = {"$type": "app.bsky.embed.images", "images": images}
        try:
            created = self._call(self.client.com.atproto.repo.create_record,
                                 {"repo": self.did, "collection": POST, "rkey": rkey, "record": record})
        except ConnectorError:
            again = self._get(self.did, rkey)  # created meanwhile by a retry that raced us
            if again is not None:
                return self._ref(again.uri, again.cid)
            raise
        return self._ref(created.uri, created.cid)

    def _ref(self, uri: str, cid: str) -> PostRef:
        return PostRef(id=uri, cid=cid, url=f"https://bsky.app/profile/{self.handle}/post/{_rkey(uri)}")

    def _reply_ref(self, parent: PostRef) -> dict:
        record = self._call(self.client.com.atproto.repo.get_record,
                            {"repo": _repo(parent.id), "collection": POST, "rkey": _rkey(parent.id)})
        parent_ref = {"uri": record.uri, "cid": record.cid}
        reply = getattr(record.value, "reply", None)
        root = {"uri": reply.root.uri, "cid": reply.root.cid} if reply else parent_ref
        return {"root": root, "parent": parent_ref}

    def delete(self, ref: PostRef) -> None:
        self._call(self.client.com.atproto.repo.delete_record,
                   {"repo": _repo(ref.id), "collection": POST, "rkey": _rkey(ref.id)})

    def _comment(self, post, kind: str, cursor: str | None = None) -> RemoteComment:
        record = post.record
        created = getattr(record, "created_at", None) or datetime.now(timezone.utc).isoformat()
        reply = getattr(record, "reply", None)
        return RemoteComment(id=post.uri, author=post.author.handle, text=getattr(record, "text", ""),
                             created_at=datetime.fromisoformat(created.replace("Z", "+00:00")), kind=kind,
                             in_reply_to=reply.parent.uri if reply else None, author_followers=None,
                             url=f"https://bsky.app/profile/{post.author.handle}/post/{_rkey(post.uri)}", cursor=cursor)

    def fetch_replies(self, ref: PostRef) -> list[RemoteComment]:
        thread = self._call(self.client.app.bsky.feed.get_post_thread, {"uri": ref.id, "depth": 6}).thread
        out, stack = [], list(getattr(thread, "replies", None) or [])
        while stack:
            node = stack.pop(0)
            post = getattr(node, "post", None)
            if post is not None:
                out.append(self._comment(post, "reply"))
                stack.extend(getattr(node, "replies", None) or [])
        return out

    def fetch_mentions(self, since_id: str | None = None) -> list[RemoteComment]:
        notes = self._call(self.client.app.bsky.notification.list_notifications, {"limit": 50}).notifications
        out = []
        for n in notes:
            if n.reason not in ("mention", "reply", "quote"):
                continue
            if since_id and n.indexed_at <= since_id:
                continue
            text = getattr(n.record, "text", "")
            created = getattr(n.record, "created_at", n.indexed_at)
            out.append(RemoteComment(id=n.uri, author=n.author.handle, text=text,
                                     created_at=datetime.fromisoformat(created.replace("Z", "+00:00")),
                                     kind="mention" if n.reason != "reply" else "reply", cursor=n.indexed_at,
                                     url=f"https://bsky.app/profile/{n.author.handle}/post/{_rkey(n.uri)}"))
        return out

    def counts(self, ref: PostRef) -> PostCounts:
        posts = self._call(self.client.app.bsky.feed.get_posts, {"uris": [ref.id]}).posts
        if not posts:
            raise ConnectorError("Bluesky has no such post (deleted, or not indexed yet)", retryable=True)
        p = posts[0]
        return PostCounts(likes=p.like_count or 0, reposts=p.repost_count or 0, replies=p.reply_count or 0,
                          quotes=getattr(p, "quote_count", 0) or 0, impressions=None)

    def followers(self) -> int:
        return int(self._call(self.client.app.bsky.actor.get_profile, {"actor": self.did}).followers_count or 0)


def _details(exc: RequestErrorBase) -> str:
    content = exc.response.content if exc.response is not None else None
    if content is not None and hasattr(content, "error"):
        return f"{content.error}: {content.message}" if getattr(content, "message", None) else content.error
    return str(exc)
