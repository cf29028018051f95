"""The subscriptions stores behave alike in SQLite, PostgreSQL and the unit tests' memory.

The unit tests check the handlers' rules against in-memory fakes; this runs one set of checks
against every implementation, so a fake that drifts from the database fails here.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from services.subscriptions.adapters import privacy_notices, signup_rows
from services.subscriptions.adapters.unit_of_work import SqlUnitOfWork
from services.subscriptions.domain.consent import consent_entry
from services.subscriptions.domain.model import (
    ConsentEntry,
    SignupForm,
    SignupRequest,
    Subscriber,
)
from services.subscriptions.domain.signup import new_request, new_subscriber
from services.subscriptions.domain.vocabulary import (
    Channel,
    ConsentAction,
    SubscriberStatus,
    UnsubscribeRoute,
)
from services.subscriptions.unit_of_work import NewPerson, Stored, UnitOfWork
from shared.db import create_engine, session_factory
from shared.events import ManageLinkRequested, SignupRequested
from shared.outbox import OutboxRow
from shared.vocabulary import Frequency, Language
from shared.web.rate_limit import Limit
from tests.support.databases import migrated_postgres_database, migrated_sqlite
from tests.support.notices import NOTICES
from tests.unit.subscriptions.fakes import Data, FakeUnitOfWork

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
TTL = timedelta(days=7)

Units = Callable[[], UnitOfWork]


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | None]:
    """The URL of a migrated, empty database of each kind, or None for the unit tests' memory."""
    if request.param == "memory":
        yield None
    elif request.param == "sqlite":
        yield migrated_sqlite(tmp_path / "varsel.db")
    else:
        with migrated_postgres_database() as url:
            yield url


@pytest.fixture
async def units(store: str | None) -> AsyncIterator[Units]:
    """A way to get units of work on one empty store."""
    if store is None:
        data = Data()
        yield lambda: FakeUnitOfWork(data)
        return
    async with _sql_units(store) as made:
        yield made


@asynccontextmanager
async def _sql_units(database: str) -> AsyncIterator[Units]:
    engine = create_engine(database)
    try:
        sessions = session_factory(engine)
        yield lambda: SqlUnitOfWork(sessions)
    finally:
        await engine.dispose()


NOTICE = NOTICES.current("en")


def form(address: str = "kari@example.no") -> SignupForm:
    return SignupForm(address, ("b", "a"), Frequency.WEEKLY, Language.EN, "https://www.fhi.no/")


# Limits no test here reaches, unless it says.
LIMITS = [Limit("address-key", 100), Limit("client-key", 100)]


def requested(subject_hash: str, topics: tuple[str, ...] = ()) -> ConsentEntry:
    """Return the ledger entry of a sign-up on the web."""
    return consent_entry(
        subject_hash=subject_hash,
        action=ConsentAction.REQUESTED,
        topics=topics,
        channel=Channel.WEB,
        occurred_at=NOW,
        notice=NOTICE,
    )


def signup_of(address: str = "kari@example.no") -> NewPerson:
    """Return a new person's sign-up, within ``LIMITS``."""
    person = new_subscriber(form(address), subscriber_id=uuid.uuid4(), now=NOW)
    request = new_request(
        form(address),
        request_id=uuid.uuid4(),
        subscriber_id=person.id,
        now=NOW,
        ttl=TTL,
        privacy_version=NOTICE.version,
    )
    entry = requested("0" * 64, request.topics)
    event = SignupRequested(subscriber_id=person.id, request_id=request.id)
    return NewPerson(person, request, entry, event, LIMITS, NOW)


async def add(units: Units, address: str = "kari@example.no") -> tuple[Subscriber, SignupRequest]:
    """Store a new person with their first request; return both."""
    new = signup_of(address)
    assert await units().add_new_person(new) is Stored.KEPT
    return new.subscriber, new.request


async def _payloads(store: str) -> list[str]:
    """Return the text of every event in a database's outbox, oldest first."""
    engine = create_engine(store)
    try:
        async with engine.connect() as connection:
            query = select(OutboxRow.payload).order_by(OutboxRow.id)
            return list((await connection.execute(query)).scalars().all())
    finally:
        await engine.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with migrated_postgres_database() as url:
        yield url


