"""SMTP servers that misbehave on purpose (drop the connection mid-DATA, come up late, answer in
Latin-1 or out of turn), and a sender that stops at a gate before each mail."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from services.mailer.adapters.senders import HandOver, MailSender
from tests.support.smtp import Mailbox, Received


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
        then: tuple[str, str] | None = None,
    ) -> None:
        self.calls += 1
        if self.calls >= self.first_gated:
            self.reached.set()
            await self.gate.wait()
            if self.failure is not None:
                raise self.failure
        await self.inner.send(
            sender,
            recipient,
            message,
            hand_over=hand_over,
            owner=owner,
            transparent=transparent,
            then=then,
        )

    def abandon(self) -> None:
        self.inner.abandon()

    def connections(self) -> int:
        return self.inner.connections()

    async def forget(self, owner: uuid.UUID) -> int:
        return await self.inner.forget(owner)

    async def close(self) -> None:
        await self.inner.close()


class ScriptedRelay:
    """A relay written by hand on the test's event loop, for replies aiosmtpd will not give:
    bytes that are not UTF-8, garbled codes, a reply out of turn, one a byte at a time.

    ``replies`` maps a command (``MAIL``, ``RCPT``, ``DATA``) to the reply it gets instead of
    the usual; ``after_dot`` holds the replies to the next final dots, in order (then
    ``250 queued``). A mail is kept in ``mailbox`` when its final dot is answered with 250.
    While ``greets`` is false, a new connection is taken and never greeted (a relay behind a
    firewall that drops packets, or one hung at start), until the client gives up. With
    ``burst`` set, a mail's content is read ``burst`` bytes at a time, ``pause`` seconds apart
    (a relay that reads slowly). With ``most`` set, it holds that many connections at once and
    turns away one more with 421 (a relay's limit of connections from one client). A mail cut
    off before its final dot is discarded and counted in ``discarded``, as a real relay
    discards it. ``chatter`` sends replies nobody asked for to every connection it holds.
    """

    def __init__(self, *, pipelining: bool = True) -> None:
        self.mailbox = Mailbox()
        self.pipelining = pipelining
        self.replies: dict[str, bytes] = {}
        self.after_dot: list[bytes] = []
        self.connections = 0
        self.greets = True
        # Connections it holds at once from anyone; one more is answered 421 and closed, as
        # Postfix does past smtpd_client_connection_count_limit. None: no limit.
        self.most: int | None = None
        self.turned_away = 0
        self._open = 0
        self._writers: set[asyncio.StreamWriter] = set()
        self.burst = 0  # bytes of content read between pauses; 0: read as fast as it comes
        self.pause = 0.0
        self.discarded = 0
        self._server: asyncio.Server | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """Return the VARSEL_SMTP_URL that reaches it."""
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def holding(self) -> int:
        """Return how many connections it holds now."""
        return self._open

    async def start(self) -> None:
        """Start serving on a free loopback port."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop serving and drop every connection."""
        if self._server is not None:
            self._server.close()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        if self.most is not None and self._open >= self.most:
            self.turned_away += 1
            writer.write(b"421 4.7.0 relay.example.org Error: too many connections\r\n")
            writer.close()
            return
        self._open += 1
        self._writers.add(writer)
        try:
            await self._converse(reader, writer)
        finally:
            self._open -= 1
            self._writers.discard(writer)

    async def chatter(self, reply: bytes, times: int) -> int:
        """Write ``reply`` ``times`` times, unasked, to each connection it holds, as long as the
        connection lasts; return how many were written in all."""
        written = 0
        for writer in list(self._writers):
            with contextlib.suppress(ConnectionError):
                for _ in range(times):
                    if writer.is_closing():
                        break
                    writer.write(reply)
                    written += 1
                    await writer.drain()
        return written

    async def _converse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.greets:
            with contextlib.suppress(ConnectionError):
                await reader.read()  # says nothing until the client hangs up
            writer.close()
            return
        writer.write(b"220 relay.example.org ESMTP\r\n")
        sender: str | None = None  # None: no transaction open
        recipients: list[str] = []
        try:
            while line := await reader.readline():
                verb = line[:4].upper()
                if verb in (b"EHLO", b"HELO"):
                    offered = b"250-PIPELINING\r\n" if self.pipelining else b""
                    writer.write(b"250-relay.example.org\r\n" + offered + b"250 8BITMIME\r\n")
                elif verb == b"MAIL":
                    reply = self.replies.get("MAIL", b"250 2.1.0 Ok\r\n")
                    taken = reply.startswith(b"250")
                    sender = line[10:].strip().strip(b"<>").decode() if taken else None
                    recipients = []
                    writer.write(reply)
                elif verb == b"RCPT":
                    reply = self.replies.get("RCPT", b"250 2.1.5 Ok\r\n")
                    if sender is None:
                        reply = b"503 5.5.1 Error: need MAIL command\r\n"
                    elif reply.startswith(b"250"):
                        recipients.append(line[8:].strip().strip(b"<>").decode())
                    writer.write(reply)
                elif verb == b"DATA":
                    reply = self.replies.get("DATA", b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    if not recipients and reply.startswith(b"354"):
                        reply = b"554 5.5.1 No valid recipients\r\n"
                    writer.write(reply)
                    if reply.startswith(b"354"):
                        content = await self._content(reader)
                        if content is None:
                            self.discarded += 1  # no final dot: the mail is not taken
                            break
                        reply = self.after_dot.pop(0) if self.after_dot else b"250 2.0.0 queued\r\n"
                        if reply.startswith(b"250"):
                            with self.mailbox.lock:
                                self.mailbox.messages.append(
                                    Received(sender or "", recipients, content)
                                )
                        writer.write(reply)
                    sender, recipients = None, []
                elif verb == b"RSET":
                    sender, recipients = None, []
                    writer.write(b"250 2.0.0 Ok\r\n")
                elif verb == b"QUIT":
                    writer.write(b"221 2.0.0 Bye\r\n")
                    break
                else:
                    writer.write(b"502 5.5.2 Error: command not recognized\r\n")
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def _content(self, reader: asyncio.StreamReader) -> bytes | None:
        """Return a mail's content, or None if the connection ended before its final dot."""
        lines = []
        taken = 0
        while (line := await reader.readline()) != b".\r\n":
            if not line.endswith(b"\n"):
                return None
            lines.append(line[1:] if line.startswith(b"..") else line)
            taken += len(line)
            if self.burst and taken >= self.burst:
                taken = 0
                await asyncio.sleep(self.pause)
        return b"".join(lines)


@pytest.fixture
async def smtp() -> AsyncIterator[ScriptedRelay]:
    """A ScriptedRelay started for the test (import it, and name it in ``__all__``)."""
    relay = ScriptedRelay()
    await relay.start()
    yield relay
    await relay.stop()
