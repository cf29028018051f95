"""One SMTP connection for mail transactions: pipelined commands, and a hand-over before the dot.

aiosmtplib opens the connection, negotiates TLS, says EHLO and logs in; then the transactions
run here. Two things are written by hand because aiosmtplib cannot do them:

* PIPELINING (RFC 2920): MAIL, RCPT and DATA go in one write and their three replies are read
  together. aiosmtplib's protocol parses one reply per read, so replies that arrive together
  would wait for more data. On a loopback fan-out this saves two round trips per mail.
* A hand-over between the content and the final "." of DATA, where the delivery ledger records
  the mail as sent (docs/decisions/0008-record-before-the-final-dot.md). aiosmtplib writes
  content and dot in one call.

With PIPELINING, the next mail's MAIL, RCPT and DATA may also leave with a mail's final dot
(``then``): RFC 2920 3.1 lets the transfer of a message's content start a group of commands,
so the content, its dot and the next transaction's commands go in one segment, and a mail costs
one trip through the network stack instead of two (docs/decisions/0021).

Servers that do not announce PIPELINING get the same commands one at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import socket
from collections.abc import Awaitable, Callable
from typing import Final, cast

import aiosmtplib
from aiosmtplib.protocol import normalize_message_line_endings

from services.mailer.adapters.smtp_replies import Replies, Reply
from services.mailer.domain.wire_address import wire_address

# Awaited when the mail is ready to become the server's. It records the hand-over, then calls
# the function it is given, which writes the final "." of DATA at once; it raises when the
# mail must not go (docs/decisions/0008-record-before-the-final-dot.md).
HandOver = Callable[[Callable[[], None]], Awaitable[None]]
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TCP_CORK: int | None = getattr(socket, "TCP_CORK", None)
# SMTP timeouts a mail's content may take to reach the kernel (only one larger than the
# kernel's buffer waits at all, for a relay that reads slowly).
CONTENT_TIMEOUTS: Final = 2
# How often the content's drain is looked at: at first, and at most while nothing moves.
_DRAIN_FIRST: Final = 0.001
_DRAIN_LONGEST: Final = 0.05


class SmtpConnection:
    """A connected, greeted (and, if configured, secured and logged-in) SMTP connection."""

    def __init__(
        self, client: aiosmtplib.SMTP, *, beneath: asyncio.BaseTransport | None = None
    ) -> None:
        """Take over a connected client; ``beneath`` is the TCP transport under its TLS layer
        when the caller kept it (STARTTLS), whose buffer the TLS layer's does not count."""
        transport = client.transport
        # Not an isinstance check: uvloop's transports do the whole interface without being
        # subclasses of asyncio.Transport.
        if transport is None or transport.is_closing() or client.is_ehlo_or_helo_needed:
            raise ValueError("connect the client (and say EHLO) first")
        self._client = client  # keeps aiosmtplib's state alive; the transport is ours now
        self._transport = cast(asyncio.Transport, transport)
        self._beneath = cast(asyncio.Transport | None, beneath)
        self._pipelining = client.supports_extension("pipelining")
        self._smtputf8 = client.supports_extension("smtputf8")
        self._wait = client.timeout  # seconds a relay may keep us waiting; None: for ever
        self._socket = _options_socket(transport)
        self._replies = Replies(client.timeout, on_lost=self._drop_socket, hang_up=self.close)
        self._dot_written = False
        # The next mail's MAIL, RCPT and DATA, written after the last mail's final dot and not
        # yet answered: only the send of that very mail may use the connection next.
        self._ahead: bytes | None = None
        self._transport.set_protocol(self._replies)

    @property
    def is_open(self) -> bool:
        """Tell whether the connection can carry another mail.

        Not while a reply nobody asked for waits: each later reply would be taken as the one
        before's, a mail's refusal as the next mail's (and so counted on another person).
        """
        expected = 0 if self._ahead is None else 3  # the replies to the commands sent ahead
        return self.is_connected and self._replies.pending <= expected

    @property
    def is_connected(self) -> bool:
        """Tell whether the connection still holds its place at the server, carrying a mail or
        not: what the server counts against its limit of connections (relay_limit.py). A
        connection whose reply came in and is not read yet is one: ``is_open`` says no to it.
        """
        return self._replies.lost is None and not self._transport.is_closing()

    @property
    def ahead(self) -> bool:
        """Tell whether the next mail's commands were sent with the last mail's final dot."""
        return self._ahead is not None

    def close(self) -> None:
        """Drop the connection; a mail before its final dot is discarded by the server."""
        self._transport.close()
        self._drop_socket()

    def _drop_socket(self) -> None:
        """Close this connection's own handle on its socket, so closing it ends the connection."""
        if self._socket is not None:
            self._socket.close()

    def _ask(self, commands: bytes, replies: int = 1) -> None:
        """Send commands that ``replies`` replies answer: the server may send that many, no more."""
        self._transport.write(commands)
        self._replies.asked(replies)

    async def quit(self) -> None:
        """Say goodbye politely, then close."""
        try:
            if self.is_open and self._ahead is None:  # else QUIT would be a mail's content
                self._ask(b"QUIT\r\n")
                async with asyncio.timeout(5.0):
                    await self._replies.next()
        except (aiosmtplib.SMTPException, TimeoutError):
            pass
        finally:
            self.close()

    async def reset(self) -> None:
        """Abandon the current transaction (RSET) so the connection can take the next mail."""
        self._ask(b"RSET\r\n")
        reply = await self._replies.next()
        if reply.code != 250:
            raise aiosmtplib.SMTPResponseException(reply.code, reply.message)

    async def send(
        self,
        sender: str,
        recipient: str,
        message: bytes,
        hand_over: HandOver | None,
        transparent: bytes | None = None,
        then: tuple[str, str] | None = None,
    ) -> None:
        """Run one transaction; raise aiosmtplib's exceptions for refusals and lost connections.

        ``transparent``, if given, is ``message`` already in DATA's transparent form. ``then``
        is the sender and recipient of the mail this connection sends next, if known: its
        commands then leave with this mail's final dot (after the hand-over), and that send
        must follow on this connection, or the connection be closed.
        """
        commands = self._envelope(sender, recipient)
        following = self._following(then) if hand_over is not None else None
        mail, rcpt, data = await self._commands(commands)
        envelope_ok = mail.code == 250 and rcpt is not None and rcpt.code in (250, 251)
        if data is not None and data.code == 354 and not envelope_ok:
            # The server opened DATA although the envelope failed: end it empty (RFC 2920 3.1).
            self._ask(b".\r\n")
            await self._replies.next()
        if mail.code != 250:
            raise aiosmtplib.SMTPSenderRefused(mail.code, mail.message, sender)
        if rcpt is None or rcpt.code not in (250, 251):
            code, text = (rcpt.code, rcpt.message) if rcpt else (mail.code, mail.message)
            raise aiosmtplib.SMTPRecipientRefused(code, text, recipient)
        if data is None or data.code != 354:
            code, text = (data.code, data.message) if data else (rcpt.code, rcpt.message)
            raise aiosmtplib.SMTPDataError(code, text)
        content = _stuffed(message) if transparent is None else transparent
        await self._content(content, hand_over, following)

    def _envelope(self, sender: str, recipient: str) -> list[bytes]:
        """Return a transaction's MAIL, RCPT and DATA; raise for an address they cannot carry."""
        for address in (sender, recipient):
            if _CONTROL.search(address):
                raise ValueError("an address contains a control character")
        # Addresses were checked at sign-up; parsing them again per mail cost a fifth of the
        # CPU of a fan-out (docs/benchmarks.md). An ASCII pair, nearly every mail, pays two
        # isascii() calls and nothing more.
        if sender.isascii() and recipient.isascii():
            mail_from = b"MAIL FROM:<%s>\r\n" % sender.encode()
        else:
            # Rare: an internationalised domain goes as IDNA, as in the To header, so only a
            # local part that is not ASCII needs SMTPUTF8. Raises UnencodableDomain.
            sender, recipient = wire_address(sender), wire_address(recipient)
            if sender.isascii() and recipient.isascii():
                mail_from = b"MAIL FROM:<%s>\r\n" % sender.encode()
            elif self._smtputf8:
                mail_from = b"MAIL FROM:<%s> SMTPUTF8\r\n" % sender.encode()
            else:
                raise NonAsciiRefused(
                    "the SMTP server does not take non-ASCII addresses (SMTPUTF8)"
                )
        return [mail_from, b"RCPT TO:<%s>\r\n" % recipient.encode(), b"DATA\r\n"]

    def _following(self, then: tuple[str, str] | None) -> bytes | None:
        """Return the commands of the mail sent next, to go with this one's dot; None if they
        cannot go early (no PIPELINING, or an address they cannot carry: its own send says)."""
        if then is None or not self._pipelining:
            return None
        try:
            return b"".join(self._envelope(*then))
        except (ValueError, NonAsciiRefused):  # UnencodableDomain is a ValueError
            return None

    async def _commands(self, commands: list[bytes]) -> tuple[Reply, Reply | None, Reply | None]:
        """Send MAIL, RCPT and DATA; return their replies (None for a command not sent)."""
        if self._ahead is not None:
            sent, self._ahead = self._ahead, None
            if sent != b"".join(commands):
                # Another mail's transaction is open on this connection: closed, the server
                # discards it (a caller that broke the rule of ``then``).
                self.close()
                raise RuntimeError("the connection was holding another mail's commands")
            mail = await self._replies.next()
            rcpt = await self._replies.next()
            return mail, rcpt, await self._replies.next()
        if self._pipelining:
            self._ask(b"".join(commands), 3)
            mail = await self._replies.next()
            rcpt = await self._replies.next()
            return mail, rcpt, await self._replies.next()
        replies: list[Reply | None] = []
        for command, wanted in zip(commands, ((250,), (250, 251), (354,)), strict=True):
            self._ask(command)
            reply = await self._replies.next()
            replies.append(reply)
            if reply.code not in wanted:
                break
        first, second, third = [*replies, None, None][:3]
        assert first is not None
        return first, second, third

    def _cork(self, on: bool) -> None:
        """Hold (or send) what is written next in the kernel, where a kill still delivers it.

        Corked, writing the final dot is a copy into the kernel instead of a trip through the
        network stack, so the ledger's dots-then-COMMIT step, the one window in which a kill
        repeats mails, is about three times shorter (ADR 0008). Linux only; elsewhere the dot
        is simply sent.
        """
        if _TCP_CORK is not None and self._socket is not None:
            with contextlib.suppress(OSError):  # closed meanwhile: the reply read says so
                self._socket.setsockopt(socket.IPPROTO_TCP, _TCP_CORK, int(on))

    def _buffered(self) -> int:
        """Return how many bytes written are still in this process, not yet in the kernel."""
        held = self._transport.get_write_buffer_size()
        if self._beneath is not None:
            held += self._beneath.get_write_buffer_size()
        return held

    async def _drained(self) -> None:
        """Wait until nothing written is left in the process; give up on a relay that stops
        reading for as long as it may take to reply, or reads too slowly to finish in
        ``CONTENT_TIMEOUTS`` times that (before the final dot: it discards the mail)."""
        held = self._buffered()
        if not held:
            return  # nearly every mail: nothing to wait for, nor a clock to read
        loop = asyncio.get_running_loop()
        began = since = loop.time()
        wait = self._wait
        pause = _DRAIN_FIRST
        while held and self.is_open:
            await asyncio.sleep(pause)
            now_held, now = self._buffered(), loop.time()
            if now_held < held:
                held, since, pause = now_held, now, _DRAIN_FIRST
            elif wait is not None and now - since > wait:
                self.close()
                raise ContentNotRead(f"the SMTP server stopped reading the mail for {wait:g} s")
            else:
                # A relay that stopped reading is looked at less and less often, up to
                # _DRAIN_LONGEST: at 1 ms for ever, one stalled connection woke the loop a
                # thousand times a second. One that reads again is followed at 1 ms once more.
                pause = min(pause * 2, _DRAIN_LONGEST)
            # Else reading a little now and then held the lane, and the batch, for ever.
            if wait is not None and now - began > wait * CONTENT_TIMEOUTS:
                self.close()
                raise ContentNotRead(
                    f"the SMTP server read too slowly: {held} bytes of the mail still unread "
                    f"after {wait * CONTENT_TIMEOUTS:g} s"
                )

    def _final_dot(self) -> None:
        if not self._dot_written:
            self._dot_written = True
            self._ask(b".\r\n")

    def _handed_dot(self) -> None:
        """Write the final dot for the ledger's hand-over: into the kernel, or not at all."""
        if not self._dot_written:
            self._final_dot()
            if self._buffered():
                # The kernel's buffer was full: the dot waits in this process, where a kill
                # would lose it after COMMIT recorded the mail sent. Dropped unsent instead (the
                # server discards the mail), and the ledger puts the mail back in the queue.
                self._transport.abort()
                raise DotNotTaken("the final dot could not be handed to the kernel")

    async def _content(
        self, content: bytes, hand_over: HandOver | None, following: bytes | None = None
    ) -> None:
        """Write the content (transparent already), let the ledger record the hand-over, then
        the final dot (and ``following``, the next mail's commands, after it)."""
        if hand_over is not None:
            # Corked from the content on, not only for the dot: the two then leave in one
            # segment once the hand-over is recorded, one trip through the network stack fewer
            # for every mail. A kill before the dot still sends the content, which the server
            # discards without its dot.
            self._cork(True)
        self._transport.write(content)
        self._dot_written = False
        # The final dot must not wait behind content in asyncio's buffer: the kernel's buffer is
        # delivered even if the process is killed, asyncio's is not (large mails, slow links).
        # Polled: TLS transports give no dependable drain callback. Usually nothing to wait for.
        await self._drained()
        if hand_over is None:
            self._final_dot()
        else:
            try:
                await hand_over(self._handed_dot)
            except BaseException:
                # Refused before the dot: withdrawn, the server discards it. (Cancelled after
                # the dot: closing sends what is buffered, so the server still gets it.)
                self.close()
                raise
            self._final_dot()  # in case the hand-over returned without writing it
            if following is not None:
                # Written after the hand-over's COMMIT, still corked: they leave with the dot.
                # Killed now, the server has the mail and the next one's envelope without
                # content, which it discards.
                self._ask(following, 3)
                self._ahead = following
            self._cork(False)
        reply = await self._replies.next()
        if reply.code != 250:
            raise aiosmtplib.SMTPDataError(reply.code, reply.message)


