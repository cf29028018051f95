"""A real SMTP server on loopback (aiosmtpd) that keeps every message it receives."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.support.varsel_process import free_port


@dataclass
class Received:
    """One message as the server got it."""

    mail_from: str
    recipients: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        """Parse the message."""
        parsed = BytesParser(policy=default).parsebytes(self.data)
        assert isinstance(parsed, EmailMessage)
        return parsed


def _as_bytes(data: bytes | str) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


class AnnouncesPipelining:
    """Announces PIPELINING (RFC 2920) as the relays varsel sends through do (Postfix, Exim,
    the cloud relays), so the tests send as varsel sends in use: the next mail's envelope
    with a mail's final dot. aiosmtpd reads pipelined commands in order; it only does not say
    so. ``pipelining = False`` makes a server that does not announce it."""

    pipelining: bool = True

    async def handle_EHLO(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        session.host_name = hostname  # what aiosmtpd does itself when no hook replaces it
        if not self.pipelining:
            return responses
        return [*responses[:-1], "250-PIPELINING", responses[-1]]


@dataclass
class Mailbox(AnnouncesPipelining):
    """Collects messages; optionally answers with scripted SMTP codes first.

    ``delay`` makes each DATA take that many seconds before the reply (a slow server), so a
    test can act while mails are in flight.
    """

    messages: list[Received] = field(default_factory=list)
    scripted: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    delay: float = 0.0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            if self.scripted:
                return self.scripted.pop(0)
            self.messages.append(
                Received(
                    str(envelope.mail_from),
                    [str(r) for r in envelope.rcpt_tos],
                    _as_bytes(envelope.original_content or envelope.content or b""),
                )
            )
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        """Wait until at least ``count`` messages arrived; return them all."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        raise AssertionError(
            f"expected {count} message(s) within {timeout}s, got {len(self.messages)}"
        )


class SmtpServer:
    """aiosmtpd on 127.0.0.1 and a free port."""

    def __init__(self) -> None:
        self.mailbox = Mailbox()
        self._port = free_port()
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self._port)

    def start(self) -> None:
        """Start serving."""
        self._controller.start()

    @property
    def port(self) -> int:
        """Return the port it listens on."""
        return self._port

    @property
    def url(self) -> str:
        """Return the VARSEL_SMTP_URL that reaches it."""
        return f"smtp://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stop serving."""
        self._controller.stop()


_MESSAGE_ID_HEADER = re.compile(rb"^Message-ID:\s*(<[^>\r\n]+>)", re.IGNORECASE | re.MULTILINE)


@dataclass
class CountingMailbox(AnnouncesPipelining):
    """A fast mailbox for tens of thousands of mails: keeps only recipient and Message-ID."""

    received: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = _as_bytes(envelope.original_content or envelope.content or b"")
        # The headers come first; a bounded search keeps this cheap for big bodies.
        found = _MESSAGE_ID_HEADER.search(data, 0, 4096)
        message_id = found.group(1).decode("ascii", "replace") if found else ""
        with self.lock:
            self.received.extend((str(r), message_id) for r in envelope.rcpt_tos)
        return "250 OK"

    def count(self) -> int:
        """Return how many (recipient, message) pairs arrived so far."""
        with self.lock:
            return len(self.received)

    def snapshot(self) -> list[tuple[str, str]]:
        """Return every (recipient, Message-ID) received so far."""
        with self.lock:
            return list(self.received)
