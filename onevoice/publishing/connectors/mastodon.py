"""Mastodon, through Mastodon.py; tested against snac2, a real server of the Mastodon client API.

Exactly once. Publishing sends the outbox's idempotency key as the `Idempotency-Key` header:
mastodon.social keeps a key for an hour and answers a repeated post with the status it already
made. Other servers of the same API ignore it (snac2, the server the tests run against, posts the
same key twice), and an hour is not always enough, so the key is not what exactly-once rests on.
What it rests on is `find_published`: before the outbox sends again a post whose earlier attempt
got no answer, the connector reads the account's recent statuses and looks for that post. See
`find_published` for how a status is recognised, and why not by a marker.

Retries. The connector retries by itself only what reached no server: a connection that could
not be opened (refused, reset or timed out while connecting), for any request; and a connection
that broke before an answer, for reads (GET; DELETE, whose repeat finds the status gone, which
counts as deleted); not a read that timed out. A POST is never sent again by the connector: it
may have been received.
snac closes every connection after one answer without saying so ("Connection: close" is not
sent), so a pooled connection is often dead when the next request goes out on it; the request then
meets a reset and never reached snac. Reads retry that. A POST always opens a connection of its
own, so that a reset on it is never that race and always means "the outcome is unknown".

Rate limits are thrown, not slept on, so the outbox schedules the retry itself and a worker is
never parked for minutes.
"""
from __future__ import annotations

import io
import re
import time
import unicodedata
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import requests
from mastodon import Mastodon
from mastodon.errors import MastodonAPIError, MastodonNetworkError, MastodonRatelimitError, MastodonServerError
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError, ReadTimeoutError
from urllib3.util.retry import Retry

from . import checked_http
from .addresses import PrivateAddress
from ..limits import LIMITS as PLATFORM_LIMITS
from .base import (ConnectorConfig, ConnectorError, PostCounts, PostRef, PublishRequest,
                   RemoteComment)

LIMITS = PLATFORM_LIMITS["mastodon"]  # the one table, publishing/limits.yaml
TIMEOUT = 20          # seconds to wait for an answer
CONNECT_TIMEOUT = 5   # seconds to open a connection (a refused or unanswered connect is retried)
# Methods whose repeat changes nothing: a read error on them is retried (DELETE: a second delete
# finds the status gone, which delete() takes as done). POST is not among them.
REPEATABLE = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})


class _Retry(Retry):
    """urllib3's retries, less one: a read that timed out is not tried again. The server got the
    request and did not answer in time; asking twice more would make a hung server cost three
    timeouts per call (and the polling job makes many)."""

    def increment(self, method: str | None = None, url: str | None = None, response: Any = None,  # type: ignore[override]
                  error: Exception | None = None, _pool: Any = None, _stacktrace: Any = None) -> Retry:
        if isinstance(error, ReadTimeoutError):
            raise error
        return super().increment(method, url, response, error, _pool, _stacktrace)


RETRY = _Retry(total=3, connect=2, read=2, status=0, other=0, allowed_methods=REPEATABLE, backoff_factor=0.2,
               respect_retry_after_header=False, raise_on_status=False)
# find_published: how far before the attempt's start a status may be dated (the server's clock
# against the worker's; snac also drops the fraction of a second), and how much of the account's
# history is read (an organization's account does not post 200 statuses in the minutes a retry takes)
CLOCK_SKEW = timedelta(seconds=60)
LOOKUP_PAGE = 40
LOOKUP_PAGES = 5


class _Adapter(HTTPAdapter):
    """Retries what reached no server (RETRY), and sends every POST on a new connection."""

    def __init__(self) -> None:
        super().__init__(max_retries=RETRY)

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        if request.method not in REPEATABLE:
            # a pooled connection may have been closed by the server since its last answer (snac
            # closes each one): a POST sent on it would meet a reset that says nothing about
            # whether the server got it. Dropping the idle connections makes the POST open its own.
            self.poolmanager.clear()
            for manager in self.proxy_manager.values():
                manager.clear()
        return super().send(request, *args, **kwargs)


class _PublicAdapter(_Adapter, checked_http.PublicAdapter):
    """The same, connecting to public addresses only (checked_http.py)."""


