"""Reading an SMTP server's replies off the connection, however many arrive in one read."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

import aiosmtplib

_MAX_REPLY = 64 * 1024  # a reply longer than this is not SMTP (RFC 5321 allows 512 per line)

Reply = aiosmtplib.SMTPResponse


class Replies(asyncio.Protocol):
    """Collects complete SMTP replies, however many arrive in one read.

    A reply that does not come within ``wait`` seconds fails the wait with TimeoutError. One
    watchdog timer per connection checks that, rather than a timer per reply: arming and
    cancelling a timer for each of a mail's replies cost more than parsing them.
    """

    def __init__(self, wait: float | None, on_lost: Callable[[], None] | None = None) -> None:
        self._wait = wait  # seconds to wait for a reply; None waits for ever
        self._on_lost = on_lost  # called once the connection has ended
        self._tail = b""  # the start of a line whose end has not arrived yet
        self._lines: list[bytes] = []  # the lines so far of a multi-line reply
        self._replies: deque[Reply] = deque()
        self._waiter: asyncio.Future[None] | None = None
        # The loop the connection runs on, looked up once: asyncio.get_running_loop() makes a
        # getpid() system call each time, about 2 % of a mail's sending CPU when done per wait.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiting_since = 0.0
        self._watchdog: asyncio.TimerHandle | None = None
        self.lost: Exception | None = None

    def data_received(self, data: bytes) -> None:
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
                self._replies.append(Reply(code, text))
        if len(self._tail) + sum(map(len, self._lines)) > _MAX_REPLY:
            self._fail(aiosmtplib.SMTPResponseException(-1, "reply too long"))
        self._wake()

    @property
    def pending(self) -> int:
        """Return how many complete replies have arrived and not been read."""
        return len(self._replies)

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
        return self._replies.popleft()
