"""The subscriptions stores in memory, for unit tests of the handlers' rules.

Each store behaves as its SQL twin in ``services/subscriptions/adapters/`` does, as far as the
rules can tell: ``tests/integration/subscriptions/test_subscriptions_stores.py`` runs the same
checks against both. A unit of work snapshots the data when it begins and puts the snapshot
back unless it committed, so a rolled-back command leaves nothing behind here either.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import TracebackType
from typing import Self, TypeVar

from services.subscriptions.domain.model import ConsentEntry, SignupRequest, Subscriber
from services.subscriptions.domain.privacy import PrivacyNotice
from services.subscriptions.domain.vocabulary import UnsubscribeRoute
from services.subscriptions.unit_of_work import NewPerson, Stored
from shared.events import Event
from shared.vocabulary import Language
from shared.web.rate_limit import Limit

E = TypeVar("E", bound=Event)


@dataclass
class SubscriptionRow:
    """One person's alerts about one topic."""

    subscriber_id: uuid.UUID
    topic: str
    started_at: datetime
    ended_at: datetime | None = None
    ended_reason: UnsubscribeRoute | None = None


@dataclass
class Data:
    """Everything the subscriptions service stores, and the events it recorded."""

    subscribers: dict[uuid.UUID, Subscriber] = field(default_factory=dict)
    requests: dict[uuid.UUID, SignupRequest] = field(default_factory=dict)
    subscriptions: list[SubscriptionRow] = field(default_factory=list)
    ledger: list[ConsentEntry] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)
    outbox: list[Event] = field(default_factory=list)
    # The privacy notices published, by version and language.
    notices: dict[tuple[str, str], PrivacyNotice] = field(default_factory=dict)

    def events(self, kind: type[E]) -> list[E]:
        """Return the recorded events of one type, oldest first."""
        return [e for e in self.outbox if isinstance(e, kind)]


class FakeSubscribers:
    """People in memory."""

    def __init__(self, data: Data) -> None:
        self._data = data

    async def get(self, subscriber_id: uuid.UUID, *, lock: bool = False) -> Subscriber | None:
        return self._data.subscribers.get(subscriber_id)

    async def by_address(self, address: str, *, lock: bool = False) -> Subscriber | None:
        return next((s for s in self._data.subscribers.values() if s.email == address), None)

    async def save(self, subscriber: Subscriber) -> None:
        stored = self._data.subscribers[subscriber.id]
        # Only these columns change after the row is written, as in the SQL statement.
        self._data.subscribers[subscriber.id] = replace(
            stored,
            status=subscriber.status,
            frequency=subscriber.frequency,
            language=subscriber.language,
            confirmed_at=subscriber.confirmed_at,
            hard_bounces=subscriber.hard_bounces,
        )

    async def remove(self, subscriber_id: uuid.UUID) -> bool:
        # As ON DELETE CASCADE does: requests and subscriptions go with the person.
        data = self._data
        if data.subscribers.pop(subscriber_id, None) is None:
            return False
        data.requests = {k: r for k, r in data.requests.items() if r.subscriber_id != subscriber_id}
        data.subscriptions = [s for s in data.subscriptions if s.subscriber_id != subscriber_id]
        return True


class FakeSignupRequests:
    """Pending sign-ups in memory."""

    def __init__(self, data: Data) -> None:
        self._data = data

    async def get(self, request_id: uuid.UUID) -> SignupRequest | None:
        return self._data.requests.get(request_id)

    async def add(self, request: SignupRequest) -> None:
        self._data.requests[request.id] = request

    async def mark_confirmed(self, request_id: uuid.UUID, at: datetime) -> bool:
        request = self._data.requests[request_id]
        if request.confirmed_at is not None:
            return False
        self._data.requests[request_id] = replace(request, confirmed_at=at)
        return True


