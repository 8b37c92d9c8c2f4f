"""Scale-out: the periodic jobs run on a real Celery worker over Redis, against PostgreSQL,
and publish a scheduled post exactly once to the local Mastodon-API server."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis

from onevoice.store.models import Draft
from tests.publishing.workflow_helpers import approved_and_scheduled, cast
from tests.servers.mastodon_api import LocalMastodon

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("system", ["postgresql"], indirect=True)
def test_publish_job_runs_on_celery_workers(system, tmp_path):
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.fail("Redis is not running on 127.0.0.1:6379")
    db_index = 9
    broker = f"redis://127.0.0.1:6379/{db_index}"
    redis.Redis(host="127.0.0.1", port=6379, db=db_index).flushdb()
    with LocalMastodon() as mastodon:
        org = mastodon.api.add_account("ipala")
        c = cast(system, "mastodon", base_url=mastodon.url, credentials={"access_token": org.token})
        d = approved_and_scheduled(system, c, "Posted by a Celery worker")
        env = {**os.environ, "ONEVOICE_DATABASE_URL": system.settings.database_url, "ONEVOICE_BROKER_URL": broker,
               "ONEVOICE_SECRET_KEY": system.settings.secret_key, "ONEVOICE_HOME": str(tmp_path)}
        celery = str(Path(sys.executable).with_name("celery"))
        workers = [subprocess.Popen([celery, "-A", "onevoice.scale", "worker", "--pool", "solo", "-Q", "onevoice",
                                     "-n", f"w{i}-{uuid.uuid4().hex[:4]}@localhost", "--loglevel", "warning"],
                                    env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
                   for i in range(2)]
        try:
            from onevoice import scale

            scale.app.conf.broker_url = broker
            for _ in range(4):  # the same job sent several times, to several workers: still one post
                scale.job.delay("publish_due")
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                with system.db.reader() as s:
                    if s.get(Draft, d).state == "published":
                        break
                time.sleep(0.5)
            with system.db.reader() as s:
                assert s.get(Draft, d).state == "published"
            time.sleep(2)
            assert sum(1 for st in mastodon.api.state.statuses.values() if st["text"] == "Posted by a Celery worker") == 1
        finally:
            for w in workers:
                os.killpg(w.pid, signal.SIGTERM)
            for w in workers:
                w.wait(timeout=30)
