"""One small job interface for the periodic work: publishing due posts, triaging queued comments,
polling the channels, re-escalating incidents, delivering notifications, collecting metrics,
making the evaluation reports and reminding of authorizations about to end; and, away from the request that asked for it, an evaluation report
a committee member asked for by hand (`make_report`).

By default the jobs run in-process: `onevoice serve` starts a scheduler thread, and
`onevoice worker` runs the same loop in the foreground. At scale the same `Job` functions run
as Celery tasks (onevoice/scale.py) and the API processes start no scheduler. This module knows
nothing of Celery: work is handed to the workers through `System.kick`, a hook that does nothing
until the Celery side installs it (onevoice.scale.install, when a broker is configured).
"""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

log = logging.getLogger("onevoice.jobs")


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: float
    run: Callable[["object"], object]  # run(system)


def _publish_due(system) -> object:
    from onevoice.publishing import outbox

    return outbox.publish_due(system.db, system.connector_for)


def poll_channels(system) -> list[str]:
    """Pull mentions and replies from every active channel with credentials (3.)."""
    from sqlalchemy import select

    from onevoice.crisis import intake
    from onevoice.store.models import Channel

    with system.db.reader() as s:
        channels = list(s.scalars(select(Channel).where(Channel.active.is_(True), Channel.credentials.is_not(None))))
    lines = []
    for channel in channels:
        try:
            result = intake.poll(system.db, channel, system.connector_for(channel), system.settings)
            lines.append(f"{channel.platform}:{channel.handle}: {result.new} new, {result.escalated} escalated")
        except Exception as exc:  # noqa: BLE001 — one unreachable platform must not stop the others
            log.warning("polling %s:%s failed: %s", channel.platform, channel.handle, exc)
            lines.append(f"{channel.platform}:{channel.handle}: failed: {exc}")
    return lines


def _escalations(system) -> object:
    from onevoice.crisis.escalation import check_deadlines

    return check_deadlines(system.db, system.settings)


def _notifications(system) -> object:
    from onevoice import notify

    return notify.deliver_due(system.db, system.settings)


def _retention(system) -> object:
    from onevoice.retention import purge

    days = system.settings.retention_days
    return purge(system.db, days) if days > 0 else None


def _ingest_queued(system) -> object:
    from onevoice.crisis import queue

    return queue.drain(system.db, system.settings)


def _collect_metrics(system) -> object:
    from onevoice.monitoring.collect import collect

    return collect(system.db, system.connector_for)


def _evaluation_reports(system) -> object:
    from onevoice.monitoring.report import scheduled

    return scheduled(system.db, system.settings)


def _audit_anchor(system) -> object:
    """Checked hourly; the anchor goes out when the last one is audit_anchor_hours old."""
    from onevoice import audit

    return audit.send_anchor(system.db, system.settings.audit_anchor_hours)


def _authorization_reminders(system) -> object:
    """Authorizations ending within 14 days: the member and the committee are told once per end date."""
    from onevoice.governance.authorizations import send_reminders

    return send_reminders(system.db, system.settings.base_url)


JOBS: list[Job] = [
    Job("audit_anchor", 3600.0, _audit_anchor),
    Job("publish_due", 15.0, _publish_due),
    Job("ingest_queued", 2.0, _ingest_queued),
    Job("deliver_notifications", 10.0, _notifications),
    Job("check_escalations", 30.0, _escalations),
    Job("poll_channels", 60.0, poll_channels),
    Job("retention", 86400.0, _retention),
    Job("authorization_reminders", 3600.0, _authorization_reminders),
    Job("collect_metrics", 3600.0, _collect_metrics),
    Job("evaluation_reports", 3600.0, _evaluation_reports),
]


KICK_WINDOW = 0.05  # seconds: the kicks of one process within it go to the workers as one
_kick_lock = threading.Lock()
_kicks_pending: set[str] = set()  # jobs whose task is about to be sent


def kick(system, name: str) -> None:
    """Ask for a job to run soon. With workers (a broker, ONEVOICE_BROKER_URL, and its hook on the
    System) a worker takes it within KICK_WINDOW; otherwise the scheduler's next round runs it.
    Losing a kick loses nothing: the job also runs at its interval.

    Kicks are coalesced: handing a task to the broker costs about 2 ms of CPU, as much as storing
    the batch that asked for it, and one run of a job serves every kick made before it starts."""
    if not system.has_workers:
        return
    with _kick_lock:
        if name in _kicks_pending:
            return  # the send still to come starts after this caller's commit: it covers this kick
        _kicks_pending.add(name)
    timer = threading.Timer(KICK_WINDOW, _send_kick, args=(system, name))
    timer.daemon = True
    timer.start()


def _send_kick(system, name: str) -> None:
    with _kick_lock:
        _kicks_pending.discard(name)
    try:
        system.kick("job", name)
    except Exception as exc:  # noqa: BLE001 — the broker being down must not fail anything
        log.warning("could not hand %s to the workers: %s", name, exc)


# Reports asked for by hand are made here, one at a time: a report keeps a core busy for seconds
# (its charts), and two at once on a small server would slow every page for everyone.
_reports = ThreadPoolExecutor(max_workers=1, thread_name_prefix="onevoice-report")


def make_report(system, actor, period, email: bool = False, trigger: str = "web") -> Future | None:
    """Start making a period's evaluation report without waiting for it: the row is claimed
    (`running`) at once, in the caller's request, and the files are made by a Celery worker when
    there is a broker, else by this process's report thread. Returns the thread's future (tests
    wait on it), or None when a worker makes it. Raises what report.start raises (permission,
    a report of that period already being made)."""
    from onevoice.monitoring import report

    report.start(system.db, actor, period, trigger=trigger, email=email)
    if system.has_workers:
        try:
            system.kick("report", period.label, actor.label, email)
            return None
        except Exception as exc:  # noqa: BLE001 - the broker being down must not lose the report
            log.warning("could not hand report %s to the workers, making it here: %s", period.label, exc)
    return _reports.submit(report.run, system.db, system.settings, period.label, actor=actor.label, email=email)


def run_job(system, job: Job) -> None:
    """Run a job; a failure is logged and the loop goes on (the job retries next round)."""
    try:
        job.run(system)
    except Exception:  # noqa: BLE001 — one failing job must not stop the others
        log.exception("job %s failed", job.name)


class Scheduler:
    """Runs every job at its interval on one background thread until stopped."""

    def __init__(self, system, jobs: list[Job] | None = None, tick: float = 1.0) -> None:
        self.system, self.jobs, self.tick = system, list(jobs or JOBS), tick
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self.loop, name="onevoice-scheduler", daemon=True)
        self._thread.start()

    def loop(self, rounds: int | None = None) -> None:
        next_run = {job.name: 0.0 for job in self.jobs}
        done = 0
        while not self._stop.is_set():
            now = time.monotonic()
            for job in self.jobs:
                if now >= next_run[job.name]:
                    run_job(self.system, job)
                    next_run[job.name] = time.monotonic() + job.every_seconds
            done += 1
            if rounds is not None and done >= rounds:
                return
            self._stop.wait(self.tick)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
