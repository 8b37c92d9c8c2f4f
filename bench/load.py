"""Load test on loopback: screening requests and comment intake against real server processes.

Three set-ups, each started fresh by this script and stopped after:
- SQLite, one server process (the default `make run`), intake inline;
- PostgreSQL (127.0.0.1:5432, a throwaway database), two server processes (`--workers 2
  --no-access-log`, as in the README: at scale the reverse proxy in front logs requests),
  intake inline;
- the scale-out set-up of the README: PostgreSQL, two server processes with the scheduler off
  and `ONEVOICE_INTAKE=queued`, and a Celery worker (`--concurrency 2`) over Redis that
  triages and routes the queued batches.
Everything shares the machine's 2 cores: the client, the servers, the workers and PostgreSQL.
The client (bench/http_client.py) sends a bounded number of pre-encoded requests over 32
keep-alive connections, and its own CPU per request is in the table: it is what the client took
from the servers (httpx, used before, took 2.6 ms per screening request, more than the server's
1.9 ms, and halved the figures). The figures are requests/s (wall clock) and the p99 latency.
Intake sends batches of 50 comments per request, the way the import and webhook endpoints are
used. Intake comments/s counts comments stored,
triaged and routed: for the queued set-up, from the first request until the workers have
emptied the queue. "Accepted" is how fast the API took the batches in.
Run alone: python -m bench.load
"""
from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import httpx

from . import http_client

