"""Handing mail to the world: SMTP over a small pool of reused connections, or .eml files.

Addresses pass through here but are never logged.
"""

from __future__ import annotations

import asyncio
import ssl
import uuid
from collections import deque
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib

from services.mailer.adapters.file_sender import FileMailSender
from services.mailer.adapters.relay_limit import RelayLimit
from services.mailer.adapters.smtp_connection import (
    ContentNotRead,
    HandOver,
    NonAsciiRefused,
    SmtpConnection,
)
from services.mailer.domain.refusals import reply_refuses_the_address
from services.mailer.domain.reply_text import readable, scrubbed
from services.mailer.domain.wire_address import UnencodableDomain

__all__ = ["FileMailSender", "HandOver"]  # re-exported: senders and their users name them here


class SendFailure(Exception):
    """A message did not go through; ``code`` is the SMTP reply code when there was one."""

    def __init__(self, text: str, code: int | None = None) -> None:
        super().__init__(text)
        self.code = code


class TemporaryFailure(SendFailure):
    """The mail may go through later (4xx, dropped connection)."""


class ServerUnavailable(TemporaryFailure):
    """No connection to the SMTP server, one that is closing (421) or one that refuses varsel's
    sender: nothing can go now, through no fault of the mail."""


class RelayFull(TemporaryFailure):
    """The relay turned away one more connection while it serves this process's others: its
    limit of connections from one client, not an outage (relay_limit.py). The mail was not
    tried; it goes on one of the connections the relay takes."""


class PermanentFailure(SendFailure):
    """The server refused this recipient or message for good (5xx).

    ``address_refused`` tells whether the refusal is about the recipient's address, which alone
    counts toward ending their alerts (domain/refusals.py), rather than the mail or the relay.
    """

    def __init__(self, text: str, code: int | None = None, *, address_refused: bool = False):
        super().__init__(text, code)
        self.address_refused = address_refused


class HandOverRefused(Exception):
    """The hand-over was not recorded, so the mail was withdrawn before the server took it.

    ``lease_lost`` is true when another process owns the delivery now; otherwise the ledger
    could not be written and the mail should wait.
    """

    def __init__(self, text: str, *, lease_lost: bool) -> None:
        super().__init__(text)
        self.lease_lost = lease_lost


class MailSender(Protocol):
    """Delivers one message to one recipient."""

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
        """Send; raise TemporaryFailure or PermanentFailure when it does not go through.

        ``hand_over`` is awaited once, at the last moment the mail can still be withdrawn, with
        the function that completes the hand-over; if it raises HandOverRefused, the mail is
        withdrawn and the refusal propagates. ``owner`` is the subscriber the mail is for
        (None: an operator's notice), so a kept copy can be dropped when they are erased.
        ``transparent`` is the message in DATA's transparent form (CRLF line ends, leading
        dots doubled) when the caller has it (domain/transparency.py); an SMTP sender then
        writes it as it is, others ignore it. ``then`` is the sender and recipient of the
        mail the caller sends next, right after this one, if it knows: an SMTP sender may send
        that mail's envelope early (smtp_connection.py); others ignore it. A caller that gives
        ``then`` and does not send that mail next calls ``abandon`` once it stops sending.
        """

    def abandon(self) -> None:
        """Drop what was sent early for mails that were not sent after all (see ``then``)."""

    def connections(self) -> int:
        """Return how many mails to send at once: one per connection the relay takes now."""

    async def forget(self, owner: uuid.UUID) -> int:
        """Delete every copy kept of an erased person's mails; return how many."""

    async def close(self) -> None:
        """Release connections."""


