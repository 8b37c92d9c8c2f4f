"""Sign in (the password, then a two-factor code when the member has it), sign out and the home page.

The sign-in form has its own CSRF token, since there is no session yet to hold one: a random
token in a signed, SameSite cookie and the same token in the form (double submit). Another site
can neither read the token nor make the browser send the cookie with its POST, so it cannot sign
a visitor in to an account of its choosing.

Between the password and the code, the browser holds a sign-in in progress: the member's id sealed
with the credential box (encrypted and authenticated, good for CODE_STEP_SECONDS), bound to the
member's password hash, so a password changed meanwhile ends it.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

from datetime import datetime, timezone

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import func, select

from onevoice.config import Settings
from onevoice.errors import OnevoiceError
from onevoice.governance import auth, links, members, two_factor
from onevoice.governance.permissions import SCOPE_TITLES, Action, Scope, allowed
from onevoice.notify import NotifyConfig
from onevoice.store.models import Channel, Comment, Draft, Incident, Member, Review
from onevoice.system import System

from ..deps import SESSION_COOKIE, Caller, get_system, optional_caller
from ..security import cookie_name, delete_cookie, set_cookie
from . import dates
from .forms import attempt, redirect
from .guard import member
from .render import page

router = APIRouter()

LOGIN_COOKIE = "onevoice_login"
LOGIN_FORM_SECONDS = 2 * 3600
CODE_COOKIE = "onevoice_code_step"  # the sign-in in progress between the password and the code
CODE_STEP_SECONDS = 300


def mail_configured(system: System) -> bool:
    """Whether onevoice can send e-mail (ONEVOICE_SMTP_HOST): invitations and reset links need it."""
    return bool(NotifyConfig.resolve(system.settings).smtp_host)


def _plural(n: int, one: str, many: str) -> str:
    return one.format(n=n) if n == 1 else many.format(n=n)


def _deadline_words(deadline, now) -> str:
    """"is due for acknowledgement in 14 min" or "is overdue by 5 min"."""
    words = dates.relative(deadline, now)
    if words == "now":
        return "is due for acknowledgement now"
    if deadline.replace(tzinfo=deadline.tzinfo or timezone.utc) > now:
        return f"is due for acknowledgement {words}"
    return f"is overdue by {words.removesuffix(' ago')}"


def waiting_for(s, who: Caller, now=None) -> list[dict]:
    """What waits for this member, as sentences with a link each, most urgent first: incidents to
    acknowledge (nearest deadline first), drafts to review, their own drafts sent back or with the
    committee, comments assigned to them, and (for the admin) invitations not yet accepted. A few
    small indexed queries: the home page opens every session."""
    now = now or datetime.now(timezone.utc)
    me = who.actor.member_id
    out: list[dict] = []
    if allowed(who.actor, Action.INCIDENT_MANAGE):
        due = s.execute(select(Incident.id, Incident.title, Incident.ack_deadline)
                        .where(Incident.state == "open", Incident.acknowledged_at.is_(None),
                               Incident.ack_deadline.is_not(None))
                        .order_by(Incident.ack_deadline).limit(HOME_INCIDENTS)).all()
        for iid, title, deadline in due:
            out.append({"text": f"Incident #{iid} {_deadline_words(deadline, now)}", "detail": title,
                        "href": f"/incidents/{iid}", "urgent": True})
    if allowed(who.actor, Action.DRAFT_REVIEW):
        reviewed = (select(Review.id).where(Review.draft_id == Draft.id, Review.reviewer_id == me,
                                            Review.revision == Draft.revision).exists())
        n = s.scalar(select(func.count(Draft.id)).where(Draft.state == "in_review", Draft.author_id != me,
                                                        ~reviewed)) or 0
        if n:
            out.append({"text": _plural(n, "1 draft waits for your review", "{n} drafts wait for your review"),
                        "href": "/review"})
    if me is not None:
        counts = dict(s.execute(select(Draft.state, func.count(Draft.id))
                                .where(Draft.author_id == me, Draft.state.in_(AUTHOR_STATES))
                                .group_by(Draft.state)).all())
        sent_back = list(s.scalars(select(Draft.id).where(Draft.author_id == me, Draft.state == "changes_requested")
                                   .order_by(Draft.updated_at.desc()).limit(HOME_DRAFTS)))
        for did in sent_back:
            out.append({"text": f"Your draft #{did} needs changes", "href": f"/drafts/{did}"})
        if counts.get("changes_requested", 0) > len(sent_back):
            more = counts["changes_requested"] - len(sent_back)
            out.append({"text": _plural(more, "1 more of your drafts needs changes",
                                        "{n} more of your drafts need changes"), "href": "/drafts"})
        failed = counts.get("failed", 0)
        if failed:
            out.append({"text": _plural(failed, "1 of your posts failed to publish",
                                        "{n} of your posts failed to publish"), "href": "/drafts"})
        with_committee = sum(counts.get(st, 0) for st in ("submitted", "screened", "in_review"))
        if with_committee:
            out.append({"text": _plural(with_committee, "1 of your drafts is with the committee",
                                        "{n} of your drafts are with the committee"), "href": "/drafts"})
        n = s.scalar(select(func.count(Comment.id)).where(Comment.assigned_to == me, Comment.handled.is_(False))) or 0
        if n:
            out.append({"text": _plural(n, "1 comment is assigned to you", "{n} comments are assigned to you"),
                        "href": "/inbox?state=mine"})
    if allowed(who.actor, Action.MEMBER_ADD):
        n = s.scalar(select(func.count(Member.id)).where(Member.active.is_(True), Member.password_hash.is_(None))) or 0
        if n:
            out.append({"text": _plural(n, "1 member has not accepted their invitation yet",
                                        "{n} members have not accepted their invitation yet"),
                        "href": "/admin/members"})
    return out


HOME_INCIDENTS = 5  # the nearest deadlines; the incidents board has the rest
HOME_DRAFTS = 5
AUTHOR_STATES = ("changes_requested", "failed", "submitted", "screened", "in_review")


@router.get("/")
def home(request: Request, who: Caller | None = Depends(optional_caller)):
    if who is None:
        return RedirectResponse("/login", status_code=303)
    if who.must_change_password:
        return RedirectResponse("/password", status_code=303)
    if who.must_enrol_two_factor:
        return RedirectResponse("/account/two-factor", status_code=303)
    system = request.app.state.system
    with system.db.reader() as s:
        waiting = waiting_for(s, who)
    return page(request, "home.html", who=who, flash=request.query_params.get("flash"), waiting=waiting,
                may_submit=bool(who.actor.channels))


def _signature(settings: Settings, token: str) -> str:
    return hmac.new(settings.secret_key.encode(), f"login-form:{token}".encode(), hashlib.sha256).hexdigest()


def _form_token(request: Request, settings: Settings) -> str | None:
    """The token in this browser's sign-in cookie, if onevoice signed it."""
    token, _, signature = request.cookies.get(cookie_name(settings, LOGIN_COOKIE), "").partition(".")
    # compared as bytes: compare_digest refuses str with non-ASCII characters, which anyone can send
    return token if token and hmac.compare_digest(signature.encode(), _signature(settings, token).encode()) else None


