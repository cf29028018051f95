"""Statements on the digest cursors (``mail_digest_cursors``): how far each person was told.

A person without a row was told nothing from the release log yet; their topics' start times
bound what they are owed (docs/decisions/0016). The row is also the person's lock: see ``hold``.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.mailer.adapters.tables import DigestCursor


async def told_through(
    session: AsyncSession, subscriber_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """Return each person's place in the release log; people without one are missing."""
    if not subscriber_ids:
        return {}
    rows = await session.execute(
        select(DigestCursor.subscriber_id, DigestCursor.told_through).where(
            DigestCursor.subscriber_id.in_(list(subscriber_ids))
        )
    )
    return {s: int(t) for s, t in rows.all()}


def _upsert(session: AsyncSession) -> Callable[..., Any]:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


async def hold(session: AsyncSession, subscriber_id: uuid.UUID) -> int:
    """Lock a person's place for the rest of the transaction and return it (0: told nothing).

    Whatever decides which mail tells a person's changes takes this lock first: a switch of
    rhythm, a digest that did not go out handing its changes on, an unsubscribe or erasure,
    and a run moving the place (``advance``). So for each person they happen one after the
    other, each seeing what the one before committed. A person without a place gets one at 0,
    which reads the same as none.
    """
    statement = _upsert(session)(DigestCursor).values(subscriber_id=subscriber_id, told_through=0)
    await session.execute(statement.on_conflict_do_nothing(index_elements=["subscriber_id"]))
    place = await session.scalar(
        select(DigestCursor.told_through)
        .where(DigestCursor.subscriber_id == subscriber_id)
        .with_for_update()
    )
    return int(place or 0)


async def advance(
    session: AsyncSession, places: Mapping[uuid.UUID, int], to: int
) -> set[uuid.UUID]:
    """Move people from the place they were read at to ``to``; return those moved.

    Compare and set: a person someone else moved meanwhile (a switch of rhythm, a run of the
    other rhythm, an erasure) keeps the place that transaction gave them, and is left out.
    """
    if not places:
        return set()
    # Lock the rows there are in id order first, as a sender's record of outcomes does: taken
    # group by group below, two transactions could each hold a row the other waits for.
    await session.execute(
        select(DigestCursor.subscriber_id)
        .where(DigestCursor.subscriber_id.in_(list(places)))
        .order_by(DigestCursor.subscriber_id)
        .with_for_update()
    )
    by_place: dict[int, list[uuid.UUID]] = defaultdict(list)
    for person, place in places.items():
        by_place[place].append(person)
    moved: set[uuid.UUID] = set()
    for place, people in by_place.items():
        if place == 0:  # no row reads as 0, so either may be found
            statement = _upsert(session)(DigestCursor)
            found = await session.execute(
                statement.on_conflict_do_update(
                    index_elements=["subscriber_id"],
                    set_={"told_through": statement.excluded.told_through},
                    where=DigestCursor.told_through == 0,
                ).returning(DigestCursor.subscriber_id),
                [{"subscriber_id": s, "told_through": to} for s in people],
            )
        else:
            found = await session.execute(
                update(DigestCursor)
                .where(DigestCursor.subscriber_id.in_(people), DigestCursor.told_through == place)
                .values(told_through=to)
                .returning(DigestCursor.subscriber_id)
                .execution_options(synchronize_session=False)
            )
        moved.update(found.scalars().all())
    return moved


async def move_to(session: AsyncSession, subscriber_ids: Collection[uuid.UUID], seq: int) -> None:
    """Set people's place in the release log."""
    if not subscriber_ids:
        return
    statement = _upsert(session)(DigestCursor)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["subscriber_id"],
            set_={"told_through": statement.excluded.told_through},
        ),
        [{"subscriber_id": s, "told_through": seq} for s in subscriber_ids],
    )


async def forget(session: AsyncSession, subscriber_id: uuid.UUID) -> None:
    """Delete an erased person's place."""
    await session.execute(delete(DigestCursor).where(DigestCursor.subscriber_id == subscriber_id))
