"""A slow consumer in the embedded mode holds up only its own event: the relay waits a moment
for it, then goes on with the events behind it, and marks it published once it is done.

Before, a pass handed the events to the in-process bus one after another and waited for each:
a consumer that took long (a step after an erasure's commit that waits for SQLite's readers, a
handler waiting on a lock on PostgreSQL) held up every event after it, sign-up mails included.
Real handlers that take their time on a real bus and database, SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.bus import InProcessBus, after_commit
from shared.events import SignupRequested, SubscriberErased
from shared.outbox import OutboxRow, record
from shared.outbox_relay import OutboxRelay
from tests.integration.bus.conftest import eventually, handled_count, migrated_sessions
from tests.support.databases import migrated_postgres_database, migrated_sqlite

SLOW = 3.0  # seconds the slow consumer takes
WAIT = 0.2  # how long the relay waits for it


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database."""
    with migrated_postgres_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database of each kind the embedded mode runs on."""
    if request.param == "sqlite":
        return migrated_sqlite(tmp_path / "bus.db")
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def database(
    database_url: str,
) -> AsyncIterator[tuple[str, async_sessionmaker[AsyncSession]]]:
    """The database's kind and its sessions."""
    async with migrated_sessions(database_url) as sessions:
        yield database_url.split(":", 1)[0].split("+", 1)[0], sessions


def _slow_consumer(dialect: str, calls: list[float]) -> Callable[..., Awaitable[None]]:
    """Return an erasure's handler that takes ``SLOW`` seconds: after its commit on SQLite (a
    handler's transaction holds SQLite's one write lock, which no relay can share), in its
    transaction on PostgreSQL."""

    async def slow(event: SubscriberErased, session: AsyncSession) -> None:
        calls.append(asyncio.get_running_loop().time())
        if dialect == "sqlite":
            after_commit(session, lambda: asyncio.sleep(SLOW))
        else:
            await asyncio.sleep(SLOW)

    return slow


async def _published(sessions: async_sessionmaker[AsyncSession], event_id: uuid.UUID) -> bool:
    async with sessions() as session:
        row = await session.scalar(select(OutboxRow).where(OutboxRow.event_id == str(event_id)))
        return row is not None and row.published_at is not None


async def test_a_slow_consumer_holds_up_only_its_own_event(
    database: tuple[str, async_sessionmaker[AsyncSession]], caplog: pytest.LogCaptureFixture
) -> None:
    dialect, sessions = database
    bus = InProcessBus(sessions)
    calls: list[float] = []
    signed_up: list[float] = []

    async def quick(event: SignupRequested, session: AsyncSession) -> None:
        signed_up.append(asyncio.get_running_loop().time())

    bus.subscribe("mailer", SubscriberErased, _slow_consumer(dialect, calls))
    bus.subscribe("mailer", SignupRequested, quick)
    erased = SubscriberErased(subscriber_id=uuid.uuid4())
    signup = SignupRequested(subscriber_id=uuid.uuid4(), request_id=uuid.uuid4())
    async with sessions() as session, session.begin():
        await record(session, erased)  # the older: the relay comes to it first
        await record(session, signup)
    relay = OutboxRelay(sessions, bus, handler_wait=WAIT)
    loop = asyncio.get_running_loop()

    began = loop.time()
    assert await relay.publish_pending() == 1  # the sign-up; the erasure is still handled
    # Before, the pass waited the slow consumer out, and the sign-up after it.
    assert signed_up and signed_up[0] - began < SLOW / 2
    assert not await _published(sessions, erased.event_id)
    assert "is still being handled after 0.2s" in caplog.text
    assert await relay.publish_pending() == 0  # nor handed over again while it is handled

    await eventually(lambda: _published(sessions, erased.event_id), within=SLOW * 4)
    assert loop.time() - began >= SLOW
    assert await relay.publish_pending() == 0
    assert len(calls) == 1
    assert await handled_count(sessions, "mailer") == 2


async def test_settled_returns_once_the_late_event_is_published(
    database: tuple[str, async_sessionmaker[AsyncSession]],
) -> None:
    dialect, sessions = database
    bus = InProcessBus(sessions)
    calls: list[float] = []
    bus.subscribe("mailer", SubscriberErased, _slow_consumer(dialect, calls))
    erased = SubscriberErased(subscriber_id=uuid.uuid4())
    async with sessions() as session, session.begin():
        await record(session, erased)
    relay = OutboxRelay(sessions, bus, handler_wait=WAIT)
    loop = asyncio.get_running_loop()

    began = loop.time()
    assert await relay.publish_pending() == 0  # still being handled past the wait
    await relay.settled()
    assert loop.time() - began >= SLOW
    assert await _published(sessions, erased.event_id)
    await relay.settled()  # nothing late: returns at once
