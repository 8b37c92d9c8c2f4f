"""`onevoice triage`: sort comments the way the committee's inbox does (3.)."""
from __future__ import annotations

import json
import sys
from typing import Optional

import typer

from onevoice.triage import triage as classify

from .base import app, fail, friendly


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
    bad = 0
    for number, raw in enumerate(sys.stdin.buffer, 1):
        if not raw.strip():
            continue
        try:
            item = json.loads(raw.decode("utf-8"))
            if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                raise ValueError("each line needs a 'text' string")
            f = item.get("author_followers")
            if f is not None and (not isinstance(f, int) or f < 0):
                raise ValueError("'author_followers' must be a whole number")
            result = classify(item["text"], f)
        except UnicodeDecodeError:
            reason = "not valid UTF-8"
        except json.JSONDecodeError as exc:
            reason = f"not JSON ({exc.msg})"
        except ValueError as exc:
            reason = str(exc)
        else:
            sys.stdout.write(json.dumps(result.to_batch_line(item.get("id")), ensure_ascii=False) + "\n")
            continue
        bad += 1
        typer.echo(f"error: line {number}: {reason}", err=True)
    sys.stdout.flush()
    raise typer.Exit(1 if bad else 0)