class SmtpMailSender:
    """Sends over SMTP with up to ``pool_size`` reused connections."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 4,
        timeout: float = 30.0,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps", "smtp+starttls"} or not parts.hostname:
            raise ValueError(
                "VARSEL_SMTP_URL must look like smtp://host:25, smtp+starttls://user:pass@host:587 "
                "or smtps://user:pass@host:465"
            )
        self._host = parts.hostname
        self._port = parts.port or {"smtp": 25, "smtps": 465, "smtp+starttls": 587}[parts.scheme]
        self._implicit_tls = parts.scheme == "smtps"
        self._starttls = parts.scheme == "smtp+starttls"
        self._username = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        self._timeout = timeout
        # Nobody waits on it (the slots do): a deque, not an asyncio.Queue and its wake-ups.
        self._idle: deque[SmtpConnection] = deque()
        # Connections that sent a mail's envelope with the last mail's dot, by that envelope:
        # kept for that mail's send alone (smtp_connection.py, ``then``).
        self._ahead: dict[tuple[str, str], list[SmtpConnection]] = {}
        self._slots = asyncio.Semaphore(pool_size)
        self._limit = RelayLimit(pool_size)
        # The system's trust store unless told otherwise (tests bring their own authority).
        self._tls = tls_context or ssl.create_default_context()

    async def _connect(self) -> SmtpConnection:
        """Open, secure, greet and log in with aiosmtplib; transactions then run on our own."""
        client = aiosmtplib.SMTP(
            hostname=self._host,
            port=self._port,
            timeout=self._timeout,
            use_tls=self._implicit_tls,
            start_tls=False,
            tls_context=self._tls if (self._implicit_tls or self._starttls) else None,
        )
        await client.connect()
        try:
            return await self._greet(client)
        except BaseException:
            # Refused at EHLO, STARTTLS or login: left open, the connection would hold one of
            # the relay's per-client slots until it was collected (ADR 0025).
            client.close()
            raise

    async def _greet(self, client: aiosmtplib.SMTP) -> SmtpConnection:
        """Secure, greet and log in on a connected client."""
        beneath = None
        if self._starttls:
            # Upgraded here rather than by connect(), to keep the TCP transport under the TLS
            # layer: the hand-over must see the bytes still in it (ADR 0008, «Bytes the process
            # still holds»).
            await client.ehlo()
            if not client.supports_extension("starttls"):
                raise aiosmtplib.SMTPException("the SMTP server does not offer STARTTLS")
            beneath = client.transport
            await client.starttls(tls_context=self._tls)
        if client.is_ehlo_or_helo_needed:
            await client.ehlo()
        if self._username and self._password:
            await client.login(self._username, self._password)
        return SmtpConnection(client, beneath=beneath)

    async def _open(self) -> SmtpConnection:
        """Open one more connection; RelayFull when the relay turns it away while it serves
        others of this process, ServerUnavailable when it serves none."""
        ended = self._limit.attempt()
        try:
            connection = await self._connect()
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            failure: BaseException = exc
        else:
            self._limit.made(connection)
            return connection
        finally:
            ended.set_result(None)
        reason = _unreachable(failure)
        if await self._limit.turned_away(failure, reason):
            raise RelayFull(f"the SMTP server takes no more connections: {reason}") from failure
        raise ServerUnavailable(f"cannot reach the SMTP server: {reason}") from failure

    def connections(self) -> int:
        """Return the pool's size, or fewer while the relay takes no more (relay_limit.py)."""
        return self._limit.usable()

    async def forget(self, owner: uuid.UUID) -> int:
        """Keep nothing to forget: a sent mail is the recipient's."""
        return 0

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
        """Send one message on a pooled connection, mapping replies to failure kinds."""
        async with self._slots:
            connection = None
            try:
                connection = self._sent_ahead(sender, recipient) or self._reusable()
                if connection is None:
                    connection = await self._open()
                await connection.send(sender, recipient, message, hand_over, transparent, then)
            except (ServerUnavailable, RelayFull, HandOverRefused):
                raise  # no connection was made, or a refused hand-over has closed it already
            except (NonAsciiRefused, UnencodableDomain) as exc:
                # No retry will help, and no server refused it: failed, but not a bounce.
                if connection is not None:
                    self._idle.append(connection)  # nothing was sent: the connection is fine
                raise PermanentFailure(str(exc)) from exc
            except aiosmtplib.SMTPResponseException as exc:
                # 421 means the server is closing the connection, and a code that answers
                # nothing asked (a garbled line, 250 where 354 belongs) that it is out of step;
                # otherwise it can be reused for the next message after RSET.
                if exc.code == 421 or not _answers(exc.code) or not await _reset(connection):
                    _drop(connection)
                elif connection is not None:
                    self._idle.append(connection)
                raise _failure(exc, recipient) from exc
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                _drop(connection)
                raise TemporaryFailure(_connection_problem(exc)) from exc
            except BaseException:
                _drop(connection)
                raise
            if connection.ahead and then is not None:
                self._ahead.setdefault(then, []).append(connection)
            else:
                self._idle.append(connection)

    def _sent_ahead(self, sender: str, recipient: str) -> SmtpConnection | None:
        """Return the connection that sent this mail's envelope early, if it is still open."""
        waiting = self._ahead.get((sender, recipient))
        if not waiting:
            return None
        connection = waiting.pop()
        if not waiting:
            del self._ahead[(sender, recipient)]
        if connection.is_open:
            return connection
        connection.close()
        return None

    def abandon(self) -> None:
        """Close the connections holding an envelope sent early for a mail not sent after all:
        the server discards a transaction that never got its content."""
        for waiting in self._ahead.values():
            for connection in waiting:
                connection.close()
        self._ahead.clear()

    def _reusable(self) -> SmtpConnection | None:
        """Return an idle connection that is still open; the server may have timed others out."""
        while self._idle:
            connection = self._idle.popleft()
            if connection.is_open:
                return connection
            connection.close()
        return None

    async def close(self) -> None:
        """Quit every pooled connection, all at once: a relay slow to answer QUIT holds this up
        for one connection's wait, not each one's in turn."""
        self.abandon()
        idle, self._idle = self._idle, deque()
        # Each closes its connection whatever the relay answers; a failure to say goodbye to one
        # must not leave the others open.
        await asyncio.gather(*(connection.quit() for connection in idle), return_exceptions=True)


