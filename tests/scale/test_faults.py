"""Faults: the database restarts in the middle of the work, a worker is killed between the platform
call and the commit (against snac2, a real Mastodon-API server); nothing is lost or done twice."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from onevoice.jobs import JOBS, run_job
from onevoice.publishing import outbox
from onevoice.store.models import Draft
from tests.conftest import make_system
from tests.publishing.workflow_helpers import approved_and_scheduled, cast
from tests.servers import postgres_cluster

pytestmark = pytest.mark.slow


def test_database_restart_mid_run(tmp_path, snac):
    if not postgres_cluster.available():
        pytest.fail("Debian's PostgreSQL binaries are needed for this test")
    # the cluster runs as the 'postgres' user, who cannot enter pytest's private tmp folders
    folder = Path(tempfile.mkdtemp(prefix="onevoice-pg-"))
    folder.chmod(0o755)
    cluster = postgres_cluster.Cluster(folder / "cluster").init()
    cluster.start()
    try:
        system = make_system(cluster.url, tmp_path)
        org = snac.new_account("ipala")  # the platform is a real Mastodon-API server (snac2)
        c = cast(system, "mastodon", base_url=snac.url, credentials={"access_token": snac.token(org)})
        ids = [approved_and_scheduled(system, c, f"Post number {n}") for n in range(3)]
        cluster.stop()
        with pytest.raises(OperationalError):
            outbox.publish_due(system.db, system.connector_for)
        publish = next(j for j in JOBS if j.name == "publish_due")
        run_job(system, publish)  # the scheduler's loop survives a database outage
        cluster.start()
        outcomes = outbox.publish_due(system.db, system.connector_for)
        assert [o.status for o in outcomes] == ["sent"] * 3
        with system.db.reader() as s:
            assert all(s.get(Draft, d).state == "published" for d in ids)
        assert sorted(st["text"] for st in snac.statuses(org)) == ["Post number 0", "Post number 1", "Post number 2"]
        system.db.dispose()
    finally:
        try:
            cluster.stop()
        except Exception:  # noqa: BLE001 — already stopped
            pass
        shutil.rmtree(folder, ignore_errors=True)


def test_worker_killed_between_the_platform_call_and_the_commit(tmp_path, snac):
    """A real `onevoice worker` process is killed (SIGKILL) while the platform holds its answer:
    the post exists on the platform, the database does not know yet. The platform is snac2, which
    ignores Idempotency-Key, so sending the post again would make a second one; a proxy between the
    worker and snac holds snac's answer. The next worker, after the lease, looks for the status the
    dead one made, finds it, and records it: one status on the server, the draft published."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from datetime import timedelta

    from onevoice.store.models import utcnow
    from tests.servers.fault_proxy import FaultProxy

    system = make_system(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path)
    text = "Our spring airway webinar opens for registration today: https://ipala.org/webinars"
    name = snac.new_account("org")
    with FaultProxy(snac.url) as proxy:
        c = cast(system, "mastodon", base_url=proxy.url, handle=name, credentials={"access_token": snac.token(name)})
        d = approved_and_scheduled(system, c, text)
        proxy.fail("POST", "/api/v1/statuses", "hold")
        env = {**os.environ, "ONEVOICE_DATABASE_URL": system.settings.database_url, "ONEVOICE_HOME": str(tmp_path),
               "ONEVOICE_SECRET_KEY": system.settings.secret_key}
        worker = subprocess.Popen([str(Path(sys.executable).with_name("onevoice")), "worker", "--once"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            proxy.wait_forwarded("POST", "/api/v1/statuses", timeout=60)  # snac made the status and answered
            assert snac.count(name, text) == 1
            time.sleep(0.2)
            assert worker.poll() is None, "the worker should still be waiting for its answer"
        finally:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
        proxy.release()  # the held answer has nobody to go to any more
        with system.db.reader() as s:
            assert s.get(Draft, d).state == "publishing"  # the commit never happened
        [outcome] = outbox.publish_due(system.db, system.connector_for, now=utcnow() + outbox.LEASE + timedelta(seconds=1))
        assert outcome.status == "sent"
        posts = [m for m, p, _ in proxy.seen if (m, p) == ("POST", "/api/v1/statuses")]
        assert len(posts) == 1  # looked up, not sent again
    with system.db.reader() as s:
        draft = s.get(Draft, d)
        assert draft.state == "published"
    [status] = snac.statuses(name)
    assert status["text"] == text and draft.published_ref["id"] == status["id"]
    system.db.dispose()
