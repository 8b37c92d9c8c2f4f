"""A small sliding-window limiter for sign-in attempts per client address.

In-process on purpose: the per-account lockout in the database is the real guard and holds
across processes; this one only slows a single client spraying many accounts.
"""
from __future__ import annotations

import time
from collections import deque
from threading import Lock


class SlidingWindow:
    def __init__(self, limit: int, seconds: float) -> None:
        self.limit, self.seconds = limit, seconds
        self._hits: dict[str, deque[float]] = {}
        self._lock = Lock()

    def allow(self, key: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and now - hits[0] > self.seconds:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            if len(self._hits) > 10_000:  # forget idle clients so memory stays bounded
                for k in [k for k, v in self._hits.items() if not v][:5_000]:
                    del self._hits[k]
            return True
