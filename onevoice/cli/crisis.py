"""Comments, incidents and playbooks from the command line (3.)."""
from __future__ import annotations

import json
from typing import Optional

import typer
from rich.console import Console

from onevoice.crisis import incidents, intake, playbooks
from onevoice.governance.channels import get_channel

from .base import acting_as, app, fail, friendly, read_input, system

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
        acting_as(s, as_)
        typer.echo(json.dumps(incidents.incident_view(incidents.get_incident(s, incident_id)), indent=2,
                              ensure_ascii=False))


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
    with system().db.reader() as s:
        for p in playbooks.all_active(s):
            console.print(f"{p.name:<18} {p.incident_type:<14} {len(p.steps)} steps, "
                          f"{sum(r.pre_approved for r in p.responses)} pre-approved responses")


@playbook_app.command("save")
@friendly
def playbook_save(path: str, as_: str = AS):
    """Write or edit a playbook (YAML); the new version becomes active."""
    source = read_input(path)
    with system().db.transaction() as s:
        spec = playbooks.save(s, acting_as(s, as_), source)
    typer.echo(f"playbook {spec.name} saved")
