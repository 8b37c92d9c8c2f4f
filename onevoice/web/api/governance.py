from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field

from onevoice.errors import TooManyAttempts, TwoFactorRequired, Unauthenticated
from onevoice.governance import auth, channels, members, two_factor
from onevoice.governance.passwords import MAX_LENGTH
from onevoice.governance.permissions import Scope
from onevoice.policy import acknowledgements
from onevoice.system import System

from ..deps import Caller, caller, get_system, signed_in
from .schemas import MAX_ID, ChannelIn, Id, LoginIn, MemberIn, RoleIn, Strict, TokenIn

router = APIRouter(tags=["members and channels"])


class PasswordChangeIn(Strict):
    current_password: str = Field(..., max_length=MAX_LENGTH)
    new_password: str = Field(..., max_length=MAX_LENGTH)


class AcknowledgementIn(Strict):
    version_id: int = Field(..., ge=1, le=MAX_ID)
    confirm: bool = Field(..., description=f"true: \"{acknowledgements.CONFIRMATION}\"")


def _slow_down_guessing(request: Request) -> None:
    """Both sign-in and a password change check a password: one per-address budget for both."""
    if not request.app.state.login_limiter.allow(request.client.host if request.client else "?"):
        raise TooManyAttempts("too many sign-in attempts from this address; wait a minute")


@router.post("/tokens", status_code=201, summary="Sign in with e-mail and password and get an API token",
             description="With two-factor sign-in, `code` too. A member whose role requires two-factor sign-in "
                         "must set it up on the web first (403 `/problems/two-factor-required`); tokens they "
                         "already have keep working. `scopes` (default: all the member's roles allow) and `days` "
                         "(default ONEVOICE_TOKEN_DAYS) as for POST /me/tokens.")
def login_for_token(body: LoginIn, request: Request, system: System = Depends(get_system)) -> dict:
    _slow_down_guessing(request)
    days = system.settings.token_days if body.days is None else body.days
    with system.db.transaction() as s:
        outcome = auth.authenticate(s, body.email, body.password, system.login_policy)
        error, member = outcome.error, outcome.member
        if member is not None and two_factor.enabled(member):
            error = (Unauthenticated(TWO_FACTOR_CODE) if not body.code else
                     two_factor.check_sign_in_code(s, member, system.box, body.code, system.login_policy))
        elif member is not None and two_factor.must_enrol(s, member):
            error = TwoFactorRequired()
        if member is not None and error is None:
            secret, token = auth.create_token(s, members.actor_for(member), "api sign-in", body.scopes, days)
    if error:  # raised after the commit: wrong passwords and codes stay counted
        raise error
    return {"token": secret, "id": token.id, "member": outcome.member.email,
            "must_change_password": outcome.member.must_change_password, "scopes": token.scopes.split(),
            "expires_at": token.expires_at.isoformat() if token.expires_at else None}


TWO_FACTOR_CODE = ("this account has two-factor sign-in: send `code` (from the authenticator app, or a recovery "
                   "code) with the e-mail and password")


@router.post("/me/password", summary="Change your password (a one-time password must be changed first)",
             description="Ends every other sign-in of yours: web sessions and API tokens, except the one making "
                         "this request (whoever knew the old password could have made tokens with it).")
def change_password(body: PasswordChangeIn, request: Request, who: Caller = Depends(signed_in),
                    system: System = Depends(get_system)) -> dict:
    _slow_down_guessing(request)
    with system.db.transaction() as s:
        member = members.change_password(s, who.actor, body.current_password, body.new_password,
                                         keep_session=who.session_id, keep_token=who.token_id)
        return members.member_state(member)


@router.post("/me/tokens", status_code=201, summary="Create another API token for yourself",
             description="`scopes` never exceed your roles (nor, made with a token, that token's scopes): asking for "
                         "more is a 403. An expired token is refused with 401.")
def create_token(body: TokenIn, who: Caller = Depends(caller), system: System = Depends(get_system)) -> dict:
    days = system.settings.token_days if body.days is None else body.days
    with system.db.transaction() as s:
        secret, token = auth.create_token(s, who.actor, body.name, body.scopes, days)
        return {"token": secret, **auth.token_state(token)}


@router.get("/me/tokens", summary="Your API tokens not revoked (never their secrets)")
def list_tokens(who: Caller = Depends(caller), system: System = Depends(get_system)) -> list[dict]:
    with system.db.reader() as s:
        return [auth.token_state(t) for t in auth.list_tokens(s, who.actor)]


@router.delete("/me/tokens/{token_id}", status_code=204, summary="Revoke one of your API tokens (sign out)")
def revoke_token(token_id: Id, who: Caller = Depends(signed_in), system: System = Depends(get_system)) -> None:
    with system.db.transaction() as s:
        auth.revoke_token(s, who.actor, token_id)


