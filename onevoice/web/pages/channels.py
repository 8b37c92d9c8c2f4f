"""The official channels (1.): the admin adds them, connects their accounts and sees their state,
including the comments a worker could not store (dead letters).

Connecting never needs the command line. A Mastodon channel is connected by signing in on its
server (OAuth authorization code, PKCE), or with a pasted access token; a Bluesky channel with its
handle and an app password. The platform is asked first: only credentials that reached an account
are stored (encrypted), and the page says which account ("Connected as @ipala@example.social").

Signing in on Mastodon, step by step:
1. POST /admin/channels/mastodon/connect: the server's address is checked, onevoice registers an
   app there, and what the sign-in needs later (client secret, PKCE verifier, the new channel's
   name, quorum and zone) goes into a short-lived cookie, sealed (encrypted and signed) by the
   credential box. The browser is sent to /admin/channels/connect.
2. That page links to the server's authorize page. It is a link the admin follows, not a redirect
   after the form: the pages' CSP (form-action 'self') stops a form's navigation from leaving the
   site. The link's `state` is sealed too and names this sign-in session and a nonce; it expires.
3. The server sends the browser back to /admin/channels/oauth/callback with a code and the state.
   The state must be ours, fresh, for this very session and match the cookie's nonce; then the
   code is exchanged for a token, verify_credentials names the account, and the channel is stored.
"""
from __future__ import annotations

import secrets

from fastapi import APIRouter, Depends, Request

from onevoice.errors import InvalidInput
from onevoice.governance import channels as channel_service
from onevoice.governance.permissions import Action, require
from onevoice.publishing.connectors import ConnectorError
from onevoice.publishing.connectors import mastodon_oauth
from onevoice.store.models import Channel
from onevoice.system import System

from ..deps import Caller, get_system
from ..security import cookie_name, delete_cookie, set_cookie
from .dates import zone_names
from .forms import attempt, redirect
from .guard import member
from .render import page

router = APIRouter(prefix="/admin")

OAUTH_COOKIE = "onevoice_oauth"
OAUTH_SECONDS = 15 * 60  # time to sign in on the server and press "Authorize"
DEFAULT_PDS = "https://bsky.social"
PLATFORM_WORDS = {"mastodon": "Mastodon", "bluesky": "Bluesky"}


def _callback_url(system: System) -> str:
    return f"{system.settings.base_url.rstrip('/')}/admin/channels/oauth/callback"


def _text(form, name: str, default: str = "") -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else default


def _quorum(form) -> int:
    quorum = _text(form, "quorum", "1") or "1"
    if not quorum.isdigit():
        raise InvalidInput("approvals needed must be a whole number from 1 to 10")
    return int(quorum)


def _channel_rows(s, who: Caller) -> list[dict]:
    return [{**channel_service.channel_state(c), "connection": channel_service.connection(c),
             "checked_at": c.checked_at, "failing_since": c.credentials_failing_since,
             "platform_words": PLATFORM_WORDS.get(c.platform, c.platform)}
            for c in channel_service.list_channels(s, who.actor)]


def _list_page(request: Request, who: Caller, system: System, status: int = 200, error: str | None = None,
               form: dict | None = None, open_form: str | None = None):
    from onevoice.crisis import queue  # dead letters: pushed comments the workers could not store

    with system.db.reader() as s:
        rows = _channel_rows(s, who)
        failed = [queue.dead_letter_view(b) for b in queue.failed(s, who.actor)]
    # a form sent back with an error keeps what was typed, never a secret (token, app password)
    return page(request, "admin/channels.html", status=status, who=who, channels=rows, failed=failed,
                flash=request.query_params.get("flash"), error=error, form=form or {}, open_form=open_form,
                zones=zone_names(), default_pds=DEFAULT_PDS)


def _kept(form) -> dict:
    return {k: _text(form, k) for k in ("base_url", "name", "quorum", "timezone", "handle", "pds")}


@router.get("/channels")
def channels(request: Request, who: Caller = Depends(member), system: System = Depends(get_system)):
    require(who.actor, Action.CHANNEL_MANAGE)
    return _list_page(request, who, system)


def _channel_or_none(system: System, who: Caller, channel_id: str) -> Channel | None:
    if not channel_id:
        return None
    if not channel_id.isdigit():
        raise InvalidInput("no such channel")
    with system.db.reader() as s:
        channel = channel_service.get_channel(s, int(channel_id))
        s.expunge(channel)
        return channel


