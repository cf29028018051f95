"""Statements of pushed changes: the idempotency key, the watched source a push names, a check.

The key's row and the change's outbox row are written in one transaction, so a push is sent
once or not at all. Two requests with one key racing: the loser's INSERT waits on the unique
index until the winner commits, then does nothing, and it reads the winner's row.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.watcher.adapters.held_pushes import decoded, encoded
from services.watcher.adapters.tables import PublisherKey, WatchedSource
from services.watcher.domain.push import WatchedMatch, source_named
from services.watcher.domain.told import HELD_LIMIT, WINDOW, Kept, holds, kept
from shared.db import rowcount
from shared.events import ContentChanged
from shared.vocabulary import SourceKind


@dataclass(frozen=True, slots=True)
class KeyUse:
    """What a key stands for: the change it sent, and whether this request sent it."""

    event_id: uuid.UUID
    body_hash: str
    first: bool


async def use_key(
    session: AsyncSession,
    key: str,
    body_hash: str,
    event_id: uuid.UUID,
    publisher: str,
    now: datetime,
) -> KeyUse:
    """Record a publisher's key for a new change, or return what it was first used for."""
    upsert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    inserted = await session.execute(
        upsert(PublisherKey)
        .values(
            idempotency_key=key,
            body_hash=body_hash,
            event_id=event_id,
            publisher=publisher,
            received_at=now,
        )
        .on_conflict_do_nothing(index_elements=["publisher", "idempotency_key"])
        .returning(PublisherKey.id)
    )
    if inserted.first() is not None:
        return KeyUse(event_id, body_hash, first=True)
    row = (
        await session.execute(
            select(PublisherKey.event_id, PublisherKey.body_hash).where(
                PublisherKey.publisher == publisher, PublisherKey.idempotency_key == key
            )
        )
    ).one()
    return KeyUse(row.event_id, row.body_hash, first=False)


async def watched_source_at(session: AsyncSession, url: str) -> WatchedMatch | None:
    """Return the watched source whose page an address names, if varsel watches it.

    The address as the catalogue spells it is one indexed read; any other spelling (``HTTP://``,
    a trailing slash, a fragment, trackers) is compared with every source's page in Python.
    The sources are hundreds at most, and a miss here mails a review source's change unseen.
    """
    columns = (WatchedSource.id, WatchedSource.url, WatchedSource.kind)
    row = (await session.execute(select(*columns).where(WatchedSource.url == url))).first()
    if row is not None:
        return WatchedMatch(row.id, row.url, SourceKind(row.kind))
    rows = (await session.execute(select(*columns).order_by(WatchedSource.id))).all()
    return source_named(url, (WatchedMatch(r.id, r.url, SourceKind(r.kind)) for r in rows))


@dataclass(frozen=True, slots=True)
class Marked:
    """What a push did to its source's row: held, and what its limit did (told.kept)."""

    held: bool
    joined_with: ContentChanged | None = None  # the held push it was joined with
    freed: ContentChanged | None = None  # a held minor push to send now, to free a place
    full: bool = False  # the row held told.HELD_LIMIT pushes already


async def mark_told(
    session: AsyncSession, source_id: int, change: ContentChanged, now: datetime
) -> Marked:
    """Mark a source's next new text as told by a push, and make the source due now.

    The push is held until a poll reads the page when it came within the hour after a change
    was told (it may repeat that one), past the row's limit joined with one held or, minor with
    only real edits held, sent now (told.kept); otherwise it is to be sent now. A second push
    renews the mark; see domain/told.py for why it lapses.
    """
    # Read under the row's lock (on SQLite, the key's INSERT took the write lock already), so
    # two pushes at once both land in the list and a poll takes only what it read.
    row = (
        await session.execute(
            select(WatchedSource.last_changed_at, WatchedSource.held_pushes)
            .where(WatchedSource.id == source_id, WatchedSource.active.is_(True))
            .with_for_update()
        )
    ).first()
    if row is None:
        return Marked(held=False)
    held = decoded(row.held_pushes)
    hold = holds(row.last_changed_at, bool(held), now)
    taken = kept(held, change) if hold else Kept(held)
    await session.execute(
        update(WatchedSource)
        .where(WatchedSource.id == source_id)
        .values(
            told_until=now + WINDOW,
            next_check_at=case(
                (WatchedSource.next_check_at > now, now), else_=WatchedSource.next_check_at
            ),
            held_pushes=encoded(taken.held) if hold else WatchedSource.held_pushes,
        )
    )
    freed = taken.sent if taken.sent is not change else None
    full = hold and len(held) >= HELD_LIMIT
    return Marked(hold and taken.sent is not change, taken.joined_with, freed, full)


async def check_now(session: AsyncSession, source_id: int, now: datetime) -> bool | None:
    """Make a source due now; tell whether it is polled (None: no such source)."""
    made_due = await session.execute(
        update(WatchedSource)
        .where(WatchedSource.id == source_id, WatchedSource.active.is_(True))
        .values(next_check_at=now)
    )
    if rowcount(made_due):
        return True
    exists = await session.scalar(select(WatchedSource.id).where(WatchedSource.id == source_id))
    return None if exists is None else False


async def purge_older(session: AsyncSession, before: datetime) -> int:
    """Forget keys received before a moment; a retry after that would send again."""
    result = await session.execute(delete(PublisherKey).where(PublisherKey.received_at < before))
    return rowcount(result)