@router.get("/me", summary="Who am I")
def me(who: Caller = Depends(caller)) -> dict:
    return {"member_id": who.actor.member_id, "email": who.actor.label, "name": who.name,
            "roles": sorted(r.value for r in who.actor.roles), "channels": sorted(who.actor.channels),
            "token_scopes": None if who.actor.scopes is None else [s.value for s in Scope if s in who.actor.scopes]}


@router.get("/policy/acknowledgements", summary="Who acknowledged the active policy version, and who has not yet")
def list_acknowledgements(who: Caller = Depends(caller), system: System = Depends(get_system)) -> dict:
    with system.db.reader() as s:
        row, people = acknowledgements.standings(s, who.actor)
        return {"version": ({"id": row.id, "name": row.name, "version": row.version} if row else None),
                "members": [{"member_id": p.member_id, "name": p.name, "email": p.email,
                             "acknowledged_at": p.acknowledged_at.isoformat() if p.acknowledged_at else None}
                            for p in people]}


@router.post("/policy/acknowledgements", status_code=201,
             summary="Acknowledge the active policy version (needed before submitting a draft or a reply)",
             description="Give the id of the active version you read (the page /policy/acknowledge shows its "
                         "clauses in full; a submission refused for want of it names the id as `version_id`) "
                         "and confirm: true.")
def acknowledge(body: AcknowledgementIn, who: Caller = Depends(caller), system: System = Depends(get_system)) -> dict:
    with system.db.transaction() as s:
        ack = acknowledgements.acknowledge(s, who.actor, body.version_id, body.confirm)
        return {"member_id": ack.member_id, "version_id": ack.policy_version_id,
                "acknowledged_at": ack.acknowledged_at.isoformat()}


@router.get("/members")
def list_members(who: Caller = Depends(caller), system: System = Depends(get_system)) -> list[dict]:
    with system.db.reader() as s:
        return [members.member_state(m) for m in members.list_members(s, who.actor)]


@router.post("/members", status_code=201)
def add_member(body: MemberIn, who: Caller = Depends(caller), system: System = Depends(get_system)) -> dict:
    with system.db.transaction() as s:
        member, one_time = members.add_member(s, who.actor, body.email, body.name, None, tuple(body.roles))
        state = members.member_state(member)
    return {**state, "one_time_password": one_time}


@router.post("/members/{member_id}/password-reset", summary="Give a member a new one-time password (shown once)",
             description="Ends the member's sessions and API tokens; they must change the password when they sign in.")
def reset_password(member_id: Id, who: Caller = Depends(caller), system: System = Depends(get_system)) -> dict:
    with system.db.transaction() as s:
        member, one_time = members.reset_password(s, who.actor, member_id)
        return {**members.member_state(member), "one_time_password": one_time}


@router.post("/members/{member_id}/deactivate", summary="Deactivate a member: no sign-in, sessions and tokens end")
def deactivate_member(member_id: Id, who: Caller = Depends(caller), system: System = Depends(get_system)) -> dict:
    with system.db.transaction() as s:
        return members.member_state(members.deactivate_member(s, who.actor, member_id))


@router.post("/members/{member_id}/reactivate", summary="Give a deactivated member their account back")
def reactivate_member(member_id: Id, who: Caller = Depends(caller), system: System = Depends(get_system)) -> dict:
    with system.db.transaction() as s:
        return members.member_state(members.reactivate_member(s, who.actor, member_id))


@router.post("/members/{member_id}/roles", status_code=201)
def grant_role(member_id: Id, body: RoleIn, who: Caller = Depends(caller), system: System = Depends(get_system)) -> dict:
    with system.db.transaction() as s:
        channel = channels.get_channel(s, body.channel) if body.channel is not None else None
        return members.member_state(members.grant_role(s, who.actor, member_id, body.role, channel))


@router.delete("/members/{member_id}/roles/{role}")
def revoke_role(member_id: Id, role: str, channel: int | None = Query(None, ge=1, le=2**31 - 1), who: Caller = Depends(caller),
                system: System = Depends(get_system)) -> dict:
    with system.db.transaction() as s:
        ch = channels.get_channel(s, channel) if channel is not None else None
        return members.member_state(members.revoke_role(s, who.actor, member_id, role, ch))


@router.get("/channels")
def list_channels(who: Caller = Depends(caller), system: System = Depends(get_system)) -> list[dict]:
    with system.db.reader() as s:
        return [channels.channel_state(c) for c in channels.list_channels(s, who.actor)]


@router.post("/channels", status_code=201)
def add_channel(body: ChannelIn, who: Caller = Depends(caller), system: System = Depends(get_system)) -> dict:
    with system.db.transaction() as s:
        ch = channels.add_channel(s, who.actor, system.box, body.platform, body.handle, body.name, body.base_url,
                                  body.credentials, body.quorum, body.timezone)
        return channels.channel_state(ch)
