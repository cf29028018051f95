"""How many connections the SMTP relay takes from this process: the pool's size, or fewer.

Relays cap the connections one client may hold (Postfix's smtpd_client_connection_count_limit
is 50, an Exchange receive connector takes 20 from one source), and answer one more with 421
at the greeting, or close it at once. Before, the pool read that as the relay being down: the
batch stopped, sending paused for half a minute and the log said the relay was unreachable,
while it was serving every other connection. Postfix's own scheduler reads a refused connection
beside working ones as the destination's concurrency limit, not its failure; so does this
(docs/decisions/0025-the-pool-learns-the-relays-limit.md).

The limit learned holds for a while, then the whole pool is tried again: the relay's setting
may have been raised, or another client (a second mailer on the same host) may have let go of
its connections.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import Callable
from typing import Final, Protocol

import aiosmtplib

log = logging.getLogger(__name__)

# How long a limit learned from the relay holds before the whole pool is tried again. Each try
# costs the connections the relay turns away and the two mails each of their lanes gives back.
RELEARN_AFTER: Final = 300.0


class RelayLimit:
    """The pool's size, lowered while the relay turns away connections beyond some number."""

    def __init__(
        self,
        size: int,
        *,
        relearn_after: float = RELEARN_AFTER,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.size = size
        self._relearn_after = relearn_after
        self._clock = clock
        self._learned: int | None = None  # None: the relay has turned none away lately
        self._learned_at = 0.0
        self._told: int | None = None  # the limit the log said last
        # Every connection made that may still be open, and the attempts still being made.
        self._made: list[_Open] = []
        self._attempts: set[asyncio.Future[None]] = set()

    def usable(self) -> int:
        """Return how many connections to use at once now."""
        if self._learned is not None and self._clock() - self._learned_at >= self._relearn_after:
            self._learned = None  # tried again in full; a relay still at its limit says so
        return self.size if self._learned is None else self._learned

    def made(self, connection: _Open) -> None:
        """Count a connection the relay took."""
        self._made.append(connection)
        if self._told is None and len(self._made) <= 2 * self.size:
            return
        # Relays close connections after so many mails (Exchange after 20): the closed ones
        # would pile up here for the whole life of the process.
        serving = self._serving()
        if self._told is not None and serving > self._told:
            # It takes more than the log said: a cap met again later is said again.
            log.info("mailer: the SMTP server takes %d connections again", serving)
            self._told = None

    def attempt(self) -> asyncio.Future[None]:
        """Note an attempt to connect starting; resolve the future it returns when it ends."""
        ended = asyncio.get_running_loop().create_future()
        self._attempts.add(ended)
        ended.add_done_callback(self._attempts.discard)
        return ended

    async def turned_away(self, exc: BaseException, reason: str) -> bool:
        """Tell whether a failed connection was turned away for the number of this process's
        others, learning the limit if so; False when the relay serves none of them.

        The pool's connections are usually opened together: the relay may answer one with 421
        before it has greeted the ones it takes, so the answer waits for those attempts.
        """
        if not _turn_away(exc):
            return False
        if self._attempts:
            await asyncio.wait(list(self._attempts))
        serving = self._serving()
        if serving == 0:
            return False
        self._learned, self._learned_at = serving, self._clock()
        if serving != self._told:
            self._told = serving
            # The reason is the relay's reply, scrubbed (senders.py): never an address.
            log.warning(
                "mailer: the SMTP server turned away connection %d (%s); sending over the %d "
                "it takes (VARSEL_MAIL_CONCURRENCY is %d; tried again in %d minutes)",
                serving + 1,
                reason,
                serving,
                self.size,
                round(self._relearn_after / 60),
            )
        return True

    def _serving(self) -> int:
        """Forget the connections the relay no longer holds; return how many it does."""
        # Connected, not free for a mail: one whose final dot's reply came in during the
        # ledger's COMMIT (handover.py) is the relay's as much as an idle one. Counted by
        # is_open, such connections were forgotten: against Postfix, a pool that held three
        # learned one, or none, and said the relay was down.
        self._made = [c for c in self._made if c.is_connected]
        return len(self._made)


class _Open(Protocol):
    """What the limit needs of a connection (the pool's SmtpConnection)."""

    @property
    def is_connected(self) -> bool:
        """Tell whether the relay still holds the connection, carrying a mail or not."""


def _turn_away(exc: BaseException) -> bool:
    """Tell whether a failure to connect is how relays refuse one connection too many: a 4xx
    greeting (or reply to EHLO), or a connection closed or refused as soon as it is made. A
    wrong password (535), a certificate that does not verify, a name that does not resolve or a
    relay that never answers (a timeout) is not."""
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return (
            isinstance(exc, aiosmtplib.SMTPConnectResponseError | aiosmtplib.SMTPHeloError)
            and 400 <= exc.code < 500
        )
    if isinstance(exc, aiosmtplib.SMTPConnectError) and not isinstance(exc, TimeoutError):
        exc = exc.__cause__ or exc  # aiosmtplib wraps what the system or the relay did
    if isinstance(exc, ssl.SSLError):
        return False  # a refused handshake is a setting, not a number of connections
    return isinstance(
        exc, aiosmtplib.SMTPServerDisconnected | ConnectionRefusedError | ConnectionResetError
    )
