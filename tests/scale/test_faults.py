"""Faults: the database restarts in the middle of the work; nothing is lost or done twice."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from onevoice.jobs import JOBS, run_job
from onevoice.publishing import outbox, workflow
from onevoice.store.models import Draft
from tests.conftest import make_system
from tests.publishing.workflow_helpers import cast
from tests.servers import postgres_cluster
from tests.servers.mastodon_api import LocalMastodon

pytestmark = pytest.mark.slow


def test_database_restart_mid_run(tmp_path):
    if not postgres_cluster.available():
        pytest.fail("Debian's PostgreSQL binaries are needed for this test")
    # the cluster runs as the 'postgres' user, who cannot enter pytest's private tmp folders
    folder = Path(tempfile.mkdtemp(prefix="onevoice-pg-"))
    folder.chmod(0o755)
    cluster = postgres_cluster.Cluster(folder / "cluster").init()
    cluster.start()
    try:
        system = make_system(cluster.url, tmp_path)
        with LocalMastodon() as mastodon:
            org = mastodon.api.add_account("ipala")
            c = cast(system, "mastodon", base_url=mastodon.url, credentials={"access_token": org.token})
            ids = []
            for n in range(3):
                with system.db.transaction() as s:
                    d = workflow.create_draft(s, c.author, c.channel_id, f"Post number {n}").id
                    workflow.submit(s, c.author, d, system.screening)
                    workflow.review(s, c.reviewer, d, "approve")
                    workflow.schedule(s, c.author, d, None)
                    ids.append(d)
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
            assert sorted(st["text"] for st in mastodon.api.state.statuses.values()) == [
                "Post number 0", "Post number 1", "Post number 2"]
        system.db.dispose()
    finally:
        try:
            cluster.stop()
        except Exception:  # noqa: BLE001 — already stopped
            pass
        shutil.rmtree(folder, ignore_errors=True)