REQUESTS = 3000
INTAKE_REQUESTS = 200
BATCH = 50
CONCURRENCY = 32
ROUNDS = 3
BROKER_DB = 11  # a Redis database of its own, emptied before the run
TEXTS = [json.loads(line)["text"] for line in
         (Path(__file__).resolve().parents[2] / "shared" / "data" / "policy-cases" / "drafts.dev.jsonl").read_text().splitlines()]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(env: dict, workers: int, access_log: bool = True) -> tuple[subprocess.Popen, str]:
    """Set up an installation in env and serve it; returns the server process and its URL."""
    port = _port()
    bin_ = str(Path(sys.executable).with_name("onevoice"))
    subprocess.run([bin_, "init", "--admin-email", "admin@bench.example"], env=env, check=True, capture_output=True)
    subprocess.run([bin_, "member", "add", "bench@bench.example", "--name", "Bench", "--role", "committee",
                    "--password-stdin"], env=env, input=b"bench password 1\n", check=True, capture_output=True)
    subprocess.run([bin_, "channel", "add", "mastodon", "bench", "--base-url", "http://127.0.0.1:9"], env=env, check=True,
                   capture_output=True)
    proc = subprocess.Popen([bin_, "serve", "--port", str(port), "--workers", str(workers),
                             "--access-log" if access_log else "--no-access-log"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def _hammer(url: str, token: str, n: int, make_request) -> dict:
    """n requests from make_request(i) -> (method, path, body), encoded before the clock starts."""
    host, port = url.removeprefix("http://").split(":")
    headers = {"Authorization": f"Bearer {token}"}
    requests = [http_client.encode(method, path, f"{host}:{port}", headers, body)
                for method, path, body in map(make_request, range(n))]
    before = os.times()
    summary = http_client.run(host, int(port), requests, CONCURRENCY).summary()
    after = os.times()
    summary["client_cpu_ms"] = (after.user + after.system - before.user - before.system) * 1000 / n
    return summary


def _celery(env: dict) -> subprocess.Popen:
    celery = str(Path(sys.executable).with_name("celery"))
    return subprocess.Popen([celery, "-A", "onevoice.scale", "worker", "--concurrency", "2", "-Q", "onevoice",
                             "-n", f"bench-{uuid.uuid4().hex[:4]}@localhost", "--loglevel", "warning"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def _wait_for_empty_queue(url: str, timeout: float = 600) -> None:
    """Until the workers have stored every queued batch; one connection, asked every 50 ms."""
    import psycopg

    deadline = time.monotonic() + timeout
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
        while conn.execute("SELECT count(*) FROM inbound_batches").fetchone()[0]:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the workers did not empty the queue in {timeout:.0f} s")
            time.sleep(0.05)


def run_setup(name: str, env: dict, workers: int, celery: bool = False) -> dict:
    proc, url = _start(env, workers, access_log=workers == 1)  # at scale the proxy in front logs requests
    worker = _celery(env) if celery else None
    try:
        token = httpx.post(url + "/api/v1/tokens", json={"email": "bench@bench.example", "password": "bench password 1"}).json()["token"]
        # the lean client reads only status codes: check once that a screening answer is a report
        # (the first answer of each server process loads the encoder and the heads: seconds, not counted)
        sample = httpx.post(url + "/api/v1/screen", headers={"Authorization": f"Bearer {token}"},
                            json={"text": TEXTS[0], "kind": "official"}, timeout=120)
        if sample.status_code != 200 or "findings" not in sample.json():
            raise RuntimeError(f"screening answered {sample.status_code}: {sample.text[:200]}")
        _hammer(url, token, CONCURRENCY * workers * 2, lambda i: (
            "POST", "/api/v1/screen", {"text": TEXTS[i % len(TEXTS)], "kind": "official"}))
        screen = _hammer(url, token, REQUESTS, lambda i: (
            "POST", "/api/v1/screen", {"text": TEXTS[i % len(TEXTS)], "kind": "official"}))
        run_id = uuid.uuid4().hex[:6]
        start = time.perf_counter()
        intake = _hammer(url, token, INTAKE_REQUESTS, lambda i: (
            "POST", "/api/v1/channels/1/comments",
            [{"id": f"{run_id}-{i}-{k}", "text": TEXTS[(i * BATCH + k) % len(TEXTS)][:280], "author_followers": 10}
             for k in range(BATCH)]))
        intake["accepted_per_s"] = intake["per_s"] * BATCH
        if celery:
            _wait_for_empty_queue(env["ONEVOICE_DATABASE_URL"])
        intake["comments_per_s"] = INTAKE_REQUESTS * BATCH / (time.perf_counter() - start)
        return {"setup": name, "screen": screen, "intake": intake}
    finally:
        for p in filter(None, (proc, worker)):
            os.killpg(p.pid, signal.SIGTERM)
        for p in filter(None, (proc, worker)):
            p.wait(timeout=60)


@contextmanager
def _postgres_database():
    import psycopg

    name = f"onevoice_load_{uuid.uuid4().hex[:8]}"
    admin = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_once() -> list[dict]:
    results = []
    # One bench member sends every request, so the per-member screening limit is lifted; the
    # channel's address is a closed loopback port, which only ALLOW_PRIVATE_URLS admits.
    base = {**os.environ, "ONEVOICE_SCHEDULER": "off", "ONEVOICE_SECRET_KEY": "bench-secret",
            "ONEVOICE_SCREEN_PER_MINUTE": "100000000", "ONEVOICE_ALLOW_PRIVATE_URLS": "1"}
    results.append(run_setup("SQLite, 1 process", {**base, "ONEVOICE_HOME": tempfile.mkdtemp(prefix="onevoice-load-")}, 1))
    try:
        with _postgres_database() as url:
            env = {**base, "ONEVOICE_HOME": tempfile.mkdtemp(prefix="onevoice-load-pg-"), "ONEVOICE_DATABASE_URL": url}
            results.append(run_setup("PostgreSQL, 2 processes", env, 2))
        import redis

        redis.Redis(host="127.0.0.1", port=6379, db=BROKER_DB).flushdb()
        with _postgres_database() as url:
            env = {**base, "ONEVOICE_HOME": tempfile.mkdtemp(prefix="onevoice-load-scale-"), "ONEVOICE_DATABASE_URL": url,
                   "ONEVOICE_INTAKE": "queued", "ONEVOICE_BROKER_URL": f"redis://127.0.0.1:6379/{BROKER_DB}"}
            results.append(run_setup("PostgreSQL, 2 processes + Celery worker (2), queued intake", env, 2, celery=True))
    except Exception as exc:  # noqa: BLE001 — no PostgreSQL or Redis: report what could be measured
        print(f"PostgreSQL/Redis set-ups skipped: {exc}", file=sys.stderr)
    return results


def cpu_reference() -> float:
    """Seconds for a fixed pure-Python loop: this shared machine's speed moves by half from hour
    to hour, and the figures with it, so each round records how fast the machine was."""
    start, total = time.perf_counter(), 0
    for i in range(5_000_000):
        total += i
    return time.perf_counter() - start


def run(rounds: int = ROUNDS) -> list[dict]:
    """Every set-up `rounds` times, interleaved; each figure is the median of its rounds, with the
    lowest and highest beside it (this machine's figures move by a third from run to run)."""
    speeds, runs = [], []
    for _ in range(rounds):
        speeds.append(cpu_reference())
        runs.append(run_once())
    merged = []
    for i, first in enumerate(runs[0]):
        rows = [r[i] for r in runs if len(r) > i]
        merged.append({"setup": first["setup"], "rounds": len(rows), "cpu_reference_s": speeds, **{
            part: {key: [row[part][key] for row in rows] for key in first[part]} for part in ("screen", "intake")}})
    return merged


def _fig(values: list[float], digits: int = 0) -> str:
    mid = statistics.median(values)
    return f"{mid:.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})" if len(values) > 1 else f"{mid:.{digits}f}"


def table(results: list[dict]) -> str:
    lines = [(__doc__ or "").strip(), "",
             f"Median of {results[0]['rounds'] if results else 0} rounds, lowest–highest in brackets. The machine's "
             f"speed in these rounds: a 5-million-step Python loop took "
             f"{_fig(results[0]['cpu_reference_s'], 2) if results else '-'} s.", "",
             "| set-up | screen req/s | screen p99 ms | client CPU ms per screen request | "
             "intake comments/s (stored and triaged) | intake accepted/s | intake p99 ms (50 per request) | errors |",
             "|---|---|---|---|---|---|---|---|"]
    for r in results:
        s, i = r["screen"], r["intake"]
        lines.append(f"| {r['setup']} | {_fig(s['per_s'])} | {_fig(s['p99_ms'])} | {_fig(s['client_cpu_ms'], 2)} | "
                     f"{_fig(i['comments_per_s'])} | {_fig(i['accepted_per_s'])} | {_fig(i['p99_ms'])} | "
                     f"{sum(s['errors']) + sum(i['errors'])} |")
    return "\n".join(lines)


def run_alone() -> list[dict]:
    """run() in a fresh interpreter: the client must not carry the heap (and the garbage
    collection pauses) of the benchmarks that ran before it in `make bench`."""
    out = subprocess.run([sys.executable, "-m", "bench.load", "--json"], check=True, capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[1])
    return json.loads(out.stdout)


if __name__ == "__main__":
    results = run()
    print(json.dumps(results) if "--json" in sys.argv else table(results))
