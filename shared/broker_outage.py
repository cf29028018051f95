"""A broker outage said in two lines: when RabbitMQ goes away, and when it answers again.

aio-pika reconnects by itself, and it and aiormq log as they go: a traceback when the broker
drops the connection, then three lines (one an ERROR) at every attempt, every 5 s for as long
as the outage lasts, and nothing when it is over. An operator's alerting fired on each, and
nothing told them the broker was back. Those lines are left out (they are kept when the log
level is DEBUG); this module says what the operator needs instead: which broker, that events
wait in the outbox meanwhile, and how long it was away.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Final

from aio_pika.abc import AbstractRobustConnection

log = logging.getLogger(__name__)

# The client's lines of an outage under way, by logger and format string (record.msg).
_OUTAGE_CHATTER: Final[dict[str, frozenset[str]]] = {
    "aiormq.connection": frozenset(
        {
            "error when creating transport: %r",
            "Cancelling cause reader exited abnormally",
            'Unexpected connection close from remote "%s", '
            "Connection.Close(reply_code=%r, reply_text=%r)",
        }
    ),
    "aio_pika.robust_connection": frozenset(
        {
            "Connection to %s closed. Reconnecting after %r seconds.",
            'Connection attempt to "%s" failed: %s. Reconnecting after %r seconds.',
        }
    ),
    # Each channel's close callback fails as its connection has gone.
    "aio_pika.tools": frozenset({"Callback %r error: %s: %s"}),
}


class _OutageChatter(logging.Filter):
    """Drop the AMQP client's own lines about a lost connection, unless the level is DEBUG."""

    def __init__(self, formats: frozenset[str]) -> None:
        super().__init__()
        self._formats = formats

    def filter(self, record: logging.LogRecord) -> bool:
        if logging.getLogger().isEnabledFor(logging.DEBUG) or record.msg not in self._formats:
            return True
        if record.name == "aio_pika.tools":
            # Only a channel's own close callback, which fails as its connection has gone.
            args = record.args if isinstance(record.args, tuple) else ()
            callback = getattr(args[0], "callback", None) if args else None
            return getattr(callback, "__qualname__", "") != "RobustChannel._on_close"
        return False


def quiet_client_logs() -> None:
    """Leave out the AMQP client's lines about a lost connection (once per logger)."""
    for name, formats in _OUTAGE_CHATTER.items():
        logger = logging.getLogger(name)
        if not any(isinstance(f, _OutageChatter) for f in logger.filters):
            logger.addFilter(_OutageChatter(formats))


class BrokerOutage:
    """Logs a robust connection's loss once, and its return once."""

    def __init__(self, where: str, reconnect_interval: float) -> None:
        self._where = where  # the URL without its password
        self._interval = reconnect_interval
        self._lost_at: float | None = None
        self.stopping = False
        # Called once the connection is back: the outbox relay publishes what waited then.
        self.reconnected: list[Callable[[], None]] = []

    def watch(self, connection: AbstractRobustConnection) -> None:
        """Follow a connection: its unexpected close and its reconnection."""
        connection.close_callbacks.add(self._closed)
        connection.reconnect_callbacks.add(self._reconnected)

    def _closed(self, _sender: Any, exc: BaseException | None = None) -> None:
        if self.stopping or self._lost_at is not None:
            return
        self._lost_at = time.monotonic()
        reason = f" ({type(exc).__name__}: {str(exc)[:200]})" if exc else ""
        log.error(
            "bus: lost the connection to RabbitMQ at %s%s; events wait in the outbox and are "
            "published once it answers; reconnecting every %g s",
            self._where,
            reason,
            self._interval,
        )

    def _reconnected(self, _sender: Any) -> None:
        for callback in self.reconnected:
            callback()
        if self._lost_at is None:
            return
        away = time.monotonic() - self._lost_at
        self._lost_at = None
        log.warning(
            "bus: RabbitMQ at %s answers again after %.0f s; publishing and consuming resume",
            self._where,
            away,
        )
