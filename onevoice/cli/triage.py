"""`onevoice triage`: sort comments the way the committee's inbox does (3.)."""
from __future__ import annotations

import json
import sys
from typing import Optional

import typer

from onevoice.triage import triage as classify

from .base import app, fail, friendly, jsonl_batch


@app.command()
@friendly
def triage(text: Optional[str] = typer.Argument(None, help="one comment (or use --jsonl)"),
           followers: Optional[int] = typer.Option(None, help="the author's follower count"),
           jsonl: bool = typer.Option(False, "--jsonl", help='batch: {"id", "text", "author_followers"} per input line')):
    """Triage comments: escalate or not, category, severity and scores."""
    if not jsonl:
        if not text or not text.strip():
            fail("give a comment, or --jsonl with lines on standard input")
        typer.echo(json.dumps(classify(text, followers).to_dict(), ensure_ascii=False))
        return
    raise typer.Exit(jsonl_batch(sys.stdin.buffer, _one))


def _one(item) -> dict:
    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
        raise ValueError("each line needs a 'text' string")
    followers = item.get("author_followers")
    if followers is not None and (not isinstance(followers, int) or followers < 0):
        raise ValueError("'author_followers' must be a whole number")
    return classify(item["text"], followers).to_batch_line(item.get("id"))