def _anonymous_form(request: Request, system: System, template: str, status: int = 200, **context):
    """A page with a form for someone not signed in (sign-in, forgot password, a one-time link):
    the form's CSRF token is the double-submit one of the sign-in cookie."""
    settings = system.settings
    token = _form_token(request, settings) or secrets.token_urlsafe(24)  # kept: several tabs stay valid
    response = page(request, template, status=status, csrf_token=token, **context)
    set_cookie(response, request, settings, LOGIN_COOKIE, f"{token}.{_signature(settings, token)}", LOGIN_FORM_SECONDS)
    return response


def _form_is_ours(request: Request, system: System, csrf_token: str) -> bool:
    expected = _form_token(request, system.settings)
    return expected is not None and secrets.compare_digest(csrf_token.encode(), expected.encode())


def too_many(request: Request) -> bool:
    # request.client is the real client behind a trusted proxy (security.ForwardedFrom)
    return not request.app.state.login_limiter.allow(request.client.host if request.client else "?")


def _login_page(request: Request, system: System, status: int = 200, error: str | None = None, email: str = "",
                next: str = "/", flash: str | None = None):
    oidc = request.app.state.oidc
    return _anonymous_form(request, system, "login.html", status=status, error=error, email=email,
                           next=safe_next(next), flash=flash, sso_name=oidc.name if oidc else None,
                           passwords=system.settings.password_signin)


