"""The EventBus on RabbitMQ (distributed mode): durable topic exchange, one quorum queue a consumer.

Topology, for a namespace ``varsel`` (the default):

- ``varsel.events``: durable topic exchange; routing key = the event's contract name.
- ``varsel.<consumer>``: durable quorum queue per consumer, bound with the contract names it
  handles. Replicas of one consumer share it (competing consumers).
- ``varsel.dead``: direct exchange; ``varsel.<consumer>.dead`` holds what that consumer gave up on.
- ``varsel.unrouted``: the alternate exchange of ``varsel.events``; its queue of the same name
  keeps (up to 100,000, oldest dropped first) the events no consumer queue was bound for.

Publishing waits for the broker's confirm, so the outbox marks an event published only once
RabbitMQ holds it.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any, Final

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)
from aio_pika.connection import make_url
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.broker_outage import BrokerOutage, quiet_client_logs
from shared.broker_reach import redact
from shared.bus import Handler, Subscription, handle_once
from shared.events import Event, decode_event
from shared.logs import event_context

log = logging.getLogger(__name__)


# Every consumer of the product, so any replica (the admin side too) counts every dead letter.
KNOWN_CONSUMERS: tuple[str, ...] = ("mailer", "subscriptions", "admin", "catalogue")
# A broker that answers does so in milliseconds: stopping with no time left, it still gets this.
ANSWER_AT_LEAST_SECONDS: Final = 0.5
# aiormq's line for each call to the broker cut short; at stop the bus says why, once.
_CUT_SHORT: Final = "Closing channel %r because RPC call %s cancelled"


class _CutShortAtStop(logging.Filter):
    """Drop aiormq's line for a call cut short, unless the level is DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg != _CUT_SHORT or logging.getLogger().isEnabledFor(logging.DEBUG)


class BrokerUnavailable(RuntimeError):
    """RabbitMQ could not be reached."""


