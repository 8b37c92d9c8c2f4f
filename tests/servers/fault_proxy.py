"""An HTTP proxy for fault tests against a real server: it stands between a connector and the server
and can hold, delay, drop or replace the server's answer to chosen requests.

A real server cannot be told to lose its answer after doing the work; a proxy can. Each request
from the client is read whole (request line, headers, Content-Length body), forwarded on a new
connection with "Connection: close" (so the upstream's answer ends where its connection does) and
the answer sent back; then the client's connection is closed, without "Connection: close", as
snac does. A rule (`fail`) applies to the next `times` requests matching a method and a path
prefix:

- "drop":  forward, let the server answer, close the client's connection without a byte: the
           work is done and the answer lost.
- "hold":  forward, let the server answer, and keep the answer until `release()` or until the
           client goes away (a worker killed meanwhile): then it is thrown away.
- "delay": forward, and send the answer `delay_s` later (the client times out first).
- "error": answer `status` (502 by default) with a short body; after forwarding (a gateway whose
           server did the work) or, with forward=False, without (a load balancer in front of a
           server that is down).
- "stall": forward nothing, keep the client waiting `delay_s`, close (a hung server).
- "reset": reset the connection before reading the request (nothing reaches the server).

`forwarded` counts, per (method, path), the requests the server answered.
"""
from __future__ import annotations

import select
import socket
import socketserver
import struct
import threading
import time
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlsplit

from tests.servers import free_port

HOLD_MAX_S = 120.0


@dataclass
class Rule:
    method: str
    path: str
    action: str
    times: int = 1
    status: int = 502
    forward: bool = True
    delay_s: float = 0.0
    applied: int = 0


def _read_message(sock: socket.socket) -> tuple[bytes, bytes]:
    """(head, body) of one HTTP request; the body by Content-Length."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the client closed before a whole request")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
        if name.strip().lower() == b"transfer-encoding":
            raise ConnectionError("chunked requests are not handled by this proxy")
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the client closed in the middle of a request body")
        body += chunk
    return head, body


def _with_connection_close(head: bytes) -> bytes:
    lines = [line for line in head.split(b"\r\n") if not line.lower().startswith((b"connection:", b"keep-alive:"))]
    return b"\r\n".join(lines + [b"Connection: close"])


def _client_gone(sock: socket.socket) -> bool:
    readable, _, _ = select.select([sock], [], [], 0)
    if not readable:
        return False
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


def _reset(sock: socket.socket) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with RST
    sock.close()


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname, parts.port or 80)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.rules: list[Rule] = []
        self.forwarded: Counter = Counter()
        self.seen: list[tuple[str, str, str]] = []   # (method, path, what was done)
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._answered = threading.Condition(self._lock)
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                proxy._handle(self.request)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- control --------------------------------------------------------------------------------------

    def fail(self, method: str, path: str, action: str, times: int = 1, **options) -> Rule:
        rule = Rule(method.upper(), path, action, times, **options)
        with self._lock:
            self.rules.append(rule)
        if action == "hold":
            self._release.clear()
        return rule

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()
        self._release.set()

    def release(self) -> None:
        """Let held answers go (to clients still there)."""
        self._release.set()

    def wait_forwarded(self, method: str, path: str, count: int = 1, timeout: float = 30.0) -> None:
        """Until the server has answered `count` requests to (method, path) through the proxy."""
        deadline = time.monotonic() + timeout
        with self._answered:
            while self.forwarded[(method.upper(), path)] < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{method} {path} was not forwarded {count} times: {self.seen}")
                self._answered.wait(left)

    def __enter__(self) -> FaultProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()

    # -- the proxy --------------------------------------------------------------------------------------

    def _rule_for(self, method: str, path: str) -> Rule | None:
        with self._lock:
            for rule in self.rules:
                if rule.method == method and path.startswith(rule.path) and rule.applied < rule.times:
                    rule.applied += 1
                    return rule
        return None

    def _forward(self, head: bytes, body: bytes, method: str, path: str) -> bytes:
        with socket.create_connection(self.upstream, timeout=60) as up:
            up.sendall(_with_connection_close(head) + b"\r\n\r\n" + body)
            answer = b""
            while chunk := up.recv(65536):
                answer += chunk
        with self._answered:
            self.forwarded[(method, path)] += 1
            self._answered.notify_all()
        return answer

    def _handle(self, client: socket.socket) -> None:
        # the first rule for "reset" applies before anything is read: look at it by peeking
        with self._lock:
            resets = [r for r in self.rules if r.action == "reset" and r.applied < r.times]
        if resets:
            try:
                start = client.recv(4096, socket.MSG_PEEK)
            except OSError:
                return
            method, _, rest = start.partition(b" ")
            path = rest.split(b" ", 1)[0].split(b"?", 1)[0].decode("latin-1")
            rule = self._rule_for(method.decode("latin-1"), path)
            if rule is not None and rule.action == "reset":
                self.seen.append((method.decode("latin-1"), path, "reset"))
                _reset(client)
                return
            if rule is not None:  # matched another rule first: put it back
                with self._lock:
                    rule.applied -= 1
        try:
            head, body = _read_message(client)
        except (ConnectionError, OSError):
            client.close()
            return
        method, target = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ")[:2]
        path = target.split("?", 1)[0]
        rule = self._rule_for(method, path)
        action = rule.action if rule else "pass"
        self.seen.append((method, path, action))
        try:
            if action == "stall":
                time.sleep(rule.delay_s)
                client.close()
                return
            if action == "error" and not rule.forward:
                client.sendall(self._error(rule.status))
                client.close()
                return
            answer = self._forward(head, body, method, path)
            if action == "drop":
                client.close()
                return
            if action == "hold":
                deadline = time.monotonic() + HOLD_MAX_S
                while not self._release.wait(0.1):
                    if _client_gone(client) or time.monotonic() > deadline:
                        client.close()
                        return
            if action == "delay":
                time.sleep(rule.delay_s)
            if action == "error":
                answer = self._error(rule.status)
            client.sendall(answer)
        except OSError:
            pass
        finally:
            try:
                client.close()
            except OSError:
                pass

    @staticmethod
    def _error(status: int) -> bytes:
        reason = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
                  504: "Gateway Timeout"}.get(status, "Error")
        body = f"<html><body><h1>{status} {reason}</h1></body></html>".encode()
        return (f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/html\r\nContent-Length: {len(body)}\r\n"
                f"\r\n").encode() + body
