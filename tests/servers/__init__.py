"""Real servers the tests start on loopback and stop again."""
from __future__ import annotations

import socket


PG_HOST, PG_PORT = "127.0.0.1", 5432  # the machine's PostgreSQL server (CI runs one)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_available() -> bool:
    """Whether the PostgreSQL server answers on 127.0.0.1:5432."""
    try:
        socket.create_connection((PG_HOST, PG_PORT), timeout=1).close()
        return True
    except OSError:
        return False
