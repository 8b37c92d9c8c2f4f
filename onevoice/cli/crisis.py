"""Comments, incidents and playbooks from the command line (3.)."""
from __future__ import annotations

import json
from typing import Optional

import typer
from rich.console import Console

from onevoice.crisis import inbox, incidents, intake, playbooks, queue
from onevoice.governance.channels import get_channel
from onevoice.store.models import Comment

from .base import acting_as, app, friendly, operator, read_input, system

comments_app = typer.Typer(no_args_is_help=True, help="Inbound comments and mentions (3.).")
incident_app = typer.Typer(no_args_is_help=True, help="Incidents (3.).")
playbook_app = typer.Typer(no_args_is_help=True, help="The committee's playbooks (3.).")
app.add_typer(comments_app, name="comments")
app.add_typer(incident_app, name="incident")
app.add_typer(playbook_app, name="playbook")
console = Console(highlight=False)
AS = typer.Option(..., "--as", help="e-mail of the member you act for")


@comments_app.command("import")
@friendly
def comments_import(channel: str, path: str = typer.Argument(..., help="CSV or JSONL file, or - for stdin"),
                    format: Optional[str] = typer.Option(None, help="csv or jsonl (default: from the file name)")):
    """Import comments from a file: stored once, triaged, escalated."""
    fmt = format or ("csv" if path.endswith(".csv") else "jsonl")
    data = read_input(path).encode("utf-8")
    items, errors = intake.parse_import(data, fmt)
    with system().db.reader() as s:
        channel_id = get_channel(s, channel).id
    result = intake.ingest(system().db, channel_id, items, "import", system().settings)
    for e in errors:
        typer.echo(f"error: {e}", err=True)
    typer.echo(f"{result.new} new, {result.duplicates} already known, {result.escalated} escalated, "
               f"incidents: {', '.join(map(str, result.incidents)) or '-'}")
    if errors:
        raise typer.Exit(1)


@comments_app.command("poll")
@friendly
def comments_poll():
    """Pull new mentions and replies from every active channel now."""
    from onevoice.jobs import poll_channels

    for line in poll_channels(system()):
        typer.echo(line)


@comments_app.command("list")
@friendly
def comments_list(as_: str = AS, escalated: bool = typer.Option(False, help="only those escalated"),
                  state: Optional[str] = typer.Option(None, help="open, mine, snoozed, handled, escalated or all"),
                  limit: int = typer.Option(100, min=1, max=500)):
    """The inbox, newest first: every channel's for the committee, their own channels' for an authorized member."""
    with system().db.reader() as s:
        if state:
            q = inbox.inbox_query(acting_as(s, as_), inbox.Filters.parse(state))
            rows = list(s.scalars((q.where(Comment.escalate.is_(True)) if escalated else q).limit(limit)))
        else:
            rows = inbox.list_comments(s, acting_as(s, as_), escalated=True if escalated else None, limit=limit)
        for c in rows:
            flag = f"incident {c.incident_id}" if c.incident_id else ("escalated" if c.escalate else "")
            # echo, not rich: an outsider's text must not be read as markup
            typer.echo(f"{c.id:>5}  channel {c.channel_id}  {c.category or '-':<14} sev {c.severity}  "
                       f"{c.text[:60]!r}  {flag}")


def _comment_line(c) -> str:
    who = f"assigned to member {c.assigned_to}" if c.assigned_to else "unassigned"
    state = "handled" if c.handled else (f"snoozed until {c.snoozed_until:%Y-%m-%d %H:%M} UTC" if c.snoozed_until
                                         else "open")
    return f"comment {c.id}: {state}, {who}"


@comments_app.command("assign")
@friendly
def comments_assign(comment_id: int, member: Optional[str] = typer.Argument(None, help="e-mail or id; none: unassign"),
                    as_: str = AS):
    """Committee: give a comment to a committee member to answer (they are told by e-mail)."""
    from onevoice.governance.members import get_member

    with system().db.transaction() as s:
        member_id = get_member(s, member).id if member else None
        typer.echo(_comment_line(inbox.assign(s, acting_as(s, as_), comment_id, member_id, system().settings)))


@comments_app.command("snooze")
@friendly
def comments_snooze(comment_id: int, for_: str = typer.Option("1h", "--for", help="1h, 4h or tomorrow (09:00 in "
                                                                                    "your time zone)"),
                    wake: bool = typer.Option(False, help="end the snooze now"), as_: str = AS):
    """Committee: take a comment out of the open list for a while."""
    from onevoice.governance.members import get_member

    with system().db.transaction() as s:
        actor = acting_as(s, as_)
        until = None if wake else inbox.snooze_until(for_, get_member(s, as_).timezone)
        typer.echo(_comment_line(inbox.snooze(s, actor, comment_id, until)))


@comments_app.command("handled")
@friendly
def comments_handled(comment_id: int, reopen: bool = typer.Option(False, help="open it again"), as_: str = AS):
    """Committee: mark a comment handled (nothing more to do), or reopen it."""
    with system().db.transaction() as s:
        typer.echo(_comment_line(inbox.set_handled(s, acting_as(s, as_), comment_id, not reopen)))


@comments_app.command("reply")
@friendly
def comments_reply(comment_id: int, text: str, as_: str = AS):
    """Authorized member of the channel: draft a reply; it goes to the review queue (1.)."""
    with system().db.transaction() as s:
        draft_id = inbox.draft_reply(s, acting_as(s, as_), comment_id, text, system().screening)
    typer.echo(f"draft {draft_id}: a reply to comment {comment_id}, in the review queue")


