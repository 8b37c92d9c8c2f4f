"""A real SMTP server (aiosmtpd) on a free loopback port, storing mail in a Maildir.

Adapted from the project's shared server recipe smtp-aiosmtpd.sh (same approach: aiosmtpd's
Mailbox handler over a Maildir created first, read back with mailbox.Maildir), run in-process
through aiosmtpd's Controller (a thread with its own event loop) instead of `python -m aiosmtpd`.
aiosmtpd is Apache-2.0 licensed. Starts in a few milliseconds; stop() and start() again keep
the port, so a test can take the server down and bring it back.
"""
from __future__ import annotations

import mailbox
import shutil
from email.message import Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.servers import free_port


class _Handler(Mailbox):
    """aiosmtpd's Maildir handler, refusing the recipients in `reject` with 550 (no such user)."""

    def __init__(self, folder: str, reject: set[str]) -> None:
        super().__init__(folder)
        self.reject = reject

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.reject:
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"


class LocalSMTP:
    """`LocalSMTP(folder, port=None, login=("user", "password"))`: with `login`, AUTH is required.
    Addresses added to `reject` are refused with 550."""

    def __init__(self, folder, port: int | None = None, login: tuple[str, str] | None = None) -> None:
        self.folder = Path(folder)
        mailbox.Maildir(str(self.folder), create=True)  # the handler needs the Maildir to exist
        self.port = port or free_port()
        self.login = login
        self.reject: set[str] = set()
        self.controller: Controller | None = None

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and self.login is not None and (
            auth_data.login.decode(), auth_data.password.decode()) == self.login
        return AuthResult(success=ok, handled=False)

    def start(self) -> "LocalSMTP":
        kwargs = {}
        if self.login:
            kwargs = dict(authenticator=self._authenticate, auth_required=True, auth_require_tls=False)
        self.controller = Controller(_Handler(str(self.folder), self.reject), hostname="127.0.0.1", port=self.port, **kwargs)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def running(self) -> bool:
        return self.controller is not None

    def messages(self) -> list[Message]:
        return list(mailbox.Maildir(str(self.folder), create=False))

    def clear(self) -> None:
        for sub in ("new", "cur", "tmp"):
            for f in (self.folder / sub).iterdir():
                f.unlink()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> "LocalSMTP":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


@pytest.fixture(scope="session")
def smtp_server(tmp_path_factory):
    """One aiosmtpd server for the whole test session (a test that stops it must start it again)."""
    server = LocalSMTP(tmp_path_factory.mktemp("maildir") / "mail").start()
    yield server
    server.stop()