@pytest.mark.postgres
async def test_a_limit_never_compared_refuses_the_sign_up(postgres_url: str) -> None:
    new = signup_of()
    values = signup_rows.signup_values(new)
    values["c_limits"] = [100, 100, 100]  # a third limit, of no key the statement counts
    engine = create_engine(postgres_url)
    try:
        assert await signup_rows.run_signup(engine, values) is Stored.OVER_LIMIT
    finally:
        await engine.dispose()
    async with _sql_units(postgres_url) as units, units() as uow:
        assert await uow.subscribers.get(new.subscriber.id) is None
        assert await uow.requests.get(new.request.id) is None
        assert await uow.limits.allow_all([Limit("address-key", 1)], NOW), "its count was kept"


async def test_a_person_and_request_read_back_as_stored(units: Units) -> None:
    person, request = await add(units)
    async with units() as uow:
        assert await uow.subscribers.get(person.id) == person
        assert await uow.subscribers.get(person.id, lock=True) == person
        assert await uow.subscribers.by_address("kari@example.no") == person
        assert await uow.subscribers.by_address("KARI@example.no") is None
        assert await uow.subscribers.get(uuid.uuid4()) is None
        assert await uow.requests.get(request.id) == request


async def test_a_known_address_keeps_its_person_and_gets_only_the_request(
    units: Units, store: str | None
) -> None:
    person, request = await add(units)
    other = replace(person, id=uuid.uuid4(), language="en", frequency="weekly")
    again = replace(request, id=uuid.uuid4(), subscriber_id=other.id)
    entry = requested("1" * 64)
    event = SignupRequested(subscriber_id=other.id, request_id=again.id)
    stored = await units().add_new_person(NewPerson(other, again, entry, event, LIMITS, NOW))
    # Stored as a new address's sign-up is (one statement, one transaction), its rows naming
    # the known person.
    assert stored is Stored.KEPT
    async with units() as uow:
        assert await uow.subscribers.get(other.id) is None
        assert await uow.subscribers.get(person.id) == person, "the known person changed"
        assert await uow.requests.get(again.id) == replace(again, subscriber_id=person.id)
    if store is None:
        return  # the memory keeps events, not their stored text
    payloads = await _payloads(store)
    expected = SignupRequested(
        event_id=event.event_id,
        occurred_at=event.occurred_at,
        subscriber_id=person.id,
        request_id=again.id,
    )
    assert payloads[-1] == expected.model_dump_json()


async def test_a_sign_up_and_its_counts_are_kept_only_within_limits(
    units: Units, store: str | None
) -> None:
    limits = [Limit("per-address", 1), Limit("per-client", 5)]
    person, request = await add(units)  # counted against other keys
    entry = requested("2" * 64)
    newcomer = replace(person, id=uuid.uuid4(), email="ola@example.no")
    first = replace(request, id=uuid.uuid4(), subscriber_id=newcomer.id)
    again = replace(request, id=uuid.uuid4())
    known = replace(person, id=uuid.uuid4())
    tries = (
        (newcomer, first, limits),
        (replace(newcomer, id=uuid.uuid4()), again, limits),
        (known, replace(request, id=uuid.uuid4()), [Limit("kari", 5), Limit("per-client", 5)]),
    )
    answers = []
    for who, what, counted in tries:
        event = SignupRequested(subscriber_id=who.id, request_id=what.id)
        answers.append(
            await units().add_new_person(NewPerson(who, what, entry, event, counted, NOW))
        )
    # Kept; the address's second sign-up (over 1); a known address, counted and kept as a new
    # one is.
    assert answers == [Stored.KEPT, Stored.OVER_LIMIT, Stored.KEPT]
    async with units() as uow:
        assert await uow.subscribers.get(known.id) is None
        assert await uow.requests.get(again.id) is None
        # The same counters as every other request's: the over-limit sign-up is not counted.
        assert await uow.limits.allow_all([Limit("per-client", 3)], NOW)
        assert not await uow.limits.allow_all([Limit("per-client", 3)], NOW)
        assert await uow.limits.allow_all([Limit("kari", 2)], NOW)


async def test_saving_changes_only_what_may_change(units: Units) -> None:
    person, request = await add(units)
    later = NOW + timedelta(hours=1)
    changed = replace(
        person,
        status=SubscriberStatus.ACTIVE,
        frequency=Frequency.DAILY,
        language=Language.NB,
        confirmed_at=later,
        hard_bounces=2,
    )
    async with units() as uow:
        await uow.subscribers.save(replace(changed, email="ignored@example.no"))
        await uow.requests.mark_confirmed(request.id, later)
        await uow.commit()
    async with units() as uow:
        assert await uow.subscribers.get(person.id) == changed
        assert await uow.requests.get(request.id) == replace(request, confirmed_at=later)


