"""A real SMTP server (aiosmtpd) on a free loopback port, storing mail in a Maildir.
Adapted from the project's shared server recipe smtp-aiosmtpd.sh."""
from __future__ import annotations

import mailbox
import socket

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox


class LocalSMTP:
    def __init__(self, folder) -> None:
        self.folder = str(folder)
        mailbox.Maildir(self.folder, create=True)  # the handler needs the Maildir to exist
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.controller = Controller(Mailbox(self.folder), hostname="127.0.0.1", port=self.port)

    def start(self) -> "LocalSMTP":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def messages(self) -> list:
        return list(mailbox.Maildir(self.folder, create=False))
