"""`onevoice screen`: check a draft (or a batch of drafts) against the policy."""
from __future__ import annotations

import json
import sys
from typing import Optional

import typer
from rich.console import Console
from rich.text import Text

from onevoice.errors import TooLarge
from onevoice.screening import Draft, Engine, Report, check_length

from .base import app, fail, friendly, jsonl_batch, read_input, system

SEVERITY_STYLE = {"block": "bold white on red", "review": "black on yellow", "advise": "underline cyan"}


def _engine(policy: Optional[str], employer: list[str]) -> Engine:
    if policy or employer:
        from onevoice.policy import load_pack

        return Engine(load_pack(policy or system().settings.policy_pack, employers=tuple(employer)))
    return system().screening


def render(report: Report, text: str, console: Console) -> None:
    """The draft with every finding's span highlighted, then one line per finding."""
    styled = Text(text)
    for f in report.findings:
        if f.end > f.start:
            styled.stylize(SEVERITY_STYLE[f.severity.value], f.start, f.end)
    console.print(styled)
    console.print()
    colour = {"block": "red", "review": "yellow", "pass": "green"}[report.decision.value]
    console.print(f"[bold {colour}]{report.decision.value.upper()}[/]  ({report.policy})")
    for f in report.findings:
        where = f"{f.start}-{f.end} {f.text!r}" if f.end > f.start else (f.evidence or "attachment")
        console.print(f"  [{SEVERITY_STYLE[f.severity.value]}]{f.severity.value}[/] {f.citation} [dim]({f.rule})[/]: {where}")
        console.print(f"      {f.explanation}")
        console.print(f"      [green]fix:[/] {f.fix}")


@app.command()
@friendly
def screen(
    path: str = typer.Argument("-", help="file with the draft text, or - for stdin"),
    kind: str = typer.Option("official", help="official, reply or personal"),
    format: str = typer.Option("text", "--format", help="text (coloured) or json"),
    jsonl: bool = typer.Option(False, "--jsonl", help="batch: one JSON draft per input line, one result per output line"),
    policy: Optional[str] = typer.Option(None, help="policy pack name or file (default: the active pack)"),
    employer: list[str] = typer.Option([], help="employer pack name or file to check 2.g against (repeatable)"),
):
    """Screen a draft against the policy (exit 0 pass, 1 review or block in text mode)."""
    if format not in ("text", "json"):
        fail("--format must be text or json")
    limit = system().settings.max_draft_chars
    if jsonl:
        raise typer.Exit(_batch(_engine(policy, employer), path, limit))
    text = check_length(read_input(path), limit)  # refused before the engine is even loaded
    if not text.strip():
        fail("the draft is empty")
    engine = _engine(policy, employer)
    try:
        report = engine.screen(Draft(text=text, kind=kind) if kind in ("official", "reply", "personal")
                               else Draft.from_dict({"text": text, "kind": kind}))
    except ValueError as exc:
        fail(str(exc))
    if format == "json":
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        render(report, text, Console(highlight=False))
    raise typer.Exit(0 if report.decision.value == "pass" or format == "json" else 1)


def _batch(engine: Engine, path: str, limit: int) -> int:
    def bounded(item: dict) -> Draft:
        draft = Draft.from_dict(item)
        try:
            check_length(draft.text, limit)
        except TooLarge as exc:  # this line is reported and skipped; the others are screened
            raise ValueError(exc.detail) from None
        return draft

    stream = sys.stdin.buffer if path == "-" else open(path, "rb")
    try:
        return jsonl_batch(stream, bounded,
                           lambda drafts: [r.to_batch_line() for r in engine.screen_many(drafts)])
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