def _unreachable(exc: BaseException) -> str:
    """Say why no connection to the relay was made: its reply (421, 535) or the system's words."""
    # The operator acts on these: a relay that is busy (421), a password that is wrong (535), a
    # host that refuses. A reply repeats no recipient here, but is scrubbed like every other.
    # Scrubbed before it is cut: an address cut after its "@" is no longer found.
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        reply = scrubbed(readable(exc.message))[:200]
        return f"{type(exc).__name__} (SMTP {exc.code}: {reply})"
    if isinstance(exc, aiosmtplib.SMTPException) and exc.message:
        reply = scrubbed(readable(exc.message))[:200]
        return f"{type(exc).__name__} ({reply})"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{type(exc).__name__} ({exc.strerror})"
    return type(exc).__name__


def _connection_problem(exc: BaseException) -> str:
    """Say what broke the conversation: by its type, and in words where they are our own (a
    library's or the system's words may repeat a server's reply, and with it an address)."""
    problem = f"SMTP connection problem: {type(exc).__name__}"
    if isinstance(exc, ContentNotRead):
        return f"{problem}: {exc}; the connection was dropped before the final dot"
    return problem


def _answers(code: int) -> bool:
    """Tell whether a reply code refusing a command is one a refusal can have (4xx or 5xx)."""
    return 400 <= code < 600


def _failure(exc: aiosmtplib.SMTPResponseException, recipient: str) -> SendFailure:
    """Say what a refusal means for the mail: try again, wait for the relay, or give up."""
    code = exc.code
    # Servers often repeat the recipient in their reply; the ledger must not keep addresses.
    detail = scrubbed(f"SMTP {code}: {readable(exc.message)}", recipient)[:500]
    if not _answers(code):
        # Not the mail refused but the conversation broken (the connection is dropped): before,
        # such a reply failed the mail for good.
        return TemporaryFailure(f"the SMTP server answered out of turn: {detail}")
    if code == 421:
        # "Service not available, closing transmission channel" (RFC 5321 3.8): the relay, not
        # this mail. Before, each mail used up a try on it and gave up after about two hours of
        # an outage, with a warning for every mail at every try.
        return ServerUnavailable(f"the SMTP server is closing the connection: {detail}", code)
    if isinstance(exc, aiosmtplib.SMTPSenderRefused) and code >= 500:
        # Every mail leaves with the same sender: no mail can go until the relay's (or
        # varsel's) setting is mended. Before, each mail failed for good, counted as the
        # recipient's bounce: three mails ended everyone's alerts.
        return ServerUnavailable(f"the SMTP server refuses the envelope sender: {detail}", code)
    if code < 500:
        return TemporaryFailure(detail, code)
    return PermanentFailure(
        detail, code, address_refused=reply_refuses_the_address(code, exc.message)
    )


async def _reset(connection: SmtpConnection | None) -> bool:
    """RSET after a refusal; tell whether the connection can be used again."""
    if connection is None or not connection.is_open or connection.ahead:
        return False  # with the next mail's commands sent, RSET would be taken as content
    try:
        await connection.reset()
    except (aiosmtplib.SMTPException, OSError, TimeoutError):
        return False
    return True


def _drop(connection: SmtpConnection | None) -> None:
    if connection is not None:
        connection.close()


def build_sender(smtp_url: str, outbox_dir: Path, pool_size: int) -> MailSender:
    """Choose SMTP when a URL is configured, else .eml files."""
    if smtp_url:
        return SmtpMailSender(smtp_url, pool_size=pool_size)
    return FileMailSender(outbox_dir)
