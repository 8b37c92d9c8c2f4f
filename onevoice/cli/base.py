from __future__ import annotations

import functools
import getpass
import sys
from typing import Callable

import typer

from onevoice.errors import OnevoiceError
from onevoice.governance.permissions import Actor, PermissionDenied, Role

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="onevoice: the IPALA social media policy as working software.")


def operator() -> Actor:
    return Actor(member_id=None, label=f"cli:{getpass.getuser()}", roles=frozenset(Role))


def acting_as(session, email: str) -> Actor:
    """The member an operator acts for: their own roles apply, and the audit log names both."""
    from dataclasses import replace

    from onevoice.governance.members import actor_for, get_member

    actor = actor_for(get_member(session, email))
    return replace(actor, label=f"{actor.label} (via cli:{getpass.getuser()})")


_system = None


def system():
    """The installation, built on first use so that `--help` needs no database."""
    global _system
    if _system is None:
        from onevoice.system import System

        _system = System()
    return _system


def fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def friendly(fn: Callable) -> Callable:
    """Any expected failure becomes one line on stderr and a non-zero exit."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from onevoice.policy import PolicyPackError
        from sqlalchemy.exc import OperationalError

        try:
            return fn(*args, **kwargs)
        except (OnevoiceError, PermissionDenied) as exc:
            fail(getattr(exc, "detail", None) or str(exc))
        except PolicyPackError as exc:
            fail(str(exc))
        except OperationalError as exc:
            fail(f"database error: {str(exc.orig).splitlines()[0]} (did you run `onevoice init`?)")
        except OverflowError:
            fail("that number is too large to be an id")
        except OSError as exc:
            fail(f"{exc.strerror or exc}: {getattr(exc, 'filename', '') or ''}".rstrip(": "))
        except KeyboardInterrupt:
            fail("interrupted", 130)

    return wrapper


def read_input(path: str) -> str:
    if path == "-":
        data = sys.stdin.buffer.read()
    else:
        with open(path, "rb") as fh:
            data = fh.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise OnevoiceError(f"input is not valid UTF-8 (byte {exc.start})") from None


def jsonl_batch(stream, check, run=None, chunk: int = 64) -> int:
    """One JSON object per input line. `check(item)` returns the item ready to run, or raises
    ValueError with the reason; `run(ready_items)` turns up to `chunk` of them into output objects
    at once (the learned layer reads a batch in one encoder call); without `run`, `check`'s result
    is the output. Bad lines are reported on stderr with their line number and skipped; the rest
    go on, in input order. Returns the exit code: 0 when every line was handled, 1 otherwise."""
    import json

    bad = 0
    ready: list = []

    def flush() -> None:
        for result in (run(ready) if run else ready):
            sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        ready.clear()

    for number, raw in enumerate(stream, 1):
        if not raw.strip():
            continue
        try:
            item = check(json.loads(raw.decode("utf-8")))
        except UnicodeDecodeError:
            reason = "not valid UTF-8"
        except json.JSONDecodeError as exc:
            reason = f"not JSON ({exc.msg})"
        except ValueError as exc:
            reason = str(exc)
        else:
            ready.append(item)
            if len(ready) >= chunk:
                flush()
            continue
        flush()  # keep the output in input order around the error line
        bad += 1
        typer.echo(f"error: line {number}: {reason}", err=True)
    flush()
    sys.stdout.flush()
    return 1 if bad else 0
