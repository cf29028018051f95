"""The seam between the subscriptions rules and their storage: a unit of work and its stores.

Handlers see only these protocols. ``adapters/unit_of_work.py`` implements them on the
database; the unit tests implement them in memory. One unit of work is one transaction: what a
handler writes through it is kept only if it commits, and the events it records go out (through
the outbox) only then.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from enum import Enum
from types import TracebackType
from typing import NamedTuple, Protocol, Self

from services.subscriptions.domain.model import ConsentEntry, SignupRequest, Subscriber
from services.subscriptions.domain.privacy import PrivacyNotice
from services.subscriptions.domain.vocabulary import UnsubscribeRoute
from shared.events import Event
from shared.vocabulary import Language
from shared.web.rate_limit import Limit


class TryAgain(Exception):
    """A concurrent change (or a dropped connection) spoiled this transaction; run it again."""


class Stored(Enum):
    """What became of a sign-up given to ``UnitOfWork.add_new_person``."""

    KEPT = "kept"  # its rows and counts are stored
    OVER_LIMIT = "over limit"  # nothing is kept, not even the counts


class NewPerson(NamedTuple):
    """A sign-up to store as a new person's: their row, first request, ledger entry and event,
    and the limits it counts against, at ``now``."""

    subscriber: Subscriber
    request: SignupRequest
    entry: ConsentEntry
    event: Event
    limits: list[Limit]
    now: datetime


class Subscribers(Protocol):
    """People, by id or address."""

    async def get(self, subscriber_id: uuid.UUID, *, lock: bool = False) -> Subscriber | None:
        """Return a person (``lock``: hold them until the transaction ends)."""

    async def by_address(self, address: str, *, lock: bool = False) -> Subscriber | None:
        """Return the person with a normalised address."""

    async def save(self, subscriber: Subscriber) -> None:
        """Store a person's status, frequency, language, confirmation and bounce count."""

    async def remove(self, subscriber_id: uuid.UUID) -> bool:
        """Delete a person and, with them, their address, requests and subscriptions; tell
        whether they were still there (False: another request erased them first)."""


class SignupRequests(Protocol):
    """Sign-ups waiting for their confirmation; each stays as it was made."""

    async def get(self, request_id: uuid.UUID) -> SignupRequest | None:
        """Return a request by id."""

    async def add(self, request: SignupRequest) -> None:
        """Store a new request."""

    async def mark_confirmed(self, request_id: uuid.UUID, at: datetime) -> bool:
        """Record when a request was confirmed, unless it already was; tell whether this call
        did (False: another request confirmed it first). Nothing else about it ever changes."""


class Subscriptions(Protocol):
    """Which topics each person gets alerts about; ended, never deleted."""

    async def open(self, subscriber_id: uuid.UUID) -> set[str]:
        """Return the topics a person gets alerts about now."""

    async def start(self, subscriber_id: uuid.UUID, topics: Collection[str], at: datetime) -> None:
        """Start alerts about topics."""

    async def end(
        self,
        subscriber_id: uuid.UUID,
        topics: Collection[str],
        at: datetime,
        reason: UnsubscribeRoute,
    ) -> frozenset[str]:
        """End alerts about topics that are still open, keeping when and why; return those this
        call ended (another request may have ended the rest first)."""


class ConsentLedger(Protocol):
    """The append-only history of consent."""

    async def append(self, entry: ConsentEntry) -> None:
        """Add one entry."""


class PublishedNotices(Protocol):
    """Every privacy notice the service has published, stored by version and language."""

    async def get(self, version: str, language: Language) -> PrivacyNotice | None:
        """Return a published notice; None if no such version was published in that language."""


class RateLimits(Protocol):
    """Request counters shared by every replica."""

    async def allow_all(self, limits: list[Limit], now: datetime) -> bool:
        """Count one request against each limit, in its window; tell whether all hold."""

    async def reached_until(self, limits: list[Limit], now: datetime) -> datetime:
        """Return when a request refused over ``limits`` may come again (the Retry-After)."""


class UnitOfWork(Protocol):
    """One transaction over the subscriptions stores; ``async with`` it, then ``commit``."""

    async def add_new_person(self, new: NewPerson) -> Stored:
        """Store a sign-up: a new person with their first request, ledger entry and event, or
        that request, entry and event for the person who has the address already, and count
        it against each of its limits as ``RateLimits.allow_all`` does, all in a transaction of
        its own (call it outside ``async with``).

        A limit reached keeps nothing, not even the counts. A known address costs the same as a
        new one (one statement on PostgreSQL, one transaction on SQLite: the time of the answer
        must not tell them apart), and its person stays as they are: only the new request,
        entry and event name them. ``TryAgain`` if a concurrent change spoiled it.
        """

    @property
    def subscribers(self) -> Subscribers:
        """Return the people."""

    @property
    def requests(self) -> SignupRequests:
        """Return the pending sign-ups."""

    @property
    def subscriptions(self) -> Subscriptions:
        """Return the subscriptions."""

    @property
    def ledger(self) -> ConsentLedger:
        """Return the consent ledger."""

    @property
    def notices(self) -> PublishedNotices:
        """Return the privacy notices published: the ones in force and every one before them."""

    @property
    def limits(self) -> RateLimits:
        """Return the rate-limit counters."""

    async def record(self, *events: Event) -> None:
        """Record events to go out once the transaction commits."""

    async def record_if(self, keep: bool, event: Event) -> None:
        """Record an event only if ``keep``, doing the same work either way, so that the time
        taken does not tell whether it was kept."""

    async def commit(self) -> None:
        """Keep what was written; leaving without it throws everything away."""

    async def __aenter__(self) -> Self:
        """Begin the transaction."""

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """End the transaction; roll back unless committed."""