async def test_a_persons_requests_are_kept_apart(units: Units) -> None:
    _person, first = await add(units)
    second = replace(first, id=uuid.uuid4(), topics=("x",), created_at=NOW + timedelta(hours=1))
    async with units() as uow:
        await uow.requests.add(second)
        await uow.requests.mark_confirmed(second.id, NOW + timedelta(hours=2))
        await uow.commit()
    async with units() as uow:
        assert await uow.requests.get(first.id) == first
        assert await uow.requests.get(second.id) == replace(
            second, confirmed_at=NOW + timedelta(hours=2)
        )


async def test_subscriptions_start_and_end_with_a_reason(units: Units) -> None:
    person, _ = await add(units)
    async with units() as uow:
        await uow.subscriptions.start(person.id, ["a", "b", "c"], NOW)
        await uow.subscriptions.start(person.id, [], NOW)
        await uow.commit()
    async with units() as uow:
        assert await uow.subscriptions.open(person.id) == {"a", "b", "c"}
        await uow.subscriptions.end(person.id, {"a", "x"}, NOW, UnsubscribeRoute.ONE_CLICK)
        assert await uow.subscriptions.open(person.id) == {"b", "c"}
        await uow.subscriptions.start(person.id, ["a"], NOW)
        assert await uow.subscriptions.open(person.id) == {"a", "b", "c"}
        assert await uow.subscriptions.open(uuid.uuid4()) == set()


async def test_removing_a_person_takes_their_requests_and_subscriptions(units: Units) -> None:
    person, request = await add(units)
    neighbour, theirs = await add(units, "ola@example.no")
    async with units() as uow:
        await uow.subscriptions.start(person.id, ["a"], NOW)
        await uow.subscriptions.start(neighbour.id, ["a"], NOW)
        await uow.commit()
    async with units() as uow:
        await uow.subscribers.remove(person.id)
        await uow.commit()
    async with units() as uow:
        assert await uow.subscribers.get(person.id) is None
        assert await uow.requests.get(request.id) is None
        assert await uow.subscriptions.open(person.id) == set()
        assert await uow.requests.get(theirs.id) == theirs
        assert await uow.subscriptions.open(neighbour.id) == {"a"}


async def test_leaving_without_commit_keeps_nothing(units: Units) -> None:
    person, _ = await add(units)
    async with units() as uow:
        await uow.subscriptions.start(person.id, ["a"], NOW)
        await uow.subscribers.save(replace(person, hard_bounces=5))
    async with units() as uow:
        assert await uow.subscriptions.open(person.id) == set()
        assert await uow.subscribers.get(person.id) == person


async def test_limits_count_every_key_and_refuse_past_the_limit(units: Units) -> None:
    answers = []
    for _ in range(3):
        async with units() as uow:
            answers.append(await uow.limits.allow_all([Limit("k1", 2), Limit("k2", 5)], NOW))
            await uow.commit()
    assert answers == [True, True, False]
    async with units() as uow:
        assert not await uow.limits.allow_all([Limit("k2", 3)], NOW), "k2 was counted each time"


async def test_an_event_recorded_if_kept_is_kept_only_then(units: Units, store: str | None) -> None:
    kept, dropped = (ManageLinkRequested(subscriber_id=uuid.uuid4()) for _ in range(2))
    async with units() as uow:
        await uow.record_if(True, kept)
        await uow.record_if(False, dropped)
        await uow.commit()
    if store is None:
        assert isinstance(uow, FakeUnitOfWork)
        assert uow.data.outbox == [kept]
        return
    payloads = await _payloads(store)
    assert kept.model_dump_json() in payloads
    assert dropped.model_dump_json() not in payloads


async def test_a_published_notice_reads_back_by_version_and_language(
    units: Units, store: str | None
) -> None:
    notice = NOTICES.current(Language.NN)
    if store is None:
        fake = units()
        assert isinstance(fake, FakeUnitOfWork)
        fake.data.notices[(notice.version, notice.language)] = notice
    else:
        engine = create_engine(store)
        try:
            await privacy_notices.record(session_factory(engine), [notice], NOW)
        finally:
            await engine.dispose()
    async with units() as uow:
        assert await uow.notices.get(notice.version, Language.NN) == notice
        # Another language's, a version never published, one longer than any: none.
        assert await uow.notices.get(notice.version, Language.EN) is None
        assert await uow.notices.get("1999-01-01.000000000000", Language.NN) is None
        assert await uow.notices.get("9" * 41, Language.NN) is None