@router.get("/login")
def login_form(request: Request, next: str = "/", system: System = Depends(get_system)):
    return _login_page(request, system, next=next, flash=request.query_params.get("flash"))


def safe_next(target: str | None) -> str:
    """Only local paths: a sign-in link must not send people to another site."""
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


@router.post("/login")
def login(request: Request, email: str = Form(..., max_length=320), password: str = Form(..., max_length=1000),
          next: str = Form("/", max_length=500), csrf_token: str = Form("", max_length=100),
          system: System = Depends(get_system)):
    if not _form_is_ours(request, system, csrf_token):
        return _login_page(request, system, status=403, email=email, next=next,
                           error="This sign-in form has expired; please sign in again.")
    if too_many(request):
        return _login_page(request, system, status=429, error="Too many sign-in attempts; wait a minute.",
                           email=email, next=next)
    code_step = None
    with system.db.transaction() as s:
        outcome = auth.authenticate(s, email, password, system.login_policy)
        if outcome.member is not None and two_factor.enabled(outcome.member):
            code_step = system.box.seal({"member": outcome.member.id, "next": safe_next(next),
                                         "bound": _bound(outcome.member)}).decode()
        elif outcome.member is not None:
            secret, _ = auth.start_session(s, outcome.member, system.settings.session_hours)
    if outcome.error is not None:
        status = getattr(outcome.error, "status", 401)
        message = outcome.error.detail if isinstance(outcome.error, OnevoiceError) else "Sign-in failed."
        return _login_page(request, system, status=status, error=message, email=email, next=next)
    if code_step is not None:
        response = RedirectResponse("/login/code", status_code=303)
        set_cookie(response, request, system.settings, CODE_COOKIE, code_step, CODE_STEP_SECONDS)
        return response
    return _signed_in(request, system, secret, safe_next(next))


def _signed_in(request: Request, system: System, secret: str, target: str):
    response = RedirectResponse(target, status_code=303)
    set_cookie(response, request, system.settings, SESSION_COOKIE, secret, system.settings.session_hours * 3600)
    delete_cookie(response, request, system.settings, LOGIN_COOKIE)
    delete_cookie(response, request, system.settings, CODE_COOKIE)
    return response


def _bound(member: Member) -> str:
    """What ties a sign-in in progress to the password it began with."""
    return hashlib.sha256((member.password_hash or "").encode()).hexdigest()[:16]


def _code_step(request: Request, system: System) -> dict | None:
    return system.box.open_recent(request.cookies.get(cookie_name(system.settings, CODE_COOKIE)), CODE_STEP_SECONDS)


def _code_page(request: Request, system: System, status: int = 200, error: str | None = None):
    return _anonymous_form(request, system, "login_code.html", status=status, error=error)


STEP_ENDED = "Your sign-in took too long or was replaced; enter your password again."


@router.get("/login/code")
def login_code_form(request: Request, system: System = Depends(get_system)):
    if _code_step(request, system) is None:
        return redirect("/login", STEP_ENDED)
    return _code_page(request, system)


@router.post("/login/code")
def login_code(request: Request, code: str = Form("", max_length=40), csrf_token: str = Form("", max_length=100),
               system: System = Depends(get_system)):
    """The second step: a code from the authenticator app or a recovery code, counted and made to
    wait like a wrong password (the same LoginPolicy), and slowed per address like the first."""
    if not _form_is_ours(request, system, csrf_token):
        return _code_page(request, system, status=403, error="This sign-in form has expired; please try again.")
    if too_many(request):
        return _code_page(request, system, status=429, error="Too many sign-in attempts; wait a minute.")
    step = _code_step(request, system)
    if step is None:
        return _login_page(request, system, status=401, error=STEP_ENDED)
    error, secret = None, None
    with system.db.transaction() as s:
        member = s.get(Member, step.get("member"))
        if member is None or _bound(member) != step.get("bound"):
            error = STEP_ENDED
        else:
            refused = two_factor.check_sign_in_code(s, member, system.box, code, system.login_policy)
            if refused is None:
                secret, _ = auth.start_session(s, member, system.settings.session_hours)
            else:
                error = refused.detail[:1].upper() + refused.detail[1:] + "."
    if error == STEP_ENDED:
        return _login_page(request, system, status=401, error=error)
    if error:
        return _code_page(request, system, status=401, error=error)
    return _signed_in(request, system, secret, safe_next(step.get("next")))