@comments_app.command("failed")
@friendly
def comments_failed():
    """Admin: queued batches that failed every attempt (dead letters), with their errors."""
    with system().db.reader() as s:
        rows = [queue.dead_letter_view(b) for b in queue.failed(s, operator())]
    for b in rows:
        typer.echo(f"batch {b['id']}: channel {b['channel_id']}, {b['source']}, {b['items']} comments, "
                   f"received {b['received_at'][:16]}, {b['attempts']} attempts: {b['error']}")
    if not rows:
        typer.echo("no failed batches")


@comments_app.command("retry")
@friendly
def comments_retry(batch_id: int):
    """Admin: queue a failed batch again (once its cause is fixed)."""
    with system().db.transaction() as s:
        queue.retry(s, operator(), batch_id)
    typer.echo(f"batch {batch_id} queued again; the workers take it at their next run")


@comments_app.command("discard")
@friendly
def comments_discard(batch_id: int):
    """Admin: give a failed batch up; its comments are not stored (the audit log keeps the record)."""
    with system().db.transaction() as s:
        queue.discard(s, operator(), batch_id)
    typer.echo(f"batch {batch_id} discarded")


@incident_app.command("list")
@friendly
def incident_list(as_: str = AS, state: Optional[str] = None):
    with system().db.reader() as s:
        for i in incidents.list_incidents(s, acting_as(s, as_), state):
            console.print(f"{i.id:>4}  sev {i.severity}  {i.state:<12} {i.type:<14} {i.title[:60]}")


@incident_app.command("show")
@friendly
def incident_show(incident_id: int, as_: str = AS):
    with system().db.reader() as s:
        incident = incidents.view_incident(s, acting_as(s, as_), incident_id)
        typer.echo(json.dumps(incidents.incident_view(incident), indent=2, ensure_ascii=False))


def _act(fn, incident_id: int, as_: str, *args) -> None:
    with system().db.transaction() as s:
        i = fn(s, acting_as(s, as_), incident_id, *args)
        typer.echo(f"incident {i.id}: {i.state}" + (" (crisis mode)" if i.crisis_mode else ""))


@incident_app.command("ack")
@friendly
def incident_ack(incident_id: int, as_: str = AS):
    """Acknowledge: stops the escalation ladder."""
    _act(incidents.acknowledge, incident_id, as_)


@incident_app.command("respond")
@friendly
def incident_respond(incident_id: int, as_: str = AS, note: str = ""):
    _act(incidents.respond, incident_id, as_, note)


@incident_app.command("resolve")
@friendly
def incident_resolve(incident_id: int, as_: str = AS, resolution: str = typer.Option(..., help="what was done")):
    _act(incidents.resolve, incident_id, as_, resolution)


@incident_app.command("check")
@friendly
def incident_check(incident_id: int, step: int, as_: str = AS, undo: bool = False):
    """Tick a step of the incident's playbook checklist."""
    _act(incidents.check_step, incident_id, as_, step, not undo)


@incident_app.command("crisis-mode")
@friendly
def incident_crisis_mode(incident_id: int, on: bool = typer.Option(..., "--on/--off"), as_: str = AS):
    """Pause (--on) or resume (--off) the channel's scheduled posts."""
    _act(incidents.set_crisis_mode, incident_id, as_, on)


@incident_app.command("fast-track")
@friendly
def incident_fast_track(incident_id: int, response: str, as_: str = AS, comment: Optional[int] = None):
    """Chair only: send a pre-approved playbook response now."""
    with system().db.transaction() as s:
        draft_id = incidents.fast_track(s, acting_as(s, as_), incident_id, response, system().screening, comment)
    typer.echo(f"response draft {draft_id} approved and scheduled; `onevoice publish due` sends it")


@playbook_app.command("list")
@friendly
def playbook_list():
    """The active playbooks, and where each response stands in the committee's pre-approval."""
    with system().db.reader() as s:
        for p in playbooks.all_active(s):
            console.print(f"{p.name:<18} {p.incident_type:<14} {len(p.steps)} steps, {len(p.responses)} responses")
            for a in playbooks.proposals(s, p.name):
                console.print(f"  {a.response} on channel {a.channel_id}: {playbooks.approval_status(s, a)} "
                              f"(draft {a.draft_id})")


@playbook_app.command("save")
@friendly
def playbook_save(path: str, as_: str = AS):
    """Write or edit a playbook (YAML); the new version becomes active."""
    source = read_input(path)
    with system().db.transaction() as s:
        spec = playbooks.save(s, acting_as(s, as_), source)
    typer.echo(f"playbook {spec.name} saved")


@playbook_app.command("propose")
@friendly
def playbook_propose(playbook: str, response: str, channel: str = typer.Option(..., help="channel id or handle"),
                     as_: str = AS):
    """Propose a response for pre-approval on a channel: a draft of its text goes to the committee
    for review with the channel's quorum; once approved, the chair may fast-track it there."""
    with system().db.transaction() as s:
        a = playbooks.propose(s, acting_as(s, as_), playbook, response, channel, system().screening)
        status, draft_id = playbooks.approval_status(s, a), a.draft_id
    typer.echo(f"{playbook}/{response} proposed for pre-approval as draft {draft_id} ({status}); "
               f"the committee reviews it with `onevoice review approve {draft_id}`")