def _session(allow_private_urls: bool) -> requests.Session:
    if not allow_private_urls:
        return checked_http.requests_session(_PublicAdapter())
    session = requests.Session()
    adapter = _Adapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _reached_no_server(exc: BaseException | None) -> bool:
    """Whether a failed request certainly never reached the server: its connection could not be
    opened. (requests wraps urllib3's MaxRetryError, whose reason is the last error; POSTs are
    retried on connect errors only, so for them that reason covers every try.)"""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, (requests.exceptions.ConnectTimeout, NewConnectionError, ConnectTimeoutError)):
            return True
        if isinstance(exc, MaxRetryError):
            return isinstance(exc.reason, (NewConnectionError, ConnectTimeoutError))
        inner = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else None
        exc, seen = inner or exc.__cause__ or exc.__context__, seen + 1
    return False


def _plain(html: str) -> str:
    from html import unescape

    text = re.sub(r"<br\s*/?>|</p>\s*<p>", "\n", html or "")
    return unescape(re.sub(r"<[^>]+>", "", text)).strip()


_MENTION_HOST = re.compile(r"(@[^\W_][\w.-]*)@[\w.-]+(?::\d+)?")
_WORD = re.compile(r"[^\W_]+")


def _words(text: str) -> tuple[str, ...]:
    """What survives of a status's text whatever the server made of it: its letters and digits,
    word by word, case-folded. Servers render the text as HTML (links, #tags), some apply
    markdown (snac: *this* becomes <i>this</i>), and a mention is shown with or without its server
    ("@bob" becomes "@bob@example.social" on snac, and "@bob@example.social" is shown as "@bob"
    on Mastodon), so those are compared without the server."""
    text = _MENTION_HOST.sub(r"\1", unicodedata.normalize("NFKC", text or ""))
    return tuple(_WORD.findall(text.casefold()))


def _when(value: Any) -> datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


