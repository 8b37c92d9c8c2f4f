"""A tiny HTTP receiver for chat webhooks (stdlib http.server in a thread).

It records every request (path, headers, raw body, parsed JSON, the status it answered) and
can be told to fail: `fail(3)` answers the next three requests with 500 (or another status),
`delay = 2.0` answers slowly (for timeouts). Bound to 127.0.0.1 on a free port; starts in a
millisecond.
"""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class WebhookReceiver:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self._fail: list[int] = []
        self.delay = 0.0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("content-length", 0)))
                if receiver.delay:
                    time.sleep(receiver.delay)
                with receiver._lock:
                    status = receiver._fail.pop(0) if receiver._fail else 200
                    try:
                        parsed = json.loads(raw)
                    except ValueError:
                        parsed = None
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers), "raw": raw,
                                              "json": parsed, "status": status})
                answer = b"ok" if status < 300 else b"internal error"
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except (BrokenPipeError, ConnectionResetError):  # the client timed out and left
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def fail(self, times: int, status: int = 500) -> None:
        with self._lock:
            self._fail.extend([status] * times)

    @property
    def delivered(self) -> list[dict]:
        """The requests that were answered with success."""
        return [r for r in self.requests if r["status"] < 300]

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._fail.clear()
            self.delay = 0.0

    def start(self) -> "WebhookReceiver":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> "WebhookReceiver":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


@pytest.fixture(scope="session")
def webhook_server():
    """One webhook receiver for the whole test session; reset() it between tests."""
    with WebhookReceiver() as receiver:
        yield receiver
