"""Drafts, reviews and publishing from the command line (each acting as a member: --as)."""
from __future__ import annotations

import json
from typing import Optional

import typer
from rich.console import Console

from onevoice.publishing import outbox, workflow

from .base import acting_as, app, fail, friendly, read_input, system

draft_app = typer.Typer(no_args_is_help=True, help="Drafts for the official channels (1.).")
review_app = typer.Typer(no_args_is_help=True, help="Committee review of drafts (1.).")
publish_app = typer.Typer(no_args_is_help=True, help="Publishing of approved, scheduled drafts.")
app.add_typer(draft_app, name="draft")
app.add_typer(review_app, name="review")
app.add_typer(publish_app, name="publish")
console = Console(highlight=False)
AS = typer.Option(..., "--as", help="e-mail of the member you act for")


def _attachments(images: list[str], alts: list[str], credits: list[str]) -> list[dict] | None:
    if not images:
        return None
    if len(alts) not in (0, len(images)):
        fail("give one --alt per --image (or none)")
    return [{"type": "image", "url": url, "alt": alts[i] if alts else "", "credit": credits[i] if i < len(credits) else None}
            for i, url in enumerate(images)]


def _print(d, as_json: bool) -> None:
    data = workflow.draft_view(d)
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, default=str))
        return
    console.print(f"draft {data['id']}  [bold]{data['state']}[/]  revision {data['revision']}  "
                  f"screening: {data['screening']['decision'] or '-'}  approvals: {data['approvals']}")
    for f in data["screening"]["findings"]:
        console.print(f"  {f['severity']} {f['clause']} {f['clause_title']}: {f['text']!r} -> {f['fix']}")
    if data["error"]:
        console.print(f"  [red]platform said:[/] {data['error']}")
    if data["published"]:
        console.print(f"  published: {data['published'].get('url') or data['published'].get('id')}")


@draft_app.command("new")
@friendly
def draft_new(channel: str, path: str = typer.Argument("-", help="file with the text, or - for stdin"),
              as_: str = AS, reply_to: Optional[str] = typer.Option(None, help="platform id of the post answered"),
              image: list[str] = typer.Option([], help="image URL or reference (repeatable)"),
              alt: list[str] = typer.Option([], help="alt text per image"),
              credit: list[str] = typer.Option([], help="credit per image"),
              json_: bool = typer.Option(False, "--json")):
    """Write a new draft for a channel."""
    text = read_input(path)
    with system().db.transaction() as s:
        d = workflow.create_draft(s, acting_as(s, as_), channel, text, kind="reply" if reply_to else "official",
                                  attachments=_attachments(image, alt, credit),
                                  reply_to={"id": reply_to} if reply_to else None)
        _print(d, json_)


@draft_app.command("edit")
@friendly
def draft_edit(draft_id: int, path: str = typer.Argument("-"), as_: str = AS, json_: bool = typer.Option(False, "--json")):
    """Replace a draft's text (resets approvals if it was under review)."""
    text = read_input(path)
    with system().db.transaction() as s:
        _print(workflow.edit(s, acting_as(s, as_), draft_id, system().screening, text=text), json_)


@draft_app.command("submit")
@friendly
def draft_submit(draft_id: int, as_: str = AS, json_: bool = typer.Option(False, "--json")):
    """Submit to the committee (screened automatically)."""
    with system().db.transaction() as s:
        _print(workflow.submit(s, acting_as(s, as_), draft_id, system().screening), json_)


@draft_app.command("show")
@friendly
def draft_show(draft_id: int, as_: str = AS, json_: bool = typer.Option(False, "--json")):
    """Show a draft with its screening findings and reviews."""
    with system().db.reader() as s:
        _print(workflow.view_draft(s, acting_as(s, as_), draft_id), json_)


@draft_app.command("list")
@friendly
def draft_list(as_: str = AS, state: Optional[str] = None):
    """List drafts (yours, or all for the committee)."""
    with system().db.reader() as s:
        for d in workflow.list_drafts(s, acting_as(s, as_), state):
            console.print(f"{d.id:>5}  {d.state:<18} {d.text[:60]!r}")


@draft_app.command("schedule")
@friendly
def draft_schedule(draft_id: int, as_: str = AS,
                   at: Optional[str] = typer.Option(None, help="'2026-12-01 09:00' (default: now)"),
                   tz: Optional[str] = typer.Option(None, help="time zone of --at (default: the channel's)")):
    """Schedule an approved draft."""
    with system().db.transaction() as s:
        actor = acting_as(s, as_)
        d = workflow.get_draft(s, draft_id)
        from onevoice.store.models import Channel

        when = workflow.parse_when(at, tz or s.get(Channel, d.channel_id).timezone)
        d = workflow.schedule(s, actor, draft_id, when)
        typer.echo(f"draft {d.id} scheduled for {d.scheduled_at.isoformat()}")


@draft_app.command("retract")
@friendly
def draft_retract(draft_id: int, as_: str = AS, reason: str = typer.Option(..., help="why")):
    """Take a published post down."""
    with system().db.transaction() as s:
        workflow.retract(s, acting_as(s, as_), draft_id, reason)
    typer.echo(f"retraction of draft {draft_id} queued; `onevoice publish due` sends it")


def _review(draft_id: int, as_: str, verdict: str, comment: str) -> None:
    with system().db.transaction() as s:
        d = workflow.review(s, acting_as(s, as_), draft_id, verdict, comment)
        typer.echo(f"draft {d.id}: {verdict.replace('_', ' ')} recorded; state {d.state}")


@review_app.command("approve")
@friendly
def review_approve(draft_id: int, as_: str = AS, comment: str = ""):
    """Approve (counts toward the channel's quorum)."""
    _review(draft_id, as_, "approve", comment)


@review_app.command("request-changes")
@friendly
def review_request_changes(draft_id: int, as_: str = AS, comment: str = typer.Option(..., help="what to change")):
    """Send back to the author with what to change."""
    _review(draft_id, as_, "request_changes", comment)


@review_app.command("reject")
@friendly
def review_reject(draft_id: int, as_: str = AS, comment: str = typer.Option(..., help="why")):
    """Reject for good."""
    _review(draft_id, as_, "reject", comment)


@review_app.command("override")
@friendly
def review_override(draft_id: int, as_: str = AS, reason: str = typer.Option(..., help="written reason")):
    """Chair only: set aside this revision's block findings."""
    with system().db.transaction() as s:
        workflow.override_block(s, acting_as(s, as_), draft_id, reason)
    typer.echo(f"draft {draft_id}: block findings overridden; it still needs the committee's approval")


@publish_app.command("due")
@friendly
def publish_due(limit: int = 50):
    """Send every due post (and retraction) to its platform, exactly once."""
    outcomes = outbox.publish_due(system().db, system().connector_for, limit=limit)
    for o in outcomes:
        typer.echo(f"draft {o.draft_id} {o.action}: {o.status} {o.detail}".rstrip())
    if not outcomes:
        typer.echo("nothing due")
    if any(o.status == "failed" for o in outcomes):
        raise typer.Exit(1)
