"""Confirmed subscribers, a change and a bulletin, inserted straight into the database for
tests at scale.

Signing up thousands of people through the pages would test the pages, not what the test is
about; these rows are the same ones a confirmed sign-up leaves behind.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.subscriptions.adapters.tables import Subscriber, Subscription
from shared.events import BulletinPublished, ContentChanged
from shared.outbox import record
from shared.vocabulary import ChangeProducer

TOPIC = "norge-i-verden"
CHUNK = 5000


def address(n: int) -> str:
    """Return the n-th seeded person's address."""
    return f"person{n}@example.org"


async def insert_immediate_subscribers(
    sessions: async_sessionmaker[AsyncSession], people: int, topic: str = TOPIC
) -> None:
    """Insert ``people`` confirmed immediate subscribers of one topic, in chunks."""
    await insert_subscribers(sessions, people, (topic,), "immediate")


async def insert_subscribers(
    sessions: async_sessionmaker[AsyncSession],
    people: int,
    topics: tuple[str, ...],
    frequency: str,
    *,
    first: int = 0,
) -> None:
    """Insert confirmed subscribers ``first`` .. ``first + people - 1`` of ``topics``, with one
    frequency, in chunks."""
    now = datetime.now(UTC)
    for start in range(first, first + people, CHUNK):
        ids = [(n, uuid.uuid4()) for n in range(start, min(first + people, start + CHUNK))]
        async with sessions() as session, session.begin():
            await session.execute(
                insert(Subscriber),
                [
                    {
                        "id": i,
                        "email": address(n),
                        "language": "nb",
                        "frequency": frequency,
                        "status": "active",
                        "created_at": now,
                        "confirmed_at": now,
                        "hard_bounces": 0,
                    }
                    for n, i in ids
                ],
            )
            await session.execute(
                insert(Subscription),
                [
                    {"subscriber_id": i, "topic": topic, "started_at": now}
                    for _, i in ids
                    for topic in topics
                ],
            )


async def record_change(sessions: async_sessionmaker[AsyncSession], topic: str = TOPIC) -> None:
    """Record one change of the topic's page in the outbox, as a publisher's push would.

    Pushed, not polled: the catalogues of the tests that seed it watch no such page, and the
    mailer withdraws a poll of a source the catalogue does not hold (one removed meanwhile).
    """
    async with sessions() as session, session.begin():
        await record(
            session,
            ContentChanged(
                source_id=None,
                source_url=f"https://www.fhi.no/{topic}/",
                kind="page",
                topics=(topic,),
                title="Norge i verden: ny rapport om global helse",
                url=f"https://www.fhi.no/{topic}/",
                summary="Nytt avsnitt om Norges bidrag til global helse.",
                producer=ChangeProducer.PUBLISHER,
            ),
        )


async def record_bulletin(
    sessions: async_sessionmaker[AsyncSession], topics: tuple[str, ...], *, urgent: bool
) -> None:
    """Record one bulletin in the outbox, as an editor's send on /admin/bulletins would."""
    async with sessions() as session, session.begin():
        await record(
            session,
            BulletinPublished(
                bulletin_id=uuid.uuid4(),
                topics=topics,
                texts={
                    "nb": {"subject": "Viktig melding", "body": "Kontoret er **stengt** i dag."},
                    "en": {"subject": "Important notice", "body": "The office is **closed**."},
                },
                urgent=urgent,
                actor="redaktor",
            ),
        )