@router.post("/logout")
def logout(request: Request, who: Caller | None = Depends(optional_caller), system: System = Depends(get_system)):
    cookie = request.cookies.get(cookie_name(system.settings, SESSION_COOKIE))
    if cookie and who is not None:
        with system.db.transaction() as s:
            auth.end_session(s, cookie)
    response = RedirectResponse("/login", status_code=303)
    delete_cookie(response, request, system.settings, SESSION_COOKIE)
    return response


@router.get("/password")
def password_form(request: Request, who: Caller = Depends(member)):
    return page(request, "password.html", who=who, flash=request.query_params.get("flash"))


def _change(system: System, who: Caller, current: str, new: str, repeat: str) -> str | None:
    """Change the caller's password; the error to show, or None. Every other sign-in ends."""
    if new != repeat:
        return "The two new passwords differ."

    def change():
        with system.db.transaction() as s:
            members.change_password(s, who.actor, current, new, keep_session=who.session_id)

    return attempt(change)[1]


@router.post("/password")
def change_password(request: Request, current: str = Form("", max_length=1000), new: str = Form("", max_length=1000),
                    repeat: str = Form("", max_length=1000), who: Caller = Depends(member),
                    system: System = Depends(get_system)):
    if too_many(request):  # a password change checks a password, like signing in
        return page(request, "password.html", who=who, status=429, error="Too many attempts; wait a minute.")
    error = _change(system, who, current, new, repeat)
    if error:
        return page(request, "password.html", who=who, status=422, error=error)
    return redirect("/", "Your password is changed; other sign-ins were ended.")


# --- your account: password, time zone (two-factor and tokens: account_security.py) -----------------------------------------------------


def account_page(request: Request, who: Caller, system: System, status: int = 200, **extra):
    with system.db.reader() as s:
        me = members.get_member(s, who.actor.member_id)
        channel_ids = [g.channel_id for g in me.roles if g.channel_id]
        chans = {c.id: c for c in s.scalars(select(Channel).where(Channel.id.in_(channel_ids)))} if channel_ids else {}
        roles = members.role_words(me, chans)
        email = me.email
        tfa = {"on": two_factor.enabled(me), "required": two_factor.required_for(s, me),
               "codes_left": two_factor.recovery_codes_left(s, me) if two_factor.enabled(me) else 0}
        tokens = [auth.token_state(t) for t in auth.list_tokens(s, who.actor)]
        ceiling = auth.token_ceiling(who.actor)
    return page(request, "account.html", status=status, who=who, email=email, roles=roles,
                zones=dates.zone_names(), current_zone=who.timezone or dates.DEFAULT_ZONE,
                now=datetime.now(timezone.utc), two_factor=tfa, tokens=tokens,
                scopes=[(sc, SCOPE_TITLES[sc]) for sc in Scope if sc in ceiling],
                token_days=system.settings.token_days, **extra)


@router.get("/account")
def account(request: Request, who: Caller = Depends(member), system: System = Depends(get_system)):
    return account_page(request, who, system, flash=request.query_params.get("flash"))


@router.post("/account/password")
def account_password(request: Request, current: str = Form("", max_length=1000), new: str = Form("", max_length=1000),
                     repeat: str = Form("", max_length=1000), who: Caller = Depends(member),
                     system: System = Depends(get_system)):
    if too_many(request):
        return account_page(request, who, system, status=429, error="Too many attempts; wait a minute.")
    error = _change(system, who, current, new, repeat)
    if error:
        return account_page(request, who, system, status=422, error=error)
    return redirect("/account", "Your password is changed; every other sign-in was ended.")


@router.post("/account/timezone")
def account_timezone(request: Request, timezone_name: str = Form("", alias="timezone", max_length=64),
                     who: Caller = Depends(member), system: System = Depends(get_system)):
    def save():
        with system.db.transaction() as s:
            return members.set_timezone(s, who.actor, timezone_name).timezone

    zone, error = attempt(save)
    if error:
        return account_page(request, who, system, status=422, error=error)
    return redirect("/account", f"Dates are now shown in {zone or dates.DEFAULT_ZONE} time.")


# --- forgot password, and the one-time links ---------------------------------------------------


RESET_SENT = ("If {email} is the e-mail of a member, a link to choose a new password is on its way. "
              "It works once, within one hour. Check your spam folder if it does not arrive.")


