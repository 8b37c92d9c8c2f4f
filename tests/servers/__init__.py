"""Real servers the tests start on loopback and stop again."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


PG_HOST, PG_PORT = "127.0.0.1", 5432  # the machine's PostgreSQL server (CI runs one)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_available() -> bool:
    """Whether the PostgreSQL server answers on 127.0.0.1:5432."""
    try:
        socket.create_connection((PG_HOST, PG_PORT), timeout=1).close()
        return True
    except OSError:
        return False


def alive(pid: str) -> bool:
    """Whether the process a work folder is named after still runs (a name that is no pid: keep it)."""
    if not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):
        return True
    return True


def sweep_workdirs(prefix: str) -> None:
    """Remove the work folders `<tmp>/<prefix>-<pid>-...` of test sessions killed before they could."""
    for folder in Path(tempfile.gettempdir()).glob(f"{prefix}-*"):
        if not alive(folder.name[len(prefix) + 1:].split("-")[0]):
            shutil.rmtree(folder, ignore_errors=True)


def terminate(proc: subprocess.Popen, timeout: float = 10) -> None:
    """Stop a server started in its own process group: SIGTERM, then SIGKILL after `timeout`."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
    except ProcessLookupError:
        pass


def poll_until(fn: Callable[[], Any], what: str, server: str, timeout: float, interval: float,
               growth: float = 1.0) -> Any:
    """Poll `fn` until it returns something truthy (exceptions count as "not yet"), or fail after
    `timeout`: real servers deliver replies, mentions and counts through their own queues. The
    wait between tries grows by `growth`, up to a second."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            result = fn()
            if result:
                return result
            last = result
        except Exception as exc:  # noqa: BLE001 - not delivered yet, or a transient error: keep polling
            last = exc
        if time.monotonic() > deadline:
            raise AssertionError(f"{server} did not show {what} within {timeout:.0f} s (last answer: {last!r})")
        time.sleep(interval)
        interval = min(interval * growth, 1.0)
