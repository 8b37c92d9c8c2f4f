"""A lean HTTP/1.1 load client: keep-alive connections, requests encoded before the clock starts.

The load test runs the client on the same two cores as the servers, so every millisecond the
client spends is taken from the server it measures. httpx spent 2.6 ms of CPU per screening
request against the server's 1.9 ms; this client spends a tenth of that, as wrk would, while
staying in Python so `make bench` needs nothing beyond the project's own environment.

Only what the onevoice server sends is understood: responses with a Content-Length.
"""
from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field


def encode(method: str, path: str, host: str, headers: dict[str, str], body: object | None) -> bytes:
    payload = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", *(f"{k}: {v}" for k, v in headers.items())]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future | None = None
        self.lost = False

    def connection_made(self, transport) -> None:
        self.transport = transport

    def connection_lost(self, exc) -> None:
        self.lost = True
        if self.waiter and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("the server closed the connection"))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        status_line, *lines = bytes(self.buffer[:end]).lower().split(b"\r\n")
        headers = dict(line.split(b":", 1) for line in lines)
        if b"content-length" not in headers:
            waiter.set_exception(ConnectionError("a response without Content-Length"))
            return
        length = int(headers[b"content-length"])
        if len(self.buffer) < end + 4 + length:
            return
        status = int(status_line[9:12])
        close = headers.get(b"connection", b"").strip() == b"close"
        del self.buffer[:end + 4 + length]
        waiter.set_result((status, close))

    async def send(self, request: bytes) -> tuple[int, bool]:
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self.waiter


@dataclass
class Result:
    requests: int
    elapsed: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0

    def summary(self) -> dict:
        ok = sorted(self.latencies)
        return {"requests": self.requests, "per_s": len(ok) / self.elapsed,
                "p99_ms": ok[max(0, int(len(ok) * 0.99) - 1)] * 1000 if ok else float("nan"),
                "errors": self.errors}


async def hammer(host: str, port: int, requests: list[bytes], concurrency: int, timeout: float = 30) -> Result:
    """Send every request once over `concurrency` keep-alive connections; a request counts as an
    error when it fails or answers 4xx/5xx."""
    loop = asyncio.get_running_loop()
    queue = iter(range(len(requests)))
    result = Result(len(requests), 0.0)

    async def open_connection() -> _Connection:
        _, conn = await loop.create_connection(_Connection, host, port)
        return conn

    async def worker() -> None:
        conn = await open_connection()
        for i in queue:
            if conn.lost:
                conn = await open_connection()
            t0 = time.perf_counter()
            try:
                status, close = await asyncio.wait_for(conn.send(requests[i]), timeout)
            except (ConnectionError, OSError, asyncio.TimeoutError):
                result.errors += 1
                conn.transport.close()
                conn = await open_connection()
                continue
            result.latencies.append(time.perf_counter() - t0)
            result.errors += status >= 400
            if close:
                conn.transport.close()
                conn = await open_connection()
        conn.transport.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.elapsed = time.perf_counter() - start
    return result


def run(host: str, port: int, requests: list[bytes], concurrency: int) -> Result:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(hammer(host, port, requests, concurrency))
    return uvloop.run(hammer(host, port, requests, concurrency))