class MastodonConnector:
    platform = "mastodon"
    limits = LIMITS

    def __init__(self, config: ConnectorConfig) -> None:
        token = config.credentials.get("access_token")
        if not token or not config.base_url:
            raise ConnectorError("a Mastodon channel needs base_url and credentials.access_token", retryable=False)
        timeout = float(config.credentials.get("timeout_s", TIMEOUT))
        self.api = Mastodon(access_token=token, api_base_url=config.base_url, ratelimit_method="throw",
                            # (connect, read): requests takes the pair, Mastodon.py passes it on
                            request_timeout=(min(CONNECT_TIMEOUT, timeout), timeout),  # type: ignore[arg-type]
                            version_check_mode="none", session=_session(config.allow_private_urls))
        self.handle = config.handle
        self.base_url = config.base_url
        self._account_id: str | None = None

    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except MastodonRatelimitError:
            reset = getattr(self.api, "ratelimit_reset", None)
            retry_after = max(1.0, float(reset) - time.time()) if reset else 60.0
            raise ConnectorError("Mastodon rate limit reached", retryable=True, retry_after=retry_after, status=429) from None
        except MastodonServerError as exc:
            # a 5xx may come from a gateway after the server behind it did the work
            raise ConnectorError(f"Mastodon server error ({_status(exc)}): {_message(exc)}", retryable=True,
                                 status=_status(exc), outcome_unknown=True) from None
        except MastodonNetworkError as exc:
            if isinstance(exc.__context__, PrivateAddress):  # Mastodon.py wraps whatever the request raised
                raise ConnectorError(str(exc.__context__), retryable=False) from None
            raise ConnectorError(f"Mastodon did not answer: {exc}", retryable=True,
                                 outcome_unknown=not _reached_no_server(exc.__context__)) from None
        except MastodonAPIError as exc:
            status = _status(exc)
            if status == 401 and not _said(exc):
                # Mastodon says "The access token is invalid"; snac answers 401 with an empty body
                raise ConnectorError("the access token is invalid or was revoked (the server answered "
                                     f"{_message(exc)})", retryable=False, status=401) from None
            raise ConnectorError(_message(exc), retryable=False, status=status) from None

    def publish(self, request: PublishRequest) -> PostRef:
        media_ids = []
        for m in request.media:
            try:
                uploaded = self._call(self.api.media_post, io.BytesIO(m.data), mime_type=m.mime_type,
                                      description=m.alt or None)
            except ConnectorError as exc:
                # an upload that may have gone through makes an unattached file, never a status
                exc.outcome_unknown = False
                raise
            media_ids.append(uploaded["id"])
        status = self._call(self.api.status_post, request.text,
                            in_reply_to_id=request.reply_to.id if request.reply_to else None,
                            media_ids=media_ids or None, language=request.language,
                            idempotency_key=request.idempotency_key)
        return PostRef(id=str(status["id"]), url=status.get("url"))

    def find_published(self, request: PublishRequest, since: datetime) -> PostRef | None:
        """The status an earlier `publish(request)` made, from the account's recent statuses
        (GET /api/v1/accounts/:id/statuses, newest first, reblogs left out), or None.

        A status is the request's when it is dated from `since` on (less CLOCK_SKEW), answers the
        same post (or none), has as many attachments, and has the same words (`_words`: its source
        text where the server gives it, as snac does, else its HTML content). The oldest such
        status is returned: the first attempt's.

        Why text and time, and no marker. A marker that survives on the server would have to be
        in the status: visible ("#ov-3f2a", a footer), it puts noise in the organization's voice
        and takes characters from the limit; invisible (zero-width characters, variation
        selectors), it changes the approved text all the same, is read out by some screen readers,
        goes along in copies and quotes, is stripped or normalized by some servers, and hides data
        in a public post. The other fields of a status are visible or mean something (content
        warning, language, visibility, a poll, a schedule). So a status is recognised by what the
        committee approved. The trade-off: a status with the same words posted by the same
        account within that window (by hand, or from another draft with the same text and reply)
        is taken for this one: the draft is then marked published with that status's address,
        and one post fewer goes out, never one more. A status the server makes only after this
        look-up (a request still being worked on after the outbox's backoff) is not seen.
        """
        account = self._me()
        floor = since - CLOCK_SKEW
        want = _words(request.text)
        reply_to = str(request.reply_to.id) if request.reply_to else ""
        found, max_id = None, None
        for _ in range(LOOKUP_PAGES):
            page = self._call(self.api.account_statuses, account, exclude_reblogs=True, limit=LOOKUP_PAGE,
                              max_id=max_id)
            dates = []
            for s in page:
                created = _when(s.get("created_at"))
                dates.append(created)
                if s.get("reblog") or created is None or created < floor:
                    continue
                if str(s.get("in_reply_to_id") or "") != reply_to:
                    continue
                if len(s.get("media_attachments") or ()) != len(request.media):
                    continue
                same = want in (_words(s.get("text") or ""), _words(_plain(s.get("content") or "")))
                if same and (found is None or created <= found[0]):  # the oldest: the first attempt's
                    found = (created, s)
            known = [d for d in dates if d is not None]
            if len(page) < LOOKUP_PAGE or (known and min(known) < floor):
                break
            max_id = page[-1]["id"]
        if found is None:
            return None
        return PostRef(id=str(found[1]["id"]), url=found[1].get("url"))

    def _me(self) -> str:
        if self._account_id is None:
            self._account_id = str(self._call(self.api.account_verify_credentials)["id"])
        return self._account_id

    def delete(self, ref: PostRef) -> None:
        try:
            self._call(self.api.status_delete, ref.id)
        except ConnectorError as exc:
            if exc.status == 404:  # already gone: the goal of the call is reached
                return
            raise

    def _comment(self, status: Any, kind: str) -> RemoteComment:
        account = status["account"]
        created = _when(status.get("created_at"))
        return RemoteComment(id=str(status["id"]), author=account.get("acct") or account.get("username", ""),
                             text=_plain(status.get("content", "")), created_at=created or datetime.now(timezone.utc),
                             kind=kind, in_reply_to=str(status["in_reply_to_id"]) if status.get("in_reply_to_id") else None,
                             author_followers=account.get("followers_count"), url=status.get("url"))

    def fetch_replies(self, ref: PostRef) -> list[RemoteComment]:
        context = self._call(self.api.status_context, ref.id)
        return [self._comment(s, "reply") for s in context["descendants"]]

    def fetch_mentions(self, since_id: str | None = None) -> list[RemoteComment]:
        """Mentions (replies included: Mastodon notifies both as "mention"), newest first; `cursor`
        of each is the notification's id, and `since_id` the newest cursor of the last poll.

        The cursor goes as min_id (the page right after it: with more than one page waiting,
        nothing is skipped; snac knows only min_id) and as since_id (for servers that know only
        that one; Mastodon takes min_id when both come). The type is checked here too: snac 2.75
        ignores `types[]`."""
        notes = self._call(self.api.notifications, types=["mention"], min_id=since_id, since_id=since_id, limit=40)
        out = []
        for n in notes:
            if n.get("type") != "mention" or not n.get("status"):
                continue
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


def _said(exc: Exception) -> bool:
    """Whether the server gave its own words (an "error" in a JSON body)."""
    return len(exc.args) >= 4 and bool(exc.args[3])


def _message(exc: Exception) -> str:
    if len(exc.args) >= 4 and exc.args[3]:
        return str(exc.args[3])
    if len(exc.args) >= 3:
        return f"{exc.args[1]} {exc.args[2]}"
    return str(exc)