@router.get("/forgot")
def forgot_form(request: Request, system: System = Depends(get_system)):
    return _anonymous_form(request, system, "forgot.html", mail=mail_configured(system), email="")


@router.post("/forgot")
def forgot(request: Request, email: str = Form("", max_length=320), csrf_token: str = Form("", max_length=100),
           system: System = Depends(get_system)):
    mail = mail_configured(system)
    if not _form_is_ours(request, system, csrf_token):
        return _anonymous_form(request, system, "forgot.html", status=403, mail=mail, email=email,
                               error="This form has expired; please try again.")
    if too_many(request):
        return _anonymous_form(request, system, "forgot.html", status=429, mail=mail, email=email,
                               error="Too many attempts; wait a minute.")
    if not mail:
        return _anonymous_form(request, system, "forgot.html", status=503, mail=mail, email=email,
                               error="onevoice cannot send e-mail yet: ask an administrator to reset your password.")
    with system.db.transaction() as s:
        links.request_reset(s, email, system.settings.base_url)
    # The same answer whether the address is a member's or not (links.request_reset).
    return _anonymous_form(request, system, "forgot.html", mail=mail, email="", sent=True,
                           flash=RESET_SENT.format(email=email.strip() or "that address"))


LINK_PAGES = {links.INVITE: "invite.html", links.RESET: "reset.html"}


def _link_page(request: Request, system: System, purpose: str, secret: str, status: int = 200, **extra):
    with system.db.reader() as s:
        try:
            usable = links.check(s, secret, purpose)
            name, email, error = usable.member.name, usable.member.email, None
        except OnevoiceError as exc:
            name, email, error = None, None, exc.detail
    if error and "error" not in extra:
        status, extra["error"] = 410, error
    return _anonymous_form(request, system, LINK_PAGES[purpose], status=status, member_name=name, email=email,
                           usable=name is not None, action=links.PATHS[purpose] + secret, **extra)


def _use_link(request: Request, system: System, purpose: str, secret: str, new: str, repeat: str, csrf_token: str):
    if not _form_is_ours(request, system, csrf_token):
        return _link_page(request, system, purpose, secret, status=403,
                          error="This form has expired; please enter your password again.")
    if too_many(request):
        return _link_page(request, system, purpose, secret, status=429, error="Too many attempts; wait a minute.")

    def use():
        with system.db.transaction() as s:
            member = links.set_password(s, secret, purpose, new, repeat)
            policy = system.login_policy
            if not policy.passwords and not auth.is_break_glass(member, policy):
                return None  # password sign-in is off: the link does not sign in either
            secret_cookie, _ = auth.start_session(s, member, system.settings.session_hours)
            return secret_cookie

    session_secret, error = attempt(use)
    if error:
        return _link_page(request, system, purpose, secret, status=410 if error == links.UNUSABLE else 422,
                          error=error[0].upper() + error[1:])
    if session_secret is None:
        return redirect("/login", "Your password is set, but password sign-in is off: sign in with single sign-on.")
    done = ("Welcome to onevoice: your password is set and you are signed in." if purpose == links.INVITE
            else "Your new password is set; every other sign-in was ended.")
    response = redirect("/", done)
    set_cookie(response, request, system.settings, SESSION_COOKIE, session_secret, system.settings.session_hours * 3600)
    delete_cookie(response, request, system.settings, LOGIN_COOKIE)
    return response


@router.get("/invite/{secret}")
def invite_form(request: Request, secret: str, system: System = Depends(get_system)):
    return _link_page(request, system, links.INVITE, secret[:200])


@router.post("/invite/{secret}")
def invite_accept(request: Request, secret: str, new: str = Form("", max_length=1000),
                  repeat: str = Form("", max_length=1000), csrf_token: str = Form("", max_length=100),
                  system: System = Depends(get_system)):
    return _use_link(request, system, links.INVITE, secret[:200], new, repeat, csrf_token)


@router.get("/reset/{secret}")
def reset_form(request: Request, secret: str, system: System = Depends(get_system)):
    return _link_page(request, system, links.RESET, secret[:200])


@router.post("/reset/{secret}")
def reset_accept(request: Request, secret: str, new: str = Form("", max_length=1000),
                 repeat: str = Form("", max_length=1000), csrf_token: str = Form("", max_length=100),
                 system: System = Depends(get_system)):
    return _use_link(request, system, links.RESET, secret[:200], new, repeat, csrf_token)
