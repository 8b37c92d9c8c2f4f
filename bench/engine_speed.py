"""Throughput and latency of the whole engine (IPALA recognizers and learned heads, the sentence
encoder included), one process (one core), one draft per call.

Drafts: the texts of policy-cases/drafts.dev.jsonl as written, and the same texts cut or
repeated to exactly 500 characters (the target names a 500-character draft). Each draft is
screened in turn with a fresh ScreenText (no caching across drafts); latency is per call.
"""
from __future__ import annotations

import statistics
import time

from onevoice.screening import Draft, default_engine

from .policy_cases import load


def _to_length(text: str, n: int) -> str:
    while len(text) < n:
        text = text + " " + text
    return text[:n]


def measure(drafts: list[Draft], rounds: int = 5) -> dict:
    engine = default_engine()
    for d in drafts[:50]:
        engine.screen(d)  # warm caches of lazily compiled patterns
    latencies: list[int] = []
    started = time.perf_counter()
    for _ in range(rounds):
        for d in drafts:
            t0 = time.perf_counter_ns()
            engine.screen(d)
            latencies.append(time.perf_counter_ns() - t0)
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "drafts": len(latencies),
        "drafts_per_s": len(latencies) / elapsed,
        "p50_ms": latencies[len(latencies) // 2] / 1e6,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] / 1e6,
        "mean_chars": statistics.mean(len(d.text) for d in drafts),
    }


def run() -> dict:
    items = load()
    as_written = [Draft.from_dict(i) for i in items]
    five_hundred = [Draft(text=_to_length(d.text, 500), kind=d.kind, attachments=d.attachments) for d in as_written]
    return {"as_written": measure(as_written), "500_chars": measure(five_hundred)}


if __name__ == "__main__":
    for name, m in run().items():
        print(f"{name}: {m['drafts_per_s']:.0f} drafts/s, p50 {m['p50_ms']:.2f} ms, p99 {m['p99_ms']:.2f} ms "
              f"(mean {m['mean_chars']:.0f} chars, {m['drafts']} calls)")
