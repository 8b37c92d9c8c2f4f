"""Engine and transactions. Every state change runs inside one `transaction()`.

SQLite is the embedded default: WAL (readers never wait for the writer), foreign keys on,
and write transactions start with BEGIN IMMEDIATE so two writers queue on the lock instead of
failing half-way when one of them upgrades a read snapshot. PostgreSQL needs none of this.
The SQLite file holds every member's data: it is created readable by its owner only (0600).

Every session carries the installation's `info` (session.info): what services need from the
settings without each caller passing it on, e.g. the audit log's key.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Mapping

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker


def create_sqlite_file(url: str) -> None:
    """Create a missing SQLite database file with mode 0600 before SQLite opens it (SQLite would
    make it 0644, and gives its -wal and -shm files the database file's mode)."""
    if not url.startswith("sqlite"):
        return
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if path.exists() or not path.parent.is_dir():
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:  # another process made it first
        pass


def make_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        create_sqlite_file(url)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

        @event.listens_for(engine, "do_connect")
        def _private_file(_dialect, _record, _cargs, _cparams):
            create_sqlite_file(url)  # its folder may have been made since the engine was

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("write") else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


class Database:
    def __init__(self, url: str, *, info: Mapping[str, Any] | None = None, **kwargs) -> None:
        self.url = url
        self.info = dict(info or {})
        self.engine = make_engine(url, **kwargs)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, info=self.info)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commits on success, rolls everything back on any error."""
        conn = self.engine.connect()
        conn.info["write"] = True  # read by the SQLite "begin" hook: BEGIN IMMEDIATE
        session = Session(bind=conn, expire_on_commit=False, info=dict(self.info))
        try:
            with conn.begin():
                yield session
                session.flush()
        finally:
            session.close()
            conn.info.pop("write", None)  # info lives with the pooled DBAPI connection
            conn.close()

    @contextmanager
    def reader(self) -> Iterator[Session]:
        """A read-only session (no write lock on SQLite)."""
        session = self._sessions()
        try:
            yield session
        finally:
            session.close()  # ends the read transaction; loaded objects stay readable

    def connect(self) -> Connection:
        """A bare read connection (rolled back when closed): for the one-query look-ups every API
        call makes, where a session's bookkeeping would cost more than the query."""
        return self.engine.connect()

    def dispose(self) -> None:
        self.engine.dispose()