class FakeSubscriptions:
    """Subscriptions in memory."""

    def __init__(self, data: Data) -> None:
        self._data = data

    async def open(self, subscriber_id: uuid.UUID) -> set[str]:
        return {
            s.topic
            for s in self._data.subscriptions
            if s.subscriber_id == subscriber_id and s.ended_at is None
        }

    async def start(self, subscriber_id: uuid.UUID, topics: Collection[str], at: datetime) -> None:
        self._data.subscriptions.extend(SubscriptionRow(subscriber_id, t, at) for t in topics)

    async def end(
        self,
        subscriber_id: uuid.UUID,
        topics: Collection[str],
        at: datetime,
        reason: UnsubscribeRoute,
    ) -> frozenset[str]:
        ended = set()
        for row in self._data.subscriptions:
            if row.subscriber_id == subscriber_id and row.ended_at is None and row.topic in topics:
                row.ended_at, row.ended_reason = at, reason
                ended.add(row.topic)
        return frozenset(ended)


class FakeConsentLedger:
    """The consent ledger in memory."""

    def __init__(self, data: Data) -> None:
        self._data = data

    async def append(self, entry: ConsentEntry) -> None:
        self._data.ledger.append(entry)


class FakePublishedNotices:
    """The published privacy notices in memory."""

    def __init__(self, data: Data) -> None:
        self._data = data

    async def get(self, version: str, language: Language) -> PrivacyNotice | None:
        return self._data.notices.get((version, language.value))


class FakeRateLimits:
    """Request counters in memory, in one everlasting window."""

    def __init__(self, data: Data) -> None:
        self._data = data

    async def allow_all(self, limits: list[Limit], now: datetime) -> bool:
        counters = self._data.counters
        for key, _, _ in limits:
            counters[key] = counters.get(key, 0) + 1
        return all(counters[key] <= most for key, most, _ in limits)

    async def reached_until(self, limits: list[Limit], now: datetime) -> datetime:
        return now + max(window for _, _, window in limits)


class FakeUnitOfWork:
    """One transaction over ``Data``: kept on commit, undone otherwise."""

    def __init__(self, data: Data) -> None:
        self.data = data
        self._snapshot: Data | None = None
        self._committed = False

    async def add_new_person(self, new: NewPerson) -> Stored:
        # As the databases do: a known address is counted and kept as a new one is, its
        # request and event naming the person who has the address.
        assert self._snapshot is None, "a new person's sign-up is a transaction of its own"
        known = await self.subscribers.by_address(new.subscriber.email)
        counters = dict(self.data.counters)
        if not await self.limits.allow_all(new.limits, new.now):
            self.data.counters = counters
            return Stored.OVER_LIMIT
        request, event = new.request, new.event
        if known is None:
            self.data.subscribers[new.subscriber.id] = new.subscriber
        else:
            request = replace(request, subscriber_id=known.id)
            event = event.model_copy(update={"subscriber_id": known.id})
        self.data.requests[request.id] = request
        self.data.ledger.append(new.entry)
        self.data.outbox.append(event)
        return Stored.KEPT

    @property
    def subscribers(self) -> FakeSubscribers:
        return FakeSubscribers(self.data)

    @property
    def requests(self) -> FakeSignupRequests:
        return FakeSignupRequests(self.data)

    @property
    def subscriptions(self) -> FakeSubscriptions:
        return FakeSubscriptions(self.data)

    @property
    def ledger(self) -> FakeConsentLedger:
        return FakeConsentLedger(self.data)

    @property
    def notices(self) -> FakePublishedNotices:
        return FakePublishedNotices(self.data)

    @property
    def limits(self) -> FakeRateLimits:
        return FakeRateLimits(self.data)

    async def record(self, *events: Event) -> None:
        self.data.outbox.extend(events)

    async def record_if(self, keep: bool, event: Event) -> None:
        if keep:
            self.data.outbox.append(event)

    async def commit(self) -> None:
        self._committed = True

    async def __aenter__(self) -> Self:
        assert self._snapshot is None, "a unit of work is one transaction at a time"
        self._snapshot = copy.deepcopy(self.data)
        self._committed = False
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._snapshot is not None
        if not self._committed:
            snapshot = self._snapshot
            for name in vars(snapshot):
                setattr(self.data, name, getattr(snapshot, name))
        self._snapshot = None
