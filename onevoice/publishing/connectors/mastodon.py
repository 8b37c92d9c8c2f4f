"""Mastodon, through Mastodon.py.

Publishing sends the outbox's idempotency key as Mastodon's `Idempotency-Key` header: the
server keeps the key for an hour and answers a repeated post with the status it already made,
which is what makes a retry after a crash safe. Rate limits are thrown, not slept on, so the
outbox schedules the retry itself and a worker is never parked for minutes.
"""
from __future__ import annotations

import io
import time
from datetime import datetime, timezone

from mastodon import Mastodon
from mastodon.errors import (MastodonAPIError, MastodonNetworkError, MastodonRatelimitError, MastodonServerError)

from . import checked_http
from .addresses import PrivateAddress
from .base import ConnectorConfig, ConnectorError, PlatformLimits, PostCounts, PostRef, PublishRequest, RemoteComment

LIMITS = PlatformLimits(max_chars=500, url_length=23, max_media=4)
TIMEOUT = 20


def _plain(html: str) -> str:
    import re
    from html import unescape

    text = re.sub(r"<br\s*/?>|</p>\s*<p>", "\n", html or "")
    return unescape(re.sub(r"<[^>]+>", "", text)).strip()


class MastodonConnector:
    platform = "mastodon"
    limits = LIMITS

    def __init__(self, config: ConnectorConfig) -> None:
        token = config.credentials.get("access_token")
        if not token or not config.base_url:
            raise ConnectorError("a Mastodon channel needs base_url and credentials.access_token", retryable=False)
        self.api = Mastodon(access_token=token, api_base_url=config.base_url, ratelimit_method="throw",
                            request_timeout=float(config.credentials.get("timeout_s", TIMEOUT)),
                            version_check_mode="none",
                            session=None if config.allow_private_urls else checked_http.requests_session())
        self.handle = config.handle
        self.base_url = config.base_url

    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except MastodonRatelimitError:
            reset = getattr(self.api, "ratelimit_reset", None)
            retry_after = max(1.0, float(reset) - time.time()) if reset else 60.0
            raise ConnectorError("Mastodon rate limit reached", retryable=True, retry_after=retry_after, status=429) from None
        except MastodonServerError as exc:
            raise ConnectorError(f"Mastodon server error ({_status(exc)}): {_message(exc)}", retryable=True,
                                 status=_status(exc)) from None
        except MastodonNetworkError as exc:
            if isinstance(exc.__context__, PrivateAddress):  # Mastodon.py wraps whatever the request raised
                raise ConnectorError(str(exc.__context__), retryable=False) from None
            raise ConnectorError(f"Mastodon did not answer: {exc}", retryable=True) from None
        except MastodonAPIError as exc:
            raise ConnectorError(_message(exc), retryable=False, status=_status(exc)) from None

    def publish(self, request: PublishRequest) -> PostRef:
        media_ids = []
        for m in request.media:
            uploaded = self._call(self.api.media_post, io.BytesIO(m.data), mime_type=m.mime_type,
                                  description=m.alt or None)
            media_ids.append(uploaded["id"])
        status = self._call(self.api.status_post, request.text,
                            in_reply_to_id=request.reply_to.id if request.reply_to else None,
                            media_ids=media_ids or None, language=request.language,
                            idempotency_key=request.idempotency_key)
        return PostRef(id=str(status["id"]), url=status.get("url"))

    def delete(self, ref: PostRef) -> None:
        try:
            self._call(self.api.status_delete, ref.id)
        except ConnectorError as exc:
            if exc.status == 404:  # already gone: the goal of the call is reached
                return
            raise

    def _comment(self, status, kind: str) -> RemoteComment:
        account = status["account"]
        created = status.get("created_at")
        if isinstance(created, str):
            created = datetime.fromisoformat(created.replace("Z", "+00:00"))
        return RemoteComment(id=str(status["id"]), author=account.get("acct") or account.get("username", ""),
                             text=_plain(status.get("content", "")), created_at=created or datetime.now(timezone.utc),
                             kind=kind, in_reply_to=str(status["in_reply_to_id"]) if status.get("in_reply_to_id") else None,
                             author_followers=account.get("followers_count"), url=status.get("url"))

    def fetch_replies(self, ref: PostRef) -> list[RemoteComment]:
        context = self._call(self.api.status_context, ref.id)
        return [self._comment(s, "reply") for s in context["descendants"]]

    def fetch_mentions(self, since_id: str | None = None) -> list[RemoteComment]:
        notes = self._call(self.api.notifications, types=["mention"], since_id=since_id, limit=40)
        out = []
        for n in notes:
            c = self._comment(n["status"], "mention")
            out.append(RemoteComment(**{**c.__dict__, "cursor": str(n["id"])}))
        return out

    def counts(self, ref: PostRef) -> PostCounts:
        s = self._call(self.api.status, ref.id)
        return PostCounts(likes=s.get("favourites_count", 0), reposts=s.get("reblogs_count", 0),
                          replies=s.get("replies_count", 0), quotes=0, impressions=None)

    def followers(self) -> int:
        return int(self._call(self.api.account_verify_credentials).get("followers_count", 0))

    def account(self) -> str:
        """The account the token reaches (GET /api/v1/accounts/verify_credentials), as people write
        it: "@ipala@example.social" (the server's name taken from the account's own address)."""
        try:
            me = self._call(self.api.account_verify_credentials)
        except ConnectorError as exc:
            # Mastodon answers a wrong or revoked token with 401 "The access token is invalid"; snac2
            # answers it with 422 and an empty body, so the admin read "422 Unprocessable Content" and
            # refuses_credentials took it for something other than the credentials (a test connection
            # never marked them failing). verify_credentials sends nothing but the token, so a 400 or
            # 422 to it can only be about the token: said in Mastodon's words, the server's kept.
            # (A 403 keeps its own words: Mastodon says there why, such as a scope or a disabled login.)
            if exc.status in (400, 422):
                raise ConnectorError(f"the access token is invalid or was revoked (the server answered "
                                     f"{exc.message})", retryable=False, status=exc.status) from None
            raise
        acct = str(me.get("acct") or me.get("username") or "")
        if not acct:
            raise ConnectorError("Mastodon answered verify_credentials without an account name", retryable=False)
        if "@" not in acct:
            from urllib.parse import urlsplit

            host = urlsplit(str(me.get("url") or "")).hostname or urlsplit(self.base_url).hostname
            acct = f"{acct}@{host}" if host else acct
        return "@" + acct


def _status(exc: Exception) -> int | None:
    return exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else None


def _message(exc: Exception) -> str:
    if len(exc.args) >= 4 and exc.args[3]:
        return str(exc.args[3])
    if len(exc.args) >= 3:
        return f"{exc.args[1]} {exc.args[2]}"
    return str(exc)
