"""`onevoice triage`: sort comments the way the committee's inbox does (3. Crisis management)."""
from __future__ import annotations

import json
import sys
from typing import Optional

import typer

from .base import app, fail, friendly, jsonl_batch


@app.command()
@friendly
def triage(text: Optional[str] = typer.Argument(None, help="one comment (or use --jsonl)"),
           followers: Optional[int] = typer.Option(None, min=0, help="the author's follower count"),
           jsonl: bool = typer.Option(False, "--jsonl",
                                      help='batch: {"id", "text", "author_followers"} per stdin line, one result per stdout line')):
    """Triage comments: escalate or not, category, severity, scores (and reasons for one comment)."""
    from onevoice.triage import triage as classify

    if not jsonl:
        if not text or not text.strip():
            fail("give a comment, or --jsonl with lines on standard input")
        typer.echo(json.dumps(classify(text, followers).to_dict(), ensure_ascii=False))
        return
    if text is not None:
        fail("give either a comment or --jsonl, not both")
    raise typer.Exit(jsonl_batch(sys.stdin.buffer, _check, _run))


def _run(items: list[dict]) -> list[dict]:
    from onevoice.triage import triage_many

    results = triage_many([i["text"] for i in items], [i.get("author_followers") for i in items])
    return [t.to_batch_line(i.get("id")) for i, t in zip(items, results)]


def _check(item) -> dict:
    if not isinstance(item, dict):
        raise ValueError("expected a JSON object")
    if not isinstance(item.get("text"), str):
        raise ValueError("each line needs a 'text' string")
    followers = item.get("author_followers")
    if followers is not None and (isinstance(followers, bool) or not isinstance(followers, int) or followers < 0):
        raise ValueError("'author_followers' must be a whole number >= 0 or null")
    return item