class RabbitMqBus:
    """Publish events to RabbitMQ with confirms and consume them with manual acks."""

    def __init__(
        self,
        url: str,
        sessions: async_sessionmaker[AsyncSession],
        *,
        namespace: str = "varsel",
        prefetch: int = 50,
        max_redeliveries: int = 5,
        retry_delay: float = 1.0,
        connect_timeout: float = 10.0,
        publish_timeout: float = 10.0,
        stop_grace: float = 30.0,
        stop_answer_timeout: float = 5.0,
        reconnect_interval: float = 5.0,
    ) -> None:
        self._url = url
        self._sessions = sessions
        self._namespace = namespace
        self._prefetch = prefetch
        self._max_redeliveries = max_redeliveries
        self._retry_delay = retry_delay
        self._connect_timeout = connect_timeout
        self._publish_timeout = publish_timeout
        self._stop_grace = stop_grace
        # A broker that answers does so in milliseconds; aio-pika would wait for ever.
        self._stop_answer_timeout = stop_answer_timeout
        self._reconnect_interval = reconnect_interval
        self._subscriptions: dict[str, dict[str, Subscription]] = defaultdict(dict)
        self._connection: AbstractRobustConnection | None = None
        self._connect_lock = asyncio.Lock()
        self._publisher: AbstractExchange | None = None
        self._publisher_channel: AbstractChannel | None = None
        self._consuming: list[tuple[AbstractQueue, str]] = []
        self._consumer_channel: AbstractChannel | None = None
        self._in_flight: set[asyncio.Task[Any]] = set()
        self._outage = BrokerOutage(redact(url), reconnect_interval)
        quiet_client_logs()

    @property
    def exchange_name(self) -> str:
        """Name the topic exchange events are published to."""
        return f"{self._namespace}.events"

    @property
    def dead_exchange_name(self) -> str:
        """Name the exchange rejected messages are dead-lettered to."""
        return f"{self._namespace}.dead"

    @property
    def consumers(self) -> tuple[str, ...]:
        """Name the consumers subscribed on this bus."""
        return tuple(self._subscriptions)

    def queue_name(self, consumer: str) -> str:
        """Name a consumer's work queue."""
        return f"{self._namespace}.{consumer}"

    def dead_queue_name(self, consumer: str) -> str:
        """Name a consumer's dead-letter queue."""
        return f"{self._namespace}.{consumer}.dead"

    def subscribe(self, consumer: str, event_type: type[Event], handler: Handler) -> None:
        """Register ``handler`` as ``consumer`` for ``event_type`` (bound on ``start``)."""
        name = event_type.type_name()
        if name in self._subscriptions[consumer]:
            # The inbox is per consumer and event, so a second handler would silently never run.
            raise ValueError(f"{consumer!r} already has a handler for {name}")
        self._subscriptions[consumer][name] = Subscription(consumer, event_type, handler)

    async def _connect(self) -> AbstractRobustConnection:
        async with self._connect_lock:
            if self._connection is None:
                # Built here rather than by aio_pika.connect_robust so that a first connect that
                # fails or is cancelled can be closed: its reconnect task would otherwise retry
                # for ever, and it swallows the cancellation that ends an event loop.
                connection = aio_pika.RobustConnection(
                    make_url(self._url), reconnect_interval=self._reconnect_interval
                )
                try:
                    await connection.connect(timeout=self._connect_timeout)
                except BaseException as exc:
                    await connection.close()
                    if not isinstance(exc, Exception):
                        raise
                    raise BrokerUnavailable(
                        f"cannot reach RabbitMQ at {redact(self._url)}: {type(exc).__name__}: {exc}"
                    ) from exc
                self._outage.stopping = False
                self._outage.watch(connection)
                self._connection = connection
            return self._connection

    async def _declare_exchange(self, channel: AbstractChannel) -> AbstractExchange:
        # Events with no consumer yet (or none at all) are kept for inspection, not returned:
        # a returned event would stay in the outbox and be retried forever.
        unrouted_name = f"{self._namespace}.unrouted"
        unrouted = await channel.declare_exchange(
            unrouted_name, aio_pika.ExchangeType.FANOUT, durable=True
        )
        queue = await channel.declare_queue(
            unrouted_name,
            durable=True,
            arguments={"x-queue-type": "quorum", "x-max-length": 100_000},
        )
        await queue.bind(unrouted)
        return await channel.declare_exchange(
            self.exchange_name,
            aio_pika.ExchangeType.TOPIC,
            durable=True,
            arguments={"alternate-exchange": unrouted_name},
        )

    async def _publisher_exchange(self) -> AbstractExchange:
        if self._publisher is not None and self._publisher_channel_closed():
            # The connection came back but the old channel is still closed (aio-pika reopens it
            # a moment later): open a fresh one rather than fail the publish.
            self._publisher = None
        if self._publisher is None:
            connection = await self._connect()
            channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
            self._publisher_channel = channel
            self._publisher = await self._declare_exchange(channel)
        return self._publisher

    def _publisher_channel_closed(self) -> bool:
        return self._publisher_channel is not None and self._publisher_channel.is_closed

    def when_reconnected(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` each time the connection to RabbitMQ comes back after a loss."""
        self._outage.reconnected.append(callback)

    def takes(self, event_type: str) -> bool:
        """Tell whether the broker takes this type of event: always (consumers live elsewhere,
        and an event no queue is bound to is kept in the unrouted queue)."""
        return True

    async def publish(self, event: Event) -> None:
        """Hand an event to RabbitMQ; return once the broker confirmed it, raise otherwise."""
        message = aio_pika.Message(
            body=event.model_dump_json().encode(),
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=str(event.event_id),
            type=event.type_name(),
            timestamp=event.occurred_at,
        )
        with event_context(event.event_id, event.type_name()):
            exchange = await self._publisher_exchange()
            await asyncio.wait_for(
                exchange.publish(message, routing_key=event.type_name(), mandatory=True),
                timeout=self._publish_timeout,
            )

    async def start(self) -> None:
        """Connect, declare the topology and consume; raise BrokerUnavailable if unreachable."""
        connection = await self._connect()
        await self._publisher_exchange()
        if not self._subscriptions:
            return
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=self._prefetch)
        self._consumer_channel = channel
        exchange = await self._declare_exchange(channel)
        dead = await channel.declare_exchange(
            self.dead_exchange_name, aio_pika.ExchangeType.DIRECT, durable=True
        )
        for consumer, subscriptions in self._subscriptions.items():
            name = self.queue_name(consumer)
            dead_queue = await channel.declare_queue(
                self.dead_queue_name(consumer), durable=True, arguments={"x-queue-type": "quorum"}
            )
            await dead_queue.bind(dead, routing_key=name)
            queue = await channel.declare_queue(
                name,
                durable=True,
                arguments={
                    # Quorum queues count deliveries (x-delivery-count) for the retry limit.
                    "x-queue-type": "quorum",
                    "x-dead-letter-exchange": self.dead_exchange_name,
                    "x-dead-letter-routing-key": name,
                },
            )
            for type_name in subscriptions:
                await queue.bind(exchange, routing_key=type_name)
            tag = await queue.consume(self._on_message_for(consumer))
            self._consuming.append((queue, tag))
            log.info("bus: %s consuming %s from %s", consumer, sorted(subscriptions), name)

    def _on_message_for(self, consumer: str) -> Any:
        async def on_message(message: AbstractIncomingMessage) -> None:
            task = asyncio.current_task()
            if task is not None:
                self._in_flight.add(task)
            try:
                await self._deliver(consumer, message)
            finally:
                if task is not None:
                    self._in_flight.discard(task)

        return on_message

    async def _deliver(self, consumer: str, message: AbstractIncomingMessage) -> None:
        type_name = message.type or message.routing_key or ""
        with event_context(message.message_id or "unknown", type_name):
            await self._decode_and_handle(consumer, type_name, message)

    async def _decode_and_handle(
        self, consumer: str, type_name: str, message: AbstractIncomingMessage
    ) -> None:
        try:
            event = decode_event(type_name, message.body)
        except (ValueError, ValidationError) as exc:
            log.error(
                "bus: %s cannot decode message %s (type %r): %s; moved to dead-letter queue %s",
                consumer,
                message.message_id,
                type_name,
                exc,
                self.dead_queue_name(consumer),
            )
            await message.reject(requeue=False)
            return
        subscription = self._subscriptions[consumer].get(type_name)
        if subscription is None:
            # A binding left from an older version of this consumer: nothing handles it now.
            log.info("bus: %s has no handler for %s; dropping it", consumer, type_name)
            await message.ack()
            return
        try:
            await handle_once(self._sessions, subscription, event)
        except Exception as exc:
            await self._failed(consumer, message, event, exc)
            return
        await message.ack()

    async def _failed(
        self, consumer: str, message: AbstractIncomingMessage, event: Event, exc: Exception
    ) -> None:
        count = (message.headers or {}).get("x-delivery-count")
        deliveries = count if isinstance(count, int) else 0
        if deliveries >= self._max_redeliveries:
            log.error(
                "bus: %s gave up on %s %s after %d attempts (%s: %s); moved to dead-letter queue "
                "%s. Fix the cause, then move it back with the RabbitMQ shovel or management UI",
                consumer,
                event.type_name(),
                event.event_id,
                deliveries + 1,
                type(exc).__name__,
                exc,
                self.dead_queue_name(consumer),
            )
            await message.reject(requeue=False)
            return
        log.warning(
            "bus: %s failed on %s %s (attempt %d of %d), will retry",
            consumer,
            event.type_name(),
            event.event_id,
            deliveries + 1,
            self._max_redeliveries + 1,
            exc_info=exc,
        )
        # Back off a little so a briefly broken dependency is not hammered in a tight loop.
        await asyncio.sleep(min(30.0, self._retry_delay * (deliveries + 1)))
        await message.nack(requeue=True)

    async def dead_letters(self, consumer: str) -> int:
        """Count the messages waiting in a consumer's dead-letter queue."""
        return await self._count(self.dead_queue_name(consumer))

    async def dead_letter_count(self) -> int | None:
        """Count the messages waiting in every known consumer's dead-letter queue."""
        consumers = sorted(set(KNOWN_CONSUMERS) | set(self._subscriptions))
        return sum([await self.dead_letters(consumer) for consumer in consumers])

    async def unrouted(self) -> int:
        """Count the events published while no consumer queue was bound for them."""
        return await self._count(f"{self._namespace}.unrouted")

    async def _count(self, queue_name: str) -> int:
        connection = await self._connect()
        channel = await connection.channel()
        try:
            queue = await channel.declare_queue(queue_name, passive=True)
            return int(queue.declaration_result.message_count or 0)
        except aio_pika.exceptions.ChannelClosed:
            return 0  # never declared: no consumer of that name has started yet
        finally:
            if not channel.is_closed:
                await channel.close()

    async def ping(self) -> bool:
        """Tell whether the broker answers now (for readiness checks)."""
        try:
            connection = await self._connect()
            channel = await asyncio.wait_for(connection.channel(), timeout=5)
            await channel.close()
        except Exception:
            return False
        return True

    async def stop(self, within: float | None = None) -> None:
        """Cancel consumers, let in-flight handlers finish and disconnect, within ``within`` s.

        ``within`` defaults to ``stop_grace``. Each answer of RabbitMQ is waited for
        ``stop_answer_timeout`` at most, and not past ``within`` (bar the moment one that
        answers takes): the connection of a broker that stopped answering is dropped, said in
        one line, rather than waited on for ever.
        """
        cut_short = _CutShortAtStop()
        channels = logging.getLogger("aiormq.channel")
        channels.addFilter(cut_short)
        try:
            await self._stop(within)
        finally:
            channels.removeFilter(cut_short)

    async def _stop(self, within: float | None) -> None:
        loop = asyncio.get_running_loop()
        began = loop.time()
        ends = began + (self._stop_grace if within is None else within)

        def answer_within() -> float:
            # What is left, but never less than a broker that answers takes, even out of time:
            # its connection is then closed as it should be, and not said to be dropped.
            left = max(ends - loop.time(), ANSWER_AT_LEAST_SECONDS)
            return min(left, self._stop_answer_timeout)

        unanswered = None
        if not await _answered_within(answer_within(), self._cancel_consumers()):
            unanswered = "the cancelling of its consumers"
        elif self._in_flight:
            # Unfinished deliveries are unacked; the broker hands them out again after close.
            await asyncio.wait(set(self._in_flight), timeout=max(0.0, ends - loop.time()))
        if self._connection is not None:
            self._outage.stopping = True  # a close of our own is no outage
            # Begun even when the broker is known to be silent: cut short, aiormq closes the
            # socket without waiting for its answer.
            closing = 0.0 if unanswered else answer_within()
            if not await _answered_within(closing, self._connection.close()):
                unanswered = unanswered or "the closing of the connection"
        if unanswered is not None:
            log.warning(
                "bus: RabbitMQ at %s did not answer %s; dropped the connection after %.1f s "
                "(what it delivered and was not acknowledged, it delivers again)",
                redact(self._url),
                unanswered,
                loop.time() - began,
            )
        self._consuming.clear()
        self._connection = None
        self._publisher = None
        self._publisher_channel = None
        self._consumer_channel = None

    async def _cancel_consumers(self) -> None:
        for queue, tag in self._consuming:
            try:
                await queue.cancel(tag)
            except Exception:
                log.warning("bus: cancelling consumer on %s failed", queue.name, exc_info=True)
        self._consuming.clear()


async def _answered_within(seconds: float, answer: Awaitable[object]) -> bool:
    """Await ``answer`` for ``seconds`` at most; tell whether it came."""
    try:
        async with asyncio.timeout(seconds):
            await answer
    except TimeoutError:
        return False
    return True
