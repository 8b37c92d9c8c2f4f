"""Set-up and administration: init, serve, members, channels, tokens."""
from __future__ import annotations

import json
import sys
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from onevoice.errors import InvalidInput
from onevoice.governance import auth, channels as channel_service, links, members as member_service, two_factor
from onevoice.notify import NotifyConfig

from .base import app, friendly, operator, read_input, system

member_app = typer.Typer(no_args_is_help=True, help="Members and their roles.")
channel_app = typer.Typer(no_args_is_help=True, help="Official channels.")
token_app = typer.Typer(no_args_is_help=True, help="API tokens.")
app.add_typer(member_app, name="member")
app.add_typer(channel_app, name="channel")
app.add_typer(token_app, name="token")
console = Console()


@app.command()
@friendly
def init(admin_email: str = typer.Option("admin@localhost.localdomain", help="e-mail of the first admin")):
    """Create or upgrade the database, load the policy pack, create a first admin if none."""
    one_time = system().initialize(admin_email=admin_email)
    typer.echo(f"database ready: {system().settings.database_url.split('@')[-1]}")
    if one_time:
        typer.echo(f"first admin: {admin_email}  one-time password: {one_time}")
        typer.echo("(sign in and change it; it is shown only now)")


@app.command()
@friendly
def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1,
          access_log: bool = typer.Option(True, help="log every request (off when a reverse proxy in front logs them)")):
    """Serve the web application and the API."""
    import uvicorn

    uvicorn.run("onevoice.web.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="info", access_log=access_log, proxy_headers=False)


@app.command()
@friendly
def worker(once: bool = typer.Option(False, help="run every job once and exit")):
    """Run the periodic jobs (publishing due posts, ...) in the foreground."""
    import logging

    from onevoice.jobs import Scheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    Scheduler(system()).loop(rounds=1 if once else None)


@member_app.command("add")
@friendly
def member_add(email: str, name: str = typer.Option(..., help="full name"),
               role: list[str] = typer.Option([], help="role to grant (repeatable): committee, chair, vice_chair, admin"),
               password_stdin: bool = typer.Option(False, help="read the password from standard input")):
    """Add a member; without --password-stdin a one-time password is printed."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    with system().db.transaction() as s:
        member, one_time = member_service.add_member(s, operator(), email, name, password, tuple(role))
        mid = member.id
    typer.echo(f"added member {mid}: {email.strip().lower()}")
    if one_time:
        typer.echo(f"one-time password: {one_time}")


@member_app.command("invite")
@friendly
def member_invite(email: str, name: str = typer.Option(..., help="full name"),
                  role: Optional[str] = typer.Option(None, help="role to grant: authorized (with --channel), committee, "
                                                                "vice_chair, chair, admin"),
                  channel: Optional[str] = typer.Option(None, help="channel id or handle (for 'authorized')")):
    """Invite a member by e-mail: they get a one-time link (valid 7 days) to choose their password."""
    sys_ = system()
    if not NotifyConfig.resolve(sys_.settings).smtp_host:
        raise InvalidInput("e-mail is not configured (ONEVOICE_SMTP_HOST); add the member with "
                           "`onevoice member add` and give them the one-time password in person")
    with sys_.db.transaction() as s:
        member = links.invite(s, operator(), email, name, sys_.settings.base_url, role, _channel(s, channel))
        mid, address = member.id, member.email
    typer.echo(f"invited member {mid}: {address}; the e-mail with the link is in the outbox "
               "(the worker sends it)")


@member_app.command("resend-invitation")
@friendly
def member_resend_invitation(member: str):
    """Send a new invitation e-mail to a member who has not accepted; the earlier link stops working."""
    sys_ = system()
    with sys_.db.transaction() as s:
        address = links.resend_invitation(s, operator(), member, sys_.settings.base_url).email
    typer.echo(f"a new invitation to {address} is in the outbox")


@member_app.command("list")
@friendly
def member_list(format: str = typer.Option("table", help="table or json")):
    """List members and their roles."""
    with system().db.reader() as s:
        found = member_service.list_members(s, operator())
        rows = [member_service.member_state(m) for m in found]
        chans = {c.id: c for c in channel_service.list_channels(s, operator())}
        words = {m.id: (member_service.role_words(m, chans), links.pending(m)) for m in found}
    if format == "json":
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table("id", "e-mail", "name", "roles", "active")
    for r in rows:
        roles, pending = words[r["id"]]
        table.add_row(str(r["id"]), r["email"], r["name"], ", ".join(roles) or "member",
                      "invited" if pending else "yes" if r["active"] else "no")
    console.print(table)


@member_app.command("reset-password")
@friendly
def member_reset_password(member: str):
    """Give a member a new one-time password; their sessions and tokens end."""
    with system().db.transaction() as s:
        m, one_time = member_service.reset_password(s, operator(), member)
        email = m.email
    typer.echo(f"reset the password of {email}; their sessions and API tokens are ended")
    typer.echo(f"one-time password: {one_time}")
    typer.echo("(they must change it when they sign in; it is shown only now)")


@member_app.command("reset-two-factor")
@friendly
def member_reset_two_factor(member: str):
    """Turn a member's two-factor sign-in off (phone and recovery codes lost); their sessions end."""
    with system().db.transaction() as s:
        email = two_factor.reset(s, operator(), member).email
    typer.echo(f"two-factor sign-in of {email} is off; they can set it up again from their account page")


@member_app.command("deactivate")
@friendly
def member_deactivate(member: str):
    """Deactivate a member: they cannot sign in, and their sessions and tokens stop at once."""
    with system().db.transaction() as s:
        email = member_service.deactivate_member(s, operator(), member).email
    typer.echo(f"deactivated {email}")


@member_app.command("reactivate")
@friendly
def member_reactivate(member: str):
    """Give a deactivated member their account back (they sign in again)."""
    with system().db.transaction() as s:
        email = member_service.reactivate_member(s, operator(), member).email
    typer.echo(f"reactivated {email}")


def _channel(s, ref: Optional[str]):
    return channel_service.get_channel(s, ref) if ref else None


@member_app.command("grant")
@friendly
def member_grant(member: str, role: str, channel: Optional[str] = typer.Option(None, help="channel id or handle (for 'authorized')")):
    """Grant a role (authorized needs --channel)."""
    with system().db.transaction() as s:
        member_service.grant_role(s, operator(), member, role, _channel(s, channel))
    typer.echo(f"granted {role} to {member}" + (f" on {channel}" if channel else ""))


@member_app.command("acknowledge")
@friendly
def member_acknowledge(member: str, yes: bool = typer.Option(False, "--yes", help="the member confirms: I have read "
                                                                                "and will follow this policy")):
    """The member acknowledges the active policy (shown in full), needed before they submit."""
    from onevoice.policy import acknowledgements, versions

    from .base import acting_as

    with system().db.transaction() as s:
        row = versions.active_version(s)
        if row is None:
            raise InvalidInput("there is no active policy version")
        pack = acknowledgements.clauses_of(row)
        typer.echo(f"{pack.title} ({acknowledgements.version_words(row)})\n")
        for c in pack.clauses:
            typer.echo(f"{c.id} {c.title}: {c.text}\n")
        acknowledgements.acknowledge(s, acting_as(s, member), row.id, yes)
    typer.echo(f"{member} acknowledged {acknowledgements.version_words(row)}")


@member_app.command("renew")
@friendly
def member_renew(member: str, channel: str = typer.Option(..., help="channel id or handle"),
                 until: str = typer.Option(..., help="the new end date, e.g. 2027-12-31"),
                 tz: str = typer.Option("UTC", help="the time zone of --until")):
    """Renew a member's authorization on a channel: a new end date (audited)."""
    from onevoice.governance import authorizations
    from onevoice.publishing.workflow import parse_when

    with system().db.transaction() as s:
        ends = parse_when(until, tz)
        if ends is None:
            raise InvalidInput("give --until, the new end date")
        authorizations.renew(s, operator(), member, _channel(s, channel), ends)
    typer.echo(f"{member}'s authorization on {channel} now ends on {ends:%Y-%m-%d %H:%M} UTC")


@member_app.command("revoke")
@friendly
def member_revoke(member: str, role: str, channel: Optional[str] = typer.Option(None, help="channel id or handle")):
    """Revoke a role."""
    with system().db.transaction() as s:
        member_service.revoke_role(s, operator(), member, role, _channel(s, channel))
    typer.echo(f"revoked {role} from {member}" + (f" on {channel}" if channel else ""))


@channel_app.command("add")
@friendly
def channel_add(platform: str, handle: str, name: Optional[str] = None, base_url: Optional[str] = None,
                quorum: int = 1, timezone: str = "UTC",
                credentials_file: Optional[str] = typer.Option(None, help="JSON file (or - for stdin) with the account's credentials")):
    """Add an official channel (mastodon or bluesky); credentials are stored encrypted."""
    creds = None
    if credentials_file:
        try:
            creds = json.loads(read_input(credentials_file))
        except json.JSONDecodeError as exc:
            raise typer.BadParameter(f"credentials are not JSON: {exc.msg}") from None
        if not isinstance(creds, dict):
            raise typer.BadParameter("credentials must be a JSON object")
    with system().db.transaction() as s:
        ch = channel_service.add_channel(s, operator(), system().box, platform, handle, name, base_url, creds,
                                         quorum, timezone)
        cid = ch.id
    typer.echo(f"added channel {cid}: {platform}:{handle.lstrip('@')}")


@channel_app.command("list")
@friendly
def channel_list(format: str = typer.Option("table", help="table or json")):
    """List official channels."""
    with system().db.reader() as s:
        rows = [channel_service.channel_state(c) for c in channel_service.list_channels(s, operator())]
    if format == "json":
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table("id", "platform", "handle", "name", "quorum", "credentials")
    for r in rows:
        table.add_row(str(r["id"]), r["platform"], r["handle"], r["name"], str(r["quorum"]),
                      "stored" if r["credentials_set"] else "-")
    console.print(table)


@token_app.command("create")
@friendly
def token_create(member: str, name: str = typer.Option(..., help="what the token is for"),
                 scope: Optional[list[str]] = typer.Option(None, "--scope", help="read, draft, review or admin "
                                                           "(repeat, or comma-separated); default: all the "
                                                           "member's roles allow, never more"),
                 days: Optional[int] = typer.Option(None, help="days it works (0: until revoked); "
                                                               "default ONEVOICE_TOKEN_DAYS (90)")):
    """Create an API token for a member; the secret is printed once."""
    with system().db.transaction() as s:
        actor = member_service.actor_for(member_service.get_member(s, member))
        secret, token = auth.create_token(s, actor, name, scope or None,
                                          system().settings.token_days if days is None else days)
        tid, scopes, expires = token.id, token.scopes, token.expires_at
    typer.echo(f"token {tid} ({scopes}; {'expires ' + expires.strftime('%Y-%m-%d') if expires else 'no expiry'}): "
               f"{secret}")


@token_app.command("revoke")
@friendly
def token_revoke(token_id: int):
    """Revoke an API token."""
    with system().db.transaction() as s:
        auth.revoke_token(s, operator(), token_id)
    typer.echo(f"revoked token {token_id}")
