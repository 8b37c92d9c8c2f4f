"""A local stand-in for a Mastodon server: for what no real server here shows.

The connector, the outbox's fault tests and the polling of mentions run against a real server of
the Mastodon API, snac2 (tests/servers/snac.py). snac does not show two things mastodon.social
does, which the tests take from this stand-in: `Idempotency-Key` honoured (snac posts the same key
twice) and 429 with `X-RateLimit-*` headers (snac has no rate limit). Other tests use it as a fast
in-process platform where the platform is not what they test (README, "Platforms", lists them).

No Mastodon server can be installed from the package registries this project may use, so this
implements the part of the documented Mastodon REST API (docs.joinmastodon.org) that onevoice
uses, with the documented behaviour: bearer-token auth, statuses with the 500-character limit
(links count as 23), `Idempotency-Key` (the same key returns the same status for an hour),
media with descriptions, replies and context, favourites and their counts, mention
notifications with `since_id`/`max_id` paging and a `Link` header, accounts with follower counts,
rate limiting with `X-RateLimit-*` headers, and the OAuth authorization-code flow an app signs in
with (docs.joinmastodon.org/spec/oauth, /methods/apps, /methods/oauth): registering an app
(POST /api/v1/apps), the authorize page a person approves in their browser (a real HTML form with
"Authorize" and "Deny"), one-time codes exchanged at POST /oauth/token (PKCE S256 checked when the
authorize request carried a challenge, as Mastodon 4.3 does), and the server's OAuth metadata. It keeps everything in memory and can be told
to fail (`faults`) so tests can drive errors, retries and crashes. It is test infrastructure,
not a Mastodon server.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import itertools
import secrets
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urlencode

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse
from starlette.routing import Route

from tests.servers import free_port

URL = re.compile(r"https?://\S+")


@dataclass
class Faults:
    fail_next: int = 0             # answer the next N status posts with 503
    rate_limited_for: float = 0.0  # answer 429 until this unix time
    delay_s: float = 0.0           # sleep before answering (timeouts)
    drop_after_create: int = 0     # create the status, then reset the connection (N times)
    hold_after_create_s: float = 0.0  # create the status, then wait before answering (a worker can be killed)


@dataclass
class Account:
    id: str
    username: str
    token: str
    followers: int = 0


@dataclass
class State:
    accounts: dict[str, Account] = field(default_factory=dict)
    statuses: dict[str, dict] = field(default_factory=dict)
    media: dict[str, dict] = field(default_factory=dict)
    idempotency: dict[tuple[str, str], tuple[float, str]] = field(default_factory=dict)
    notifications: list[dict] = field(default_factory=list)
    favourites: dict[str, set] = field(default_factory=dict)
    ids: itertools.count = field(default_factory=lambda: itertools.count(100_000))
    faults: Faults = field(default_factory=Faults)
    posts_received: int = 0
    apps: dict[str, dict] = field(default_factory=dict)     # client_id -> registered app
    codes: dict[str, dict] = field(default_factory=dict)    # authorization code -> what it grants
    signed_in: str | None = None   # the username the authorize page acts for (default: the first account)
    code_ttl_s: float = 600.0      # Doorkeeper's default: a code is valid for 10 minutes

    def next_id(self) -> str:
        return str(next(self.ids))


def _now() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


def _error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


class MastodonAPI:
    def __init__(self) -> None:
        self.state = State()
        self.app = Starlette(routes=[
            Route("/api/v1/instance", self.instance),
            Route("/api/v2/instance", self.instance),
            Route("/api/v1/accounts/verify_credentials", self.verify_credentials),
            Route("/api/v1/accounts/{id}/statuses", self.account_statuses),
            Route("/api/v1/accounts/{id}", self.account),
            Route("/api/v1/statuses", self.post_status, methods=["POST"]),
            Route("/api/v1/statuses/{id}", self.status, methods=["GET", "DELETE"]),
            Route("/api/v1/statuses/{id}/context", self.context),
            Route("/api/v1/statuses/{id}/favourite", self.favourite, methods=["POST"]),
            Route("/api/v2/media", self.upload_media, methods=["POST"]),
            Route("/api/v1/media", self.upload_media, methods=["POST"]),
            Route("/api/v1/notifications", self.notifications),
            Route("/api/v1/apps", self.create_app, methods=["POST"]),
            Route("/oauth/authorize", self.authorize, methods=["GET", "POST"]),
            Route("/oauth/token", self.token, methods=["POST"]),
            Route("/.well-known/oauth-authorization-server", self.oauth_metadata),
        ])

    # --- helpers --------------------------------------------------------------------------
    def add_account(self, username: str, followers: int = 0) -> Account:
        acct = Account(id=self.state.next_id(), username=username, token=f"token-{username}", followers=followers)
        self.state.accounts[acct.token] = acct
        return acct

    def _auth(self, request: Request) -> Account | None:
        header = request.headers.get("authorization", "")
        return self.state.accounts.get(header.removeprefix("Bearer ").strip())

    def _account_json(self, a: Account) -> dict:
        return {"id": a.id, "username": a.username, "acct": a.username, "display_name": a.username,
                "followers_count": a.followers, "following_count": 0, "statuses_count":
                sum(1 for s in self.state.statuses.values() if s["account"]["id"] == a.id),
                "url": f"http://mastodon.test/@{a.username}", "created_at": _now(), "note": "", "locked": False,
                "bot": False, "avatar": "", "header": "", "fields": [], "emojis": []}

    def _status_json(self, s: dict) -> dict:
        return {**s, "favourites_count": len(self.state.favourites.get(s["id"], ())),
                "replies_count": sum(1 for x in self.state.statuses.values() if x["in_reply_to_id"] == s["id"])}

    # --- endpoints ------------------------------------------------------------------------
    async def instance(self, request: Request):
        return JSONResponse({"uri": "mastodon.test", "title": "local", "version": "4.3.0", "api_versions": {"mastodon": 2},
                             "configuration": {"statuses": {"max_characters": 500, "max_media_attachments": 4,
                                                            "characters_reserved_per_url": 23}}})

    async def verify_credentials(self, request: Request):
        acct = self._auth(request)
        if acct is None:
            return _error(401, "The access token is invalid")
        return JSONResponse(self._account_json(acct))

    async def account(self, request: Request):
        for a in self.state.accounts.values():
            if a.id == request.path_params["id"]:
                return JSONResponse(self._account_json(a))
        return _error(404, "Record not found")

    async def account_statuses(self, request: Request):
        """The account's statuses, newest first, `max_id`/`limit` paging (what find_published reads)."""
        if self._auth(request) is None:
            return _error(401, "The access token is invalid")
        aid, q = request.path_params["id"], request.query_params
        mine = sorted((s for s in self.state.statuses.values() if s["account"]["id"] == aid),
                      key=lambda s: int(s["id"]), reverse=True)
        if q.get("max_id"):
            mine = [s for s in mine if int(s["id"]) < int(q["max_id"])]
        return JSONResponse([self._status_json(s) for s in mine[: int(q.get("limit", 20))]])

    async def post_status(self, request: Request):
        f = self.state.faults
        if f.delay_s:
            await asyncio.sleep(f.delay_s)
        acct = self._auth(request)
        if acct is None:
            return _error(401, "The access token is invalid")
        self.state.posts_received += 1
        if f.rate_limited_for > time.time():
            reset = datetime.fromtimestamp(f.rate_limited_for, timezone.utc).isoformat()
            return _error(429, "Too many requests", {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0",
                                                     "X-RateLimit-Reset": reset})
        if f.fail_next > 0:
            f.fail_next -= 1
            return _error(503, "Service Unavailable")
        form = await request.form() if "form" in request.headers.get("content-type", "") else None
        data = dict(form) if form is not None else await request.json()
        media_ids = form.getlist("media_ids[]") if form is not None else data.get("media_ids", [])
        key = request.headers.get("idempotency-key")
        now = time.time()
        if key and (acct.token, key) in self.state.idempotency:
            at, sid = self.state.idempotency[(acct.token, key)]
            if now - at < 3600 and sid in self.state.statuses:
                return JSONResponse(self._status_json(self.state.statuses[sid]))
        text = data.get("status", "") or ""
        if len(URL.sub("x" * 23, text)) > 500:
            return _error(422, "Validation failed: Text character limit of 500 exceeded")
        if not text and not media_ids:
            return _error(422, "Validation failed: Text can't be blank")
        reply_to = data.get("in_reply_to_id") or None
        if reply_to and reply_to not in self.state.statuses:
            return _error(404, "Record not found")
        sid = self.state.next_id()
        status = {"id": sid, "created_at": _now(), "content": f"<p>{text}</p>", "text": text,
                  "in_reply_to_id": reply_to, "visibility": data.get("visibility") or "public",
                  "language": data.get("language"), "uri": f"http://mastodon.test/users/{acct.username}/statuses/{sid}",
                  "url": f"http://mastodon.test/@{acct.username}/{sid}", "account": self._account_json(acct),
                  "media_attachments": [self.state.media[m] for m in media_ids if m in self.state.media],
                  "reblogs_count": 0, "mentions": [], "tags": [], "emojis": [], "sensitive": False,
                  "spoiler_text": "", "reblog": None, "poll": None, "card": None, "favourited": False}
        self.state.statuses[sid] = status
        if key:
            self.state.idempotency[(acct.token, key)] = (now, sid)
        mentioned = [a for a in self.state.accounts.values() if f"@{a.username}" in text and a.id != acct.id]
        parent_owner = self.state.statuses[reply_to]["account"]["id"] if reply_to else None
        for a in self.state.accounts.values():
            if a in mentioned or (parent_owner == a.id and a.id != acct.id):
                self.state.notifications.append({"id": self.state.next_id(), "type": "mention", "created_at": _now(),
                                                 "account": self._account_json(acct), "status": status,
                                                 "_for": a.token})
        if f.hold_after_create_s:
            await asyncio.sleep(f.hold_after_create_s)
        if f.drop_after_create > 0:
            f.drop_after_create -= 1
            raise ConnectionResetError("dropped after creating the status")  # the client sees no answer
        return JSONResponse(self._status_json(status))

    async def status(self, request: Request):
        sid = request.path_params["id"]
        s = self.state.statuses.get(sid)
        if s is None:
            return _error(404, "Record not found")
        if request.method == "DELETE":
            acct = self._auth(request)
            if acct is None or acct.id != s["account"]["id"]:
                return _error(403, "This action is not allowed")
            del self.state.statuses[sid]
            return JSONResponse({**s, "text": s["text"]})
        return JSONResponse(self._status_json(s))

    async def context(self, request: Request):
        sid = request.path_params["id"]
        if sid not in self.state.statuses:
            return _error(404, "Record not found")
        out, frontier = [], [sid]
        while frontier:
            parent = frontier.pop(0)
            for s in self.state.statuses.values():
                if s["in_reply_to_id"] == parent:
                    out.append(self._status_json(s))
                    frontier.append(s["id"])
        return JSONResponse({"ancestors": [], "descendants": out})

    async def favourite(self, request: Request):
        acct = self._auth(request)
        if acct is None:
            return _error(401, "The access token is invalid")
        sid = request.path_params["id"]
        if sid not in self.state.statuses:
            return _error(404, "Record not found")
        self.state.favourites.setdefault(sid, set()).add(acct.id)
        return JSONResponse(self._status_json(self.state.statuses[sid]))

    async def upload_media(self, request: Request):
        acct = self._auth(request)
        if acct is None:
            return _error(401, "The access token is invalid")
        form = await request.form()
        upload = form.get("file")
        if upload is None:
            return _error(422, "Validation failed: File can't be blank")
        await upload.read()
        mid = self.state.next_id()
        self.state.media[mid] = {"id": mid, "type": "image", "url": f"http://mastodon.test/media/{mid}",
                                 "preview_url": None, "remote_url": None, "text_url": None, "meta": {},
                                 "description": form.get("description"), "blurhash": None}
        return JSONResponse(self.state.media[mid])

    async def notifications(self, request: Request):
        acct = self._auth(request)
        if acct is None:
            return _error(401, "The access token is invalid")
        mine = [n for n in self.state.notifications if n["_for"] == acct.token]
        q = request.query_params
        types = q.getlist("types[]")
        if types:
            mine = [n for n in mine if n["type"] in types]
        if q.get("since_id"):
            mine = [n for n in mine if int(n["id"]) > int(q["since_id"])]
        if q.get("min_id"):  # the page right after min_id, newest first (Mastodon: min_id wins over since_id)
            mine = sorted((n for n in mine if int(n["id"]) > int(q["min_id"])), key=lambda n: int(n["id"]))
            mine = mine[: int(q.get("limit", 40))]
        if q.get("max_id"):
            mine = [n for n in mine if int(n["id"]) < int(q["max_id"])]
        mine = sorted(mine, key=lambda n: int(n["id"]), reverse=True)[: int(q.get("limit", 40))]
        headers = {}
        if mine:
            base = str(request.url).split("?")[0]
            headers["Link"] = (f'<{base}?max_id={mine[-1]["id"]}>; rel="next", '
                               f'<{base}?min_id={mine[0]["id"]}>; rel="prev"')
        return JSONResponse([{k: v for k, v in n.items() if k != "_for"} for n in mine], headers=headers)


    # --- OAuth -------------------------------------------------------------------------------
    async def _params(self, request: Request) -> dict:
        if "json" in request.headers.get("content-type", ""):
            return dict(await request.json())
        return dict(await request.form())

    async def create_app(self, request: Request):
        data = await self._params(request)
        uris = data.get("redirect_uris")
        uris = uris if isinstance(uris, list) else str(uris or "").split()
        if not data.get("client_name") or not uris:
            return _error(422, "Validation failed: Application name can't be blank, Redirect URI can't be blank")
        app = {"id": self.state.next_id(), "name": data["client_name"], "website": data.get("website"),
               "redirect_uri": "\n".join(uris), "redirect_uris": uris, "scopes": str(data.get("scopes") or "read").split(),
               "client_id": secrets.token_urlsafe(32), "client_secret": secrets.token_urlsafe(32), "vapid_key": ""}
        self.state.apps[app["client_id"]] = app
        return JSONResponse(app)

    def _signed_in_account(self) -> Account | None:
        accounts = list({a.id: a for a in self.state.accounts.values()}.values())
        if self.state.signed_in:
            return next((a for a in accounts if a.username == self.state.signed_in), None)
        return accounts[0] if accounts else None

    @staticmethod
    def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
        return HTMLResponse(f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)}</title>"
                            f"<meta name=viewport content='width=device-width, initial-scale=1'></head>"
                            f"<body><main><h1>{html.escape(title)}</h1>{body}</main></body></html>", status_code=status)

    async def authorize(self, request: Request):
        q = dict(request.query_params) if request.method == "GET" else dict(await request.form())
        app = self.state.apps.get(q.get("client_id", ""))
        if app is None:
            return self._page("An error has occurred", "<p>Client authentication failed due to unknown client.</p>", 401)
        if q.get("redirect_uri") not in app["redirect_uris"]:
            return self._page("An error has occurred", "<p>The redirect uri included is not valid.</p>", 400)
        if q.get("response_type", "code") != "code":
            return self._page("An error has occurred", "<p>The authorization server does not support this response type.</p>", 400)
        scopes = str(q.get("scope") or "read").split()
        if not set(scopes) <= set(app["scopes"]):
            return self._page("An error has occurred", "<p>The requested scope is invalid, unknown, or malformed.</p>", 400)
        account = self._signed_in_account()
        if account is None:
            return self._page("Log in", "<p>No account to sign in with.</p>", 403)
        if request.method == "GET":
            hidden = "".join(f'<input type=hidden name="{html.escape(k)}" value="{html.escape(str(v))}">'
                             for k, v in q.items())
            return self._page("Authorization required",
                              f"<p><strong>{html.escape(app['name'])}</strong> would like permission to access your "
                              f"account @{html.escape(account.username)}: {html.escape(' '.join(scopes))}.</p>"
                              f"<form method=post action=/oauth/authorize>{hidden}"
                              f"<button type=submit name=decision value=approve>Authorize</button> "
                              f"<button type=submit name=decision value=deny>Deny</button></form>")
        target, state = q["redirect_uri"], q.get("state")
        sep = "&" if "?" in target else "?"
        if q.get("decision") != "approve":
            params = {"error": "access_denied", "error_description": "The resource owner or authorization server "
                      "denied the request."}
        else:
            code = secrets.token_urlsafe(32)
            self.state.codes[code] = {"client_id": app["client_id"], "redirect_uri": target, "scopes": scopes,
                                      "account": account, "at": time.time(),
                                      "challenge": q.get("code_challenge"),
                                      "method": q.get("code_challenge_method") or "plain"}
            params = {"code": code}
        if state is not None:
            params["state"] = state
        return RedirectResponse(f"{target}{sep}{urlencode(params)}", status_code=302)

    async def token(self, request: Request):
        data = await self._params(request)
        app = self.state.apps.get(str(data.get("client_id") or ""))
        if app is None or not secrets.compare_digest(str(data.get("client_secret") or ""), app["client_secret"]):
            return JSONResponse({"error": "invalid_client", "error_description": "Client authentication failed due "
                                 "to unknown client, no client authentication included, or unsupported "
                                 "authentication method."}, status_code=401)
        invalid = JSONResponse({"error": "invalid_grant", "error_description": "The provided authorization grant is "
                                "invalid, expired, revoked, does not match the redirection URI used in the "
                                "authorization request, or was issued to another client."}, status_code=400)
        if data.get("grant_type") != "authorization_code":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        grant = self.state.codes.pop(str(data.get("code") or ""), None)  # a code works once
        if grant is None or grant["client_id"] != app["client_id"] or grant["redirect_uri"] != data.get("redirect_uri"):
            return invalid
        if time.time() - grant["at"] > self.state.code_ttl_s:
            return invalid
        if grant["challenge"]:
            verifier = str(data.get("code_verifier") or "")
            if grant["method"] == "S256":
                verifier = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if not verifier or not secrets.compare_digest(verifier, grant["challenge"]):
                return invalid
        token = secrets.token_urlsafe(32)
        self.state.accounts[token] = grant["account"]  # a second token for the same account
        return JSONResponse({"access_token": token, "token_type": "Bearer", "scope": " ".join(grant["scopes"]),
                             "created_at": int(time.time())})

    async def oauth_metadata(self, request: Request):
        base = str(request.base_url).rstrip("/")
        return JSONResponse({"issuer": base + "/", "authorization_endpoint": f"{base}/oauth/authorize",
                             "token_endpoint": f"{base}/oauth/token", "app_registration_endpoint": f"{base}/api/v1/apps",
                             "scopes_supported": ["read", "write", "follow", "push"],
                             "response_types_supported": ["code"], "grant_types_supported": ["authorization_code"],
                             "code_challenge_methods_supported": ["S256"]})


class LocalMastodon:
    """Runs MastodonAPI on a free loopback port in a background thread."""

    def __init__(self) -> None:
        self.api = MastodonAPI()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(self.api.app, host="127.0.0.1", port=self.port, log_level="error"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "LocalMastodon":
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the local Mastodon API did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)
