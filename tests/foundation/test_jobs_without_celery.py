"""The generic scheduler (onevoice.jobs) knows nothing of Celery: work reaches the workers through
the `System.kick` hook, which does nothing until the Celery side (onevoice.scale) installs it."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_jobs_imports_neither_scale_nor_celery():
    code = ("import sys, onevoice.jobs; "
            "print(sorted(m for m in sys.modules if m == 'onevoice.scale' or m.split('.')[0] == 'celery'))")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def test_kick_does_nothing_without_a_hook(system):
    from onevoice import jobs

    assert not system.has_workers
    assert system.kick("job", "publish_due") is False
    jobs.kick(system, "publish_due")  # no broker: nothing to send, nothing raised


def test_kick_hands_off_to_the_installed_hook(system):
    sent = []
    system.install_kick(lambda task, *args: sent.append((task, args)))
    assert system.has_workers and system.kick("report", "2026-01", "admin", False)
    assert sent == [("report", ("2026-01", "admin", False))]
    system.install_kick(None)
    assert not system.has_workers
