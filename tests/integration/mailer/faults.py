"""SMTP servers that misbehave on purpose (drop the connection mid-DATA, come up late), and a
sender that stops at a gate before each mail."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from services.mailer.adapters.senders import HandOver, MailSender
from tests.support.smtp import Mailbox


@dataclass
class DroppingMailbox(Mailbox):
    """A mailbox that hangs up on the first ``drops`` messages instead of answering DATA."""

    drops: int = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self.lock:
            dropping = self.drops > 0
            if dropping:
                self.drops -= 1
        if dropping and server.transport is not None:
            # The whole message came in but no reply goes out: the server did not take it.
            server.transport.close()
            return "421 4.4.2 connection dropped"
        return await super().handle_DATA(server, session, envelope)


class LoopbackSmtp:
    """An aiosmtpd server on a chosen loopback port that can be started and stopped again."""

    def __init__(self, mailbox: Mailbox, port: int) -> None:
        self.mailbox = mailbox
        self.port = port
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        """Return the VARSEL_SMTP_URL that reaches it."""
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start serving."""
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        """Stop serving, if running."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


class GatedSender:
    """Waits at a gate before passing each mail from the ``first_gated``-th on to a real sender,
    like a process stalled mid-send: a test acts while the mail is in a worker's hand. Once the
    gate opens, a ``failure`` set meanwhile is raised instead of sending."""

    def __init__(self, inner: MailSender, *, first_gated: int = 1) -> None:
        self.inner = inner
        self.first_gated = first_gated
        self.calls = 0
        self.failure: Exception | None = None
        self.reached = asyncio.Event()
        self.gate = asyncio.Event()

    async def send(
        self,
        sender: str,
        recipient: str,
        message: bytes,
        *,
        hand_over: HandOver | None = None,
        owner: uuid.UUID | None = None,
        transparent: bytes | None = None,
    ) -> None:
        self.calls += 1
        if self.calls >= self.first_gated:
            self.reached.set()
            await self.gate.wait()
            if self.failure is not None:
                raise self.failure
        await self.inner.send(
            sender, recipient, message, hand_over=hand_over, owner=owner, transparent=transparent
        )

    async def forget(self, owner: uuid.UUID) -> int:
        return await self.inner.forget(owner)

    async def close(self) -> None:
        await self.inner.close()