def _options_socket(transport: asyncio.BaseTransport) -> socket.socket | None:
    """Return a socket object of our own for the connection's TCP_CORK, or None.

    The transport's socket (the TCP one under TLS too) is uvloop's stand-in, which makes and
    drops a socket object for every setsockopt: two a mail. One made here on a duplicate of
    the descriptor serves the connection's whole life; being its own descriptor, it can never
    close or touch another connection's, and it is closed with the connection (close(),
    connection_lost), so the connection still ends when the transport closes.
    """
    if _TCP_CORK is None:
        return None
    beneath = transport.get_extra_info("socket")
    if beneath is None:
        return None
    try:
        duplicate = os.dup(beneath.fileno())
    except OSError:
        return None  # closed meanwhile: the first reply read says so
    return socket.socket(beneath.family, beneath.type, beneath.proto, fileno=duplicate)


class ContentNotRead(TimeoutError):
    """The relay did not read a mail's content in time: the connection was dropped before the
    final dot, so the relay discards the mail, and it is tried again."""


class DotNotTaken(ConnectionError):
    """The kernel could not take a handed-over mail's final dot at once: the connection was
    dropped with it, so the server discards the mail, and it is tried again."""


class NonAsciiRefused(Exception):
    """The server cannot take a non-ASCII address; no retry will help."""


def _stuffed(message: bytes) -> bytes:
    """Return the message with CRLF line endings and leading dots doubled (RFC 5321, 4.5.2)."""
    lines = message.count(b"\n")
    if not (lines == message.count(b"\r\n") == message.count(b"\r") and message.endswith(b"\r\n")):
        message = normalize_message_line_endings(message)  # rare: ours are CRLF already
    # CRLF throughout by now, so every line after the first starts right after a CRLF:
    # bytes.replace finds them at memchr speed, where a multi-line regex walked every byte of
    # every mail (docs/benchmarks.md, «Mail fan-out»).
    message = message.replace(b"\r\n.", b"\r\n..")
    return b"." + message if message.startswith(b".") else message
