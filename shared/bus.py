"""One event-bus interface; the in-process implementation for the embedded mode."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.events import Event
from shared.inbox import claim
from shared.logs import event_context

log = logging.getLogger(__name__)

Handler = Callable[[Any, AsyncSession], Awaitable[None]]
AfterCommit = Callable[[], Awaitable[None]]

_AFTER_COMMIT: Final = "varsel.after_commit"  # the key of a session's steps in ``session.info``


@dataclass(frozen=True, slots=True)
class Subscription:
    """A named consumer's handler for one event type."""

    consumer: str
    event_type: type[Event]
    handler: Handler


class EventBus(Protocol):
    """Publishes events and delivers them to subscribed consumers."""

    def subscribe(self, consumer: str, event_type: type[Event], handler: Handler) -> None:
        """Register ``handler`` as ``consumer`` for ``event_type``."""

    def takes(self, event_type: str) -> bool:
        """Tell whether publishing an event of this type (its ``type_name``) reaches anyone."""

    async def publish(self, event: Event) -> None:
        """Deliver an event (at least once); raise if it could not be handed over."""

    def when_reconnected(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` each time the bus's lost connection comes back (never, if it has
        none to lose)."""

    async def start(self) -> None:
        """Connect and start consuming."""

    async def stop(self, within: float | None = None) -> None:
        """Stop consuming and disconnect, within ``within`` seconds (None: the bus's own bound)."""

    async def dead_letter_count(self) -> int | None:
        """Count the messages consumers gave up on, or None if this bus keeps none."""


def after_commit(session: AsyncSession, step: AfterCommit) -> None:
    """Run ``step`` once the handler's transaction has committed, and never if it rolls back.

    For work that needs the commit done and cannot be part of it: scrubbing what an erasure
    deleted from the database file only works on pages already written.
    """
    session.info.setdefault(_AFTER_COMMIT, []).append(step)


async def handle_once(
    sessions: async_sessionmaker[AsyncSession], subscription: Subscription, event: Event
) -> bool:
    """Run a handler in its own transaction unless this consumer already handled the event.

    Returns True if the handler ran. The inbox row and the handler's effects (including any
    events it records in the outbox) commit together; then the steps it left with
    ``after_commit`` run.
    """
    with event_context(event.event_id, event.type_name()):
        return await _handle_once(sessions, subscription, event)


async def _handle_once(
    sessions: async_sessionmaker[AsyncSession], subscription: Subscription, event: Event
) -> bool:
    try:
        async with sessions() as session:
            async with session.begin():
                if not await claim(
                    session, subscription.consumer, str(event.event_id), datetime.now(UTC)
                ):
                    return False
                await subscription.handler(event, session)
            await _run_after_commit(session)
            return True
    except IntegrityError:
        # A concurrent replica committed the same event first: its effects stand.
        log.info(
            "bus: %s already handled event %s elsewhere", subscription.consumer, event.event_id
        )
        return False


async def _run_after_commit(session: AsyncSession) -> None:
    for step in session.info.pop(_AFTER_COMMIT, []):
        try:
            await step()
        except Exception:
            # The event's work has committed and stands: failing it now would only have it
            # delivered again to an inbox that skips it.
            log.exception("bus: a step after the commit failed")


class InProcessBus:
    """Dispatch events to handlers in this process (embedded mode)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._subscriptions: dict[type[Event], list[Subscription]] = defaultdict(list)
        self._taken: set[str] = set()

    def subscribe(self, consumer: str, event_type: type[Event], handler: Handler) -> None:
        """Register ``handler`` as ``consumer`` for ``event_type``."""
        self._subscriptions[event_type].append(Subscription(consumer, event_type, handler))
        self._taken.add(event_type.type_name())

    def when_reconnected(self, callback: Callable[[], None]) -> None:
        """Never call ``callback``: handlers run in this process, so no connection is lost."""

    def takes(self, event_type: str) -> bool:
        """Tell whether a handler in this process is subscribed to this type of event."""
        return event_type in self._taken

    async def publish(self, event: Event) -> None:
        """Run every subscribed handler; raise after all ran if any failed, so the relay retries."""
        with event_context(event.event_id, event.type_name()):
            await self._dispatch(event)

    async def _dispatch(self, event: Event) -> None:
        failures: list[BaseException] = []
        for subscription in self._subscriptions.get(type(event), []):
            try:
                await handle_once(self._sessions, subscription, event)
            except Exception as exc:
                log.exception(
                    "bus: %s failed on %s %s",
                    subscription.consumer,
                    event.type_name(),
                    event.event_id,
                )
                failures.append(exc)
        if failures:
            raise RuntimeError(f"{len(failures)} handler(s) failed for event {event.event_id}")

    async def start(self) -> None:
        """Nothing to connect in process."""

    async def stop(self, within: float | None = None) -> None:
        """Nothing to disconnect in process."""

    async def dead_letter_count(self) -> int | None:
        """Return None: a failed event stays in the outbox and is retried, never dead-lettered."""
        return None