def _error_page(request: Request, who: Caller, system: System, error: str, form, channel: Channel | None,
                open_form: str):
    if channel is not None:
        return _edit_page(request, who, system, channel.id, status=422, error=error)
    return _list_page(request, who, system, status=422, error=error, form=_kept(form), open_form=open_form)


# -- Mastodon: sign in on the server ----------------------------------------------------------------

@router.post("/channels/mastodon/connect")
async def mastodon_connect(request: Request, who: Caller = Depends(member), system: System = Depends(get_system)):
    require(who.actor, Action.CHANNEL_MANAGE)
    form = await request.form()
    channel: Channel | None = None

    def start():
        nonlocal channel
        channel = _channel_or_none(system, who, _text(form, "channel_id"))
        if channel is not None:  # signing in again, for the channel's own server
            base_url, name, quorum, zone = channel.base_url, channel.name, channel.quorum, channel.timezone
        else:
            base_url, name = _text(form, "base_url").rstrip("/"), _text(form, "name")
            quorum, zone = _quorum(form), _text(form, "timezone") or "UTC"
        with system.db.reader() as s:
            channel_service.check_new_channel(s, who.actor, base_url, quorum, zone)
        try:
            app = mastodon_oauth.register_app(base_url, _callback_url(system), system.settings.base_url,
                                              allow_private_urls=system.settings.allow_private_urls)
        except ConnectorError as exc:
            raise InvalidInput(f"could not register onevoice on {base_url}: {exc.message}") from None
        verifier, _ = mastodon_oauth.pkce_pair()
        return {"nonce": secrets.token_urlsafe(16), "sid": who.session_id, "base_url": app.base_url,
                "client_id": app.client_id, "client_secret": app.client_secret, "verifier": verifier,
                "name": name, "quorum": quorum, "timezone": zone, "channel_id": channel.id if channel else None}

    pending, error = attempt(start)
    if error:
        return _error_page(request, who, system, error, form, channel, "mastodon")
    response = redirect("/admin/channels/connect")
    set_cookie(response, request, system.settings, OAUTH_COOKIE, system.box.seal(pending).decode(), OAUTH_SECONDS)
    return response


def _pending(request: Request, system: System, who: Caller) -> dict | None:
    pending = system.box.open_recent(request.cookies.get(cookie_name(system.settings, OAUTH_COOKIE)), OAUTH_SECONDS)
    if pending is None or pending.get("sid") != who.session_id:
        return None
    return pending


