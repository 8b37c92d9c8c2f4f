"""Scale-out: the same jobs as `onevoice worker`, run by Celery workers over Redis or RabbitMQ.

    ONEVOICE_BROKER_URL=redis://127.0.0.1:6379/0 celery -A onevoice.scale worker --concurrency 2
    ONEVOICE_BROKER_URL=redis://127.0.0.1:6379/0 celery -A onevoice.scale beat

Beat enqueues each job at its interval; any worker may run it. The jobs are safe to run on
several workers at once: the outbox and escalation claims lock their rows (SKIP LOCKED on
PostgreSQL), and intake deduplicates by the platform's id. The API processes then run with
ONEVOICE_SCHEDULER=off, and with ONEVOICE_INTAKE=queued they hand pushed comments to the
`ingest_queued` job here at once (onevoice.jobs.kick, through the hook `install` puts on the
System: the generic scheduler in onevoice.jobs never imports Celery).
"""
from __future__ import annotations

from celery import Celery
from celery.signals import worker_init

from onevoice.config import Settings
from onevoice.jobs import JOBS, run_job

app = Celery("onevoice", broker=Settings.from_env().broker_url or "redis://127.0.0.1:6379/0")
app.conf.update(task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1,
                broker_connection_retry_on_startup=True, task_default_queue="onevoice")

_system = None


@worker_init.connect
def _warm_up(**_) -> None:
    """Load the intake path (models, triage lexicons and VADER: a second of CPU) once in the main
    worker process, before the pool forks: each pool process then starts ready, instead of the
    first batches after every worker start paying for it."""
    import onevoice.system  # noqa: F401
    from onevoice.crisis import queue  # noqa: F401
    from onevoice.triage import triage

    triage("warm-up")


def install(system) -> None:
    """Make `system.kick(task, *args)` hand the task to the workers: \"job\" is the `onevoice.job`
    task, \"report\" the `onevoice.report` one. The web app calls this when a broker is configured
    (settings.broker_url), and so does the worker for its own System."""
    system.install_kick(_hand_off)


def _hand_off(task: str, *args) -> None:
    app.send_task(f"onevoice.{task}", args=args)


def system():
    global _system
    if _system is None:
        from onevoice.system import System

        _system = System()
        install(_system)
    return _system


@app.task(name="onevoice.job")
def job(name: str) -> str:
    for j in JOBS:
        if j.name == name:
            run_job(system(), j)
            return name
    raise ValueError(f"no job {name!r}")


@app.task(name="onevoice.report")
def report(period: str, actor: str, email: bool = False) -> str:
    """A report asked for by hand (jobs.make_report), its row already claimed."""
    from onevoice.monitoring import report as report_service

    built = report_service.run(system().db, system().settings, period, actor=actor, email=email)
    return "done" if built else "failed"


app.conf.beat_schedule = {j.name: {"task": "onevoice.job", "schedule": j.every_seconds, "args": (j.name,)} for j in JOBS}
