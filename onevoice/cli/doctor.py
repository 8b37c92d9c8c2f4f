"""`onevoice doctor`: what is not configured or not working, one line each, with what to set.

The escalation of a crisis (3.) depends on more than the code: an e-mail server or a chat room to
reach the chair by, a chair and a committee to reach, a worker that delivers, a channel whose
comments come in. Each gap is silent until the day it matters; this lists them. The exit status
is 1 when something the escalation needs is missing, so a deployment check can fail on it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import typer
from sqlalchemy import func, select

from .base import app, friendly, system

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
STALLED_AFTER = timedelta(minutes=10)  # due this long and still pending: nothing is delivering


@dataclass(frozen=True)
class Finding:
    needed: bool   # escalation cannot work without it: `doctor` exits 1
    area: str
    text: str      # what is wrong, and what to set

    def line(self) -> str:
        return f"{'missing' if self.needed else 'warning'}: {self.area}: {self.text}"


def diagnose(settings, session, now: datetime | None = None) -> list[Finding]:
    """Every gap found in the settings and the database, most serious first."""
    from onevoice import notify
    from onevoice.governance.members import holders
    from onevoice.governance.permissions import Role
    from onevoice.store.models import Channel, Notification, OutboxEntry, utcnow

    now = now or utcnow()
    found: list[Finding] = []
    config = notify.NotifyConfig.resolve(settings)
    chat = notify.chat_targets(config)
    if not config.smtp_host:
        found.append(Finding(not chat, "e-mail", "no SMTP server is configured, so the chair is not e-mailed "
                             "(nor are invitations and password resets): set ONEVOICE_SMTP_HOST and ONEVOICE_SMTP_FROM "
                             "(and ONEVOICE_SMTP_PORT, ONEVOICE_SMTP_USER, ONEVOICE_SMTP_PASSWORD, "
                             "ONEVOICE_SMTP_STARTTLS=1 as your mail provider says)"))
    if not chat:
        found.append(Finding(False, "chat", "no chat target: escalations go by e-mail only; set "
                             "ONEVOICE_CHAT_WEBHOOKS (Slack or Teams webhook URLs) or ONEVOICE_MATRIX_ROOM"))
    if config.matrix_room and not (config.matrix_homeserver and config.matrix_token):
        found.append(Finding(not config.smtp_host, "chat", "ONEVOICE_MATRIX_ROOM is set but Matrix cannot be "
                             "reached: set ONEVOICE_MATRIX_HOMESERVER and ONEVOICE_MATRIX_TOKEN"))

    chairs = holders(session, Role.CHAIR)
    committee = {m.id for r in (Role.CHAIR, Role.VICE_CHAIR, Role.COMMITTEE) for m in holders(session, r)}
    if not chairs:
        found.append(Finding(True, "committee", "no active member is the chair, so escalations reach nobody "
                             "until the deadline passes: `onevoice member grant EMAIL chair` or Admin > Members"))
    if not committee:
        found.append(Finding(True, "committee", "no committee members: nobody reviews drafts or handles "
                             "incidents: `onevoice member grant EMAIL committee`"))
    elif not holders(session, Role.VICE_CHAIR):
        found.append(Finding(False, "committee", "no vice-chair: the first step of the escalation ladder adds "
                             "nobody: `onevoice member grant EMAIL vice_chair`"))

    channels = list(session.scalars(select(Channel).where(Channel.active.is_(True)).order_by(Channel.id)))
    if not channels:
        found.append(Finding(False, "channels", "no channel is connected, so no comment comes in to escalate: "
                             "add one in Admin > Channels (or `onevoice channel add`)"))
    for ch in channels:
        name = f"{ch.platform}:{ch.handle}"
        if ch.credentials is None:
            found.append(Finding(False, "channels", f"{name} has no credentials: nothing is posted or read "
                                 "from it; connect it in Admin > Channels"))
        elif ch.credentials_failing_since is not None:
            found.append(Finding(True, "channels", f"{name}: credentials failing since "
                                 f"{ch.credentials_failing_since:%Y-%m-%d %H:%M} UTC ({ch.credentials_error or 'no detail'}); "
                                 "its comments are not read: reconnect it in Admin > Channels"))

    if (settings.base_url or DEFAULT_BASE_URL).rstrip("/") == DEFAULT_BASE_URL:
        found.append(Finding(False, "links", f"ONEVOICE_BASE_URL is still {DEFAULT_BASE_URL}: the links in "
                             "escalation e-mails open nothing on the chair's phone; set it to the address "
                             "people open onevoice at"))

    if not settings.scheduler and not settings.broker_url:
        found.append(Finding(False, "worker", "ONEVOICE_SCHEDULER=off and no ONEVOICE_BROKER_URL: the web "
                             "process runs no periodic jobs; make sure `onevoice worker` runs"))
    stalled = session.scalar(select(func.count(Notification.id)).where(
        Notification.status == "pending", Notification.due_at <= now - STALLED_AFTER)) or 0
    posts = session.scalar(select(func.count(OutboxEntry.id)).where(
        OutboxEntry.status == "pending", OutboxEntry.due_at <= now - STALLED_AFTER)) or 0
    if stalled:
        found.append(Finding(True, "worker", f"{stalled} notification{'s have' if stalled != 1 else ' has'} waited "
                             "more than 10 minutes: nothing is delivering them; start `onevoice worker` "
                             "(or set ONEVOICE_SCHEDULER=on)"))
    if posts:
        found.append(Finding(False, "worker", f"{posts} scheduled post{'s are' if posts != 1 else ' is'} more than "
                             "10 minutes late (paused by crisis mode, or no worker is publishing)"))

    summary = notify.undelivered(session)
    if summary is not None:
        if summary.failed:
            found.append(Finding(True, "notifications", f"{summary.failed} failed ({summary.reason}); fix it, then "
                                 "Retry on the app's Undelivered notifications page (/notifications)"))
        if summary.retrying:
            found.append(Finding(True, "notifications", f"{summary.retrying} still failing and being retried "
                                 f"({summary.reason})"))
    return sorted(found, key=lambda f: not f.needed)


@app.command()
@friendly
def doctor():
    """List what is not configured or not working, with what to set; exit 1 if escalation cannot work."""
    sys_ = system()
    with sys_.db.reader() as s:
        found = diagnose(sys_.settings, s)
    for f in found:
        typer.echo(f.line())
    if not found:
        typer.echo("all set: e-mail, chat, the committee, the channels and the worker are configured")
    elif not any(f.needed for f in found):
        typer.echo("escalation can work; the warnings above are worth fixing")
    if any(f.needed for f in found):
        typer.echo("escalation cannot work until the 'missing' lines are fixed", err=True)
        raise typer.Exit(1)