@router.get("/channels/connect")
def mastodon_continue(request: Request, who: Caller = Depends(member), system: System = Depends(get_system)):
    """The page before the server's own: where the admin goes and what to do there."""
    require(who.actor, Action.CHANNEL_MANAGE)
    pending = _pending(request, system, who)
    if pending is None:
        return redirect("/admin/channels", "That sign-in expired or was started in another session. Start again.")
    state = system.box.seal({"nonce": pending["nonce"], "sid": who.session_id}).decode()
    app = mastodon_oauth.App(pending["base_url"], pending["client_id"], pending["client_secret"])
    url = mastodon_oauth.authorize_url(app, _callback_url(system), state, mastodon_oauth.challenge(pending["verifier"]))
    from urllib.parse import urlsplit

    return page(request, "admin/channel_connect.html", who=who, authorize_url=url,
                server=urlsplit(pending["base_url"]).netloc, pending=pending, minutes=OAUTH_SECONDS // 60)


@router.get("/channels/oauth/callback")
def mastodon_callback(request: Request, who: Caller = Depends(member), system: System = Depends(get_system)):
    require(who.actor, Action.CHANNEL_MANAGE)
    q = request.query_params
    pending = _pending(request, system, who)
    state = system.box.open_recent(q.get("state"), OAUTH_SECONDS)
    if pending is None or state is None or state.get("sid") != who.session_id \
            or not secrets.compare_digest(str(state.get("nonce", "")).encode(), str(pending["nonce"]).encode()):
        # a link from someone else's sign-in, an old one, or a forged one: nothing is exchanged
        response = _list_page(request, who, system, status=400, error=(
            "This sign-in could not be checked: it expired, or it was not started from this session. "
            "Nothing was stored. Start again with “Sign in on the server”."))
        return response
    settings = system.settings
    app = mastodon_oauth.App(pending["base_url"], pending["client_id"], pending["client_secret"])

    def store(account: str, credentials: dict) -> str:
        with system.db.transaction() as s:
            if pending.get("channel_id"):  # signing in again for a channel
                channel_service.replace_credentials(s, who.actor, system.box, pending["channel_id"], credentials,
                                                    account)
            else:
                channel_service.add_connected_channel(s, who.actor, system.box, "mastodon", account, credentials,
                                                      pending.get("name"), app.base_url, int(pending["quorum"]),
                                                      pending["timezone"])
        return account

    def finish() -> str:
        if q.get("error"):
            raise InvalidInput(f"{pending['base_url']} did not authorize onevoice: "
                               f"{q.get('error_description') or q.get('error')}. Nothing was stored.")
        if not q.get("code"):
            raise InvalidInput("the server sent no authorization code back. Nothing was stored.")
        try:
            token = mastodon_oauth.exchange_code(app, q["code"], _callback_url(system), pending["verifier"],
                                                 allow_private_urls=settings.allow_private_urls)
            credentials = {"access_token": token, "client_id": app.client_id, "client_secret": app.client_secret}
            account = channel_service.verify("mastodon", "", app.base_url, credentials, settings.allow_private_urls)
        except ConnectorError as exc:
            raise InvalidInput(f"{pending['base_url']} refused the sign-in: {exc.message}. Nothing was stored.") from None
        return store(account, credentials)

    account, error = attempt(finish)
    if error:
        response = _list_page(request, who, system, status=422, error=error)
    else:
        response = redirect("/admin/channels", f"Connected as {account}.")
    delete_cookie(response, request, settings, OAUTH_COOKIE)  # one sign-in, one use
    return response


# -- Mastodon with a pasted token; Bluesky with an app password ---------------------------------------

def _connect(request: Request, who: Caller, system: System, form, platform: str, credentials_of, base_url_of,
             handle_of=lambda form, channel: ""):
    channel: Channel | None = None

    def go() -> str:
        nonlocal channel
        channel = _channel_or_none(system, who, _text(form, "channel_id"))
        base_url = channel.base_url if channel is not None else base_url_of(form)
        quorum = channel.quorum if channel is not None else _quorum(form)
        zone = channel.timezone if channel is not None else (_text(form, "timezone") or "UTC")
        with system.db.reader() as s:
            channel_service.check_new_channel(s, who.actor, base_url, quorum, zone)
        credentials = credentials_of(form, channel)
        try:
            account = channel_service.verify(platform, handle_of(form, channel), base_url, credentials,
                                             system.settings.allow_private_urls)
        except ConnectorError as exc:
            raise InvalidInput(f"{base_url} refused these credentials: {exc.message}. Nothing was stored.") from None
        with system.db.transaction() as s:
            if channel is not None:
                channel_service.replace_credentials(s, who.actor, system.box, channel.id, credentials, account)
            else:
                channel_service.add_connected_channel(s, who.actor, system.box, platform, account, credentials,
                                                      _text(form, "name"), base_url, quorum, zone)
        return account

    account, error = attempt(go)
    if error:
        return _error_page(request, who, system, error, form, channel, platform)
    return redirect("/admin/channels", f"Connected as {account}.")


@router.post("/channels/mastodon/token")
async def mastodon_token(request: Request, who: Caller = Depends(member), system: System = Depends(get_system)):
    require(who.actor, Action.CHANNEL_MANAGE)
    form = await request.form()

    def credentials(form, channel):
        token = _text(form, "access_token")
        if not token:
            raise InvalidInput("paste the access token (Preferences → Development → your application)")
        return {"access_token": token}

    return _connect(request, who, system, form, "mastodon", credentials,
                    lambda form: _text(form, "base_url").rstrip("/"))


@router.post("/channels/bluesky")
async def bluesky_connect(request: Request, who: Caller = Depends(member), system: System = Depends(get_system)):
    require(who.actor, Action.CHANNEL_MANAGE)
    form = await request.form()

    def handle(form, channel):
        return channel.handle if channel is not None else _text(form, "handle").lstrip("@")

    def credentials(form, channel):
        password = form.get("app_password") if isinstance(form.get("app_password"), str) else ""
        if not handle(form, channel) or not password.strip():
            raise InvalidInput("give the account's handle and an app password (Settings → Privacy and security → "
                               "App passwords)")
        return {"identifier": handle(form, channel), "password": password.strip()}

    return _connect(request, who, system, form, "bluesky", credentials,
                    lambda form: (_text(form, "pds") or DEFAULT_PDS).rstrip("/"), handle)


# -- one channel: test, edit, deactivate ---------------------------------------------------------------

def _edit_page(request: Request, who: Caller, system: System, channel_id: int, status: int = 200,
               error: str | None = None):
    with system.db.reader() as s:
        c = channel_service.get_channel(s, channel_id)
        row = {**channel_service.channel_state(c), "connection": channel_service.connection(c),
               "checked_at": c.checked_at, "failing_since": c.credentials_failing_since,
               "platform_words": PLATFORM_WORDS.get(c.platform, c.platform)}
    return page(request, "admin/channel_edit.html", status=status, who=who, c=row, zones=zone_names(), error=error,
                flash=request.query_params.get("flash"))


@router.get("/channels/{channel_id:int}")
def channel_page(channel_id: int, request: Request, who: Caller = Depends(member),
                 system: System = Depends(get_system)):
    require(who.actor, Action.CHANNEL_MANAGE)
    return _edit_page(request, who, system, channel_id)


@router.post("/channels/{channel_id:int}/test")
def channel_test(channel_id: int, request: Request, who: Caller = Depends(member),
                 system: System = Depends(get_system)):
    require(who.actor, Action.CHANNEL_MANAGE)
    result, error = attempt(lambda: channel_service.check_connection(
        system.db, who.actor, system.box, channel_id, system.settings.allow_private_urls))
    from_channel = request.query_params.get("from") == "channel"
    if error:
        return _test_failed(request, who, system, channel_id, from_channel, f"Channel {channel_id}: {error}", 422)
    ok, words = result
    if not ok:
        return _test_failed(request, who, system, channel_id, from_channel, f"The connection test failed: {words}")
    return redirect(f"/admin/channels/{channel_id}" if from_channel else "/admin/channels", f"Connected as {words}.")


def _test_failed(request: Request, who: Caller, system: System, channel_id: int, from_channel: bool, error: str,
                 status: int = 200):
    # shown as the page's error (an alert), not as the flash a redirect carries: the flash is the green note
    # of a success, and a refused token read as one
    if from_channel:
        return _edit_page(request, who, system, channel_id, status=status, error=error)
    return _list_page(request, who, system, status=status, error=error)


@router.post("/channels/{channel_id:int}")
async def channel_update(channel_id: int, request: Request, who: Caller = Depends(member),
                         system: System = Depends(get_system)):
    form = await request.form()

    def go():
        with system.db.transaction() as s:
            channel_service.update_channel(s, who.actor, channel_id, _text(form, "name"), _quorum(form),
                                           _text(form, "timezone") or "UTC")

    _, error = attempt(go)
    if error:
        return _edit_page(request, who, system, channel_id, status=422, error=error)
    return redirect(f"/admin/channels/{channel_id}", "Changes saved.")


@router.post("/channels/{channel_id:int}/active")
async def channel_active(channel_id: int, request: Request, who: Caller = Depends(member),
                         system: System = Depends(get_system)):
    form = await request.form()
    active = _text(form, "active") == "1"

    def go():
        with system.db.transaction() as s:
            channel_service.set_active(s, who.actor, channel_id, active)

    _, error = attempt(go)
    if error:
        return _edit_page(request, who, system, channel_id, status=422, error=error)
    return redirect(f"/admin/channels/{channel_id}", "Channel reactivated." if active else
                    "Channel deactivated: nothing is published or read on it until it is reactivated.")



# -- pushed comments that could not be stored (dead letters) -------------------------------------------

@router.post("/channels/failed/{batch_id:int}/{action}")
async def dead_letter(batch_id: int, action: str, request: Request, who: Caller = Depends(member),
                      system: System = Depends(get_system)):
    """Try a dead letter again once its cause is fixed, or give it up (the box says what is lost)."""
    from onevoice.crisis import queue

    form = await request.form()

    def go() -> str:
        with system.db.transaction() as s:
            if action == "retry":
                queue.retry(s, who.actor, batch_id)
                return f"Batch {batch_id} is queued again: a worker stores its comments."
            if action == "discard":
                if _text(form, "confirm") != "yes":
                    raise InvalidInput(f"tick the box to give batch {batch_id} up: its comments are lost")
                queue.discard(s, who.actor, batch_id)
                return f"Batch {batch_id} was given up; the audit log keeps what it was."
            raise InvalidInput("unknown action")

    done, error = attempt(go)
    if error:
        return _list_page(request, who, system, status=422, error=error)
    return redirect("/admin/channels", done)
