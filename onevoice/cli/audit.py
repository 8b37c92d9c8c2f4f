"""The audit log from the command line: verify the chain (against an anchor), print the anchor, export it."""
from __future__ import annotations

import json
import sys
from typing import Optional

import typer

from onevoice import audit as audit_log

from .base import app, friendly, system

audit_app = typer.Typer(no_args_is_help=True, help="The hash-chained audit log.")
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
@friendly
def audit_verify(anchor: Optional[str] = typer.Option(
        None, "--anchor", help="an anchor kept outside onevoice (SEQ:HASH): the log must still hold that event")):
    """Check the hash chain: any edited or deleted event is reported."""
    mark = audit_log.Anchor.parse(anchor) if anchor is not None else None
    with system().db.reader() as s:
        result = audit_log.verify(s, mark)
    if result.ok:
        typer.echo(f"audit log intact: {result.events} events")
        return
    for problem in result.problems:
        typer.echo(f"audit: {problem}", err=True)
    typer.echo(f"error: audit log has been tampered with ({len(result.problems)} problems)", err=True)
    raise typer.Exit(1)


@audit_app.command("anchor")
@friendly
def audit_anchor():
    """Print the head of the log (SEQ:HASH) to keep elsewhere; the committee also gets it by e-mail
    every ONEVOICE_AUDIT_ANCHOR_HOURS."""
    with system().db.reader() as s:
        typer.echo(str(audit_log.anchor(s)))


@audit_app.command("export")
@friendly
def audit_export(output: str = typer.Option("-", "--output", "-o", help="file, or - for stdout")):
    """Write the audit log as JSON Lines."""
    out = sys.stdout if output == "-" else open(output, "w", encoding="utf-8")
    try:
        with system().db.reader() as s:
            for event in audit_log.export(s):
                out.write(json.dumps(event, ensure_ascii=False) + "\n")
    finally:
        if out is not sys.stdout:
            out.close()
