"""Scale-out: the jobs run on real Celery workers over Redis, against PostgreSQL. A scheduled post
goes out exactly once to a real Mastodon-API server that ignores Idempotency-Key (snac2,
tests/servers/snac.py), so only the outbox's lease keeps two workers from both sending it; and
comments pushed to the API in queued mode are triaged by the workers, each stored once."""
from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from onevoice.governance import channels, members
from onevoice.governance.permissions import SYSTEM
from onevoice.store.models import Comment, Draft, InboundBatch
from onevoice.web.app import create_app
from tests.publishing.workflow_helpers import approved_and_scheduled, cast

pytestmark = pytest.mark.slow


@contextmanager
def celery_workers(system, home, n=2, db_index=9):
    """n Celery worker processes (solo pool) on a fresh Redis database; yields the broker URL."""
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.fail("Redis is not running on 127.0.0.1:6379")
    broker = f"redis://127.0.0.1:6379/{db_index}"
    redis.Redis(host="127.0.0.1", port=6379, db=db_index).flushdb()
    env = {**os.environ, "ONEVOICE_DATABASE_URL": system.settings.database_url, "ONEVOICE_BROKER_URL": broker,
           "ONEVOICE_SECRET_KEY": system.settings.secret_key, "ONEVOICE_HOME": str(home)}
    celery = str(Path(sys.executable).with_name("celery"))
    workers = [subprocess.Popen([celery, "-A", "onevoice.scale", "worker", "--pool", "solo", "-Q", "onevoice",
                                 "-n", f"w{i}-{uuid.uuid4().hex[:4]}@localhost", "--loglevel", "warning"],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
               for i in range(n)]
    from onevoice import scale

    scale.app.conf.broker_url = broker
    try:
        yield broker
    finally:
        for w in workers:
            os.killpg(w.pid, signal.SIGTERM)
        for w in workers:
            w.wait(timeout=30)


def wait_for(check, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.3)
    return check()


@pytest.mark.parametrize("system", ["postgresql"], indirect=True)
def test_publish_job_runs_on_celery_workers(system, tmp_path, snac):
    name = snac.new_account("org")
    with celery_workers(system, tmp_path):
        from onevoice import scale

        c = cast(system, "mastodon", base_url=snac.url, handle=name, credentials={"access_token": snac.token(name)})
        d = approved_and_scheduled(system, c, "Posted by a Celery worker")
        for _ in range(4):  # the same job sent several times, to several workers: still one post
            scale.job.delay("publish_due")

        def published():
            with system.db.reader() as s:
                return s.get(Draft, d).state == "published"

        assert wait_for(published)
        time.sleep(2)
        assert snac.count(name, "Posted by a Celery worker") == 1


@pytest.mark.parametrize("system", ["postgresql"], indirect=True)
def test_queued_intake_is_triaged_by_celery_workers(system, tmp_path):
    with system.db.transaction() as s:
        cid = channels.add_channel(s, SYSTEM, system.box, "mastodon", "ipala", base_url="http://127.0.0.1:9").id
        members.add_member(s, SYSTEM, "cm@example.org", "Committee", "a long password", ("committee",))
    with celery_workers(system, tmp_path) as broker:
        system.settings = dataclasses.replace(system.settings, intake="queued", broker_url=broker)
        client = TestClient(create_app(system, scheduler=False))
        token = client.post("/api/v1/tokens", json={"email": "cm@example.org", "password": "a long password"}).json()
        h = {"Authorization": f"Bearer {token['token']}"}
        for n in range(30):  # 5 of the 30 batches repeat an earlier one
            items = [{"id": f"c{n % 25}-{k}", "text": "Why was my registration refused again? Third time.",
                      "author_followers": 40} for k in range(50)]
            r = client.post(f"/api/v1/channels/{cid}/comments", json=items, headers=h)
            assert r.status_code == 202 and r.json()["accepted"] == 50, r.text

        def all_stored():
            with system.db.reader() as s:
                return s.scalar(select(func.count(InboundBatch.id))) == 0

        assert wait_for(all_stored), "the workers did not drain the queue"
        with system.db.reader() as s:
            assert s.scalar(select(func.count(Comment.id))) == 25 * 50
            assert s.scalar(select(func.count(func.distinct(Comment.incident_id)))) <= 1
