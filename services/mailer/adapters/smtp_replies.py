"""Reading an SMTP server's replies off the connection, however many arrive in one read."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable

import aiosmtplib

_MAX_REPLY = 64 * 1024  # a reply longer than this is not SMTP (RFC 5321 allows 512 per line)
# Replies a server may send beyond the commands it was given: one, of any code, room for the
# 421 it may send before it closes the connection (RFC 5321 3.8; Postfix does, on a connection
# idle too long). One reply cannot fill memory; more close the connection.
_UNASKED = 1

log = logging.getLogger(__name__)

Reply = aiosmtplib.SMTPResponse


class Replies(asyncio.Protocol):
    """Collects complete SMTP replies, however many arrive in one read.

    A reply that does not come within ``wait`` seconds fails the wait with TimeoutError. One
    watchdog timer per connection checks that, rather than a timer per reply: arming and
    cancelling a timer for each of a mail's replies cost more than parsing them.

    The connection's writer says how many commands it sent (``asked``). Replies beyond those
    (and one 421) are a server out of step, or one filling this process's memory: the
    connection ends there, as if the server had dropped it. ``hang_up`` is called to close it;
    the replies to commands sent are still read, the rest are dropped unread.
    """

    def __init__(
        self,
        wait: float | None,
        on_lost: Callable[[], None] | None = None,
        hang_up: Callable[[], None] | None = None,
    ) -> None:
        self._wait = wait  # seconds to wait for a reply; None waits for ever
        self._on_lost = on_lost  # called once the connection has ended
        self._hang_up = hang_up  # closes the connection
        self._asked = 0  # commands sent whose replies have not been read
        self._tail = b""  # the start of a line whose end has not arrived yet
        self._lines: list[bytes] = []  # the lines so far of a multi-line reply
        self._replies: deque[Reply] = deque()
        self._deaf = False  # the server sent replies nobody asked for: no more are read
        self._waiter: asyncio.Future[None] | None = None
        # The loop the connection runs on, looked up once: asyncio.get_running_loop() makes a
        # getpid() system call each time, about 2 % of a mail's sending CPU when done per wait.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiting_since = 0.0
        self._watchdog: asyncio.TimerHandle | None = None
        self.lost: Exception | None = None

    def asked(self, commands: int) -> None:
        """Count commands sent: their replies, and no more, are awaited off the connection."""
        self._asked += commands

    def data_received(self, data: bytes) -> None:
        if self._deaf:
            return  # hung up on: what was still on its way is not read
        replies = self._replies
        *lines, self._tail = (self._tail + data).split(b"\n")
        for line in lines:
            self._lines.append(line[4:].strip())
            if line[3:4] != b"-":  # the last line of a reply
                try:
                    code = int(line[:3])
                except ValueError:
                    code = -1  # the caller treats an unknown code as a failed command
                text = b"\n".join(self._lines).decode("utf-8", "surrogateescape")
                self._lines = []
                replies.append(Reply(code, text))
                if len(replies) > self._asked + _UNASKED:
                    self._unasked()
                    return
        if len(self._tail) + sum(map(len, self._lines)) > _MAX_REPLY:
            self._fail(aiosmtplib.SMTPResponseException(-1, "reply too long"))
        self._wake()

    @property
    def pending(self) -> int:
        """Return how many complete replies have arrived and not been read."""
        return len(self._replies)

    def _unasked(self) -> None:
        """Fail the connection of a server that sends more replies than it was asked for."""
        self._deaf, self._tail, self._lines = True, b"", []
        while len(self._replies) > self._asked:
            self._replies.pop()
        log.warning(
            "mailer: the SMTP server sent replies to commands the mailer never sent; the "
            "connection was closed as if the server had dropped it, and mail goes on a new one"
        )
        self._fail(aiosmtplib.SMTPServerDisconnected("the server sent replies nobody asked for"))
        if self._hang_up is not None:
            self._hang_up()

    def eof_received(self) -> bool:
        self._fail(aiosmtplib.SMTPServerDisconnected("the server closed the connection"))
        return False  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(aiosmtplib.SMTPServerDisconnected(f"connection lost: {exc or 'closed'}"))
        if self._watchdog is not None:
            self._watchdog.cancel()
        if self._on_lost is not None:
            self._on_lost()

    def _fail(self, exc: Exception) -> None:
        if self.lost is None:
            self.lost = exc
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _watch(self) -> None:
        """Fail a wait that has lasted ``wait`` seconds; look again when the current one would."""
        assert self._wait is not None
        self._watchdog = None
        waiter = self._waiter
        if waiter is None or waiter.done():
            return  # nobody waits: the next wait arms the watchdog again
        loop = asyncio.get_running_loop()
        deadline = self._waiting_since + self._wait
        if loop.time() >= deadline:
            waiter.set_exception(TimeoutError("no reply from the SMTP server"))
        else:
            self._watchdog = loop.call_at(deadline, self._watch)

    async def next(self) -> Reply:
        """Return the next reply; raise when the connection ended or the server is silent."""
        since = None
        while not self._replies:  # pipelined replies often arrive together: no need to wait
            if self.lost is not None:
                raise self.lost
            loop = self._loop
            if loop is None:
                loop = self._loop = asyncio.get_running_loop()
            self._waiter = loop.create_future()
            if self._wait is not None:
                # From the first wait for this reply, not from its latest bytes: a relay that
                # trickles a byte now and then would otherwise hold the mail's lane for ever.
                if since is None:
                    since = loop.time()
                self._waiting_since = since
                if self._watchdog is None:
                    self._watchdog = loop.call_at(self._waiting_since + self._wait, self._watch)
            await self._waiter
        if self._asked:
            self._asked -= 1
        return self._replies.popleft()
