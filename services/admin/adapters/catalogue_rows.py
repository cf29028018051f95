"""Statements on the catalogue's tables: read it whole, write a plan, its version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.admin.adapters.tables import CatalogueSource, CatalogueState, CatalogueTopic
from shared.catalogue_entries import STORED, Catalogue, Source, Topic
from shared.progress import Silent, Tracker

STATE_ID = 1


@dataclass(frozen=True, slots=True)
class Stored:
    """The catalogue in force (ended topics too), its version, the file last applied at start."""

    catalogue: Catalogue
    version: int
    start_file_hash: str | None


async def version(session: AsyncSession) -> int:
    """Return the catalogue's version (0 while nothing was ever applied)."""
    found = await session.scalar(
        select(CatalogueState.version).where(CatalogueState.id == STATE_ID)
    )
    return found or 0


async def lock_state(session: AsyncSession, now: datetime) -> None:
    """Take the state row for this transaction, creating it the first time.

    Writing it first makes concurrent applies queue behind each other (a row lock on
    PostgreSQL, the write lock on SQLite) before they read what they will change. Two first
    applies both creating the row: one fails on the primary key and its caller tries again.
    """
    touched = await session.execute(
        update(CatalogueState)
        .where(CatalogueState.id == STATE_ID)
        .values(version=CatalogueState.version)
    )
    if not getattr(touched, "rowcount", 0):
        session.add(CatalogueState(id=STATE_ID, version=0, changed_at=now))
        await session.flush()


async def source(session: AsyncSession, url: str) -> Source | None:
    """Return the source at an address as the catalogue holds it now, or None."""
    entry = await session.scalar(select(CatalogueSource.entry).where(CatalogueSource.url == url))
    return Source.model_validate(entry, context=STORED) if entry is not None else None


async def topic_slugs(session: AsyncSession) -> list[str]:
    """Return the slug of every topic the catalogue holds, ended ones too."""
    return list(
        (await session.scalars(select(CatalogueTopic.slug).order_by(CatalogueTopic.slug))).all()
    )


async def ended_at(session: AsyncSession, slug: str) -> datetime | None:
    """Return when a topic ended; None if it did not, or the catalogue never held it."""
    return await session.scalar(
        select(CatalogueTopic.retired_at).where(CatalogueTopic.slug == slug)
    )


async def ended_times(session: AsyncSession) -> dict[str, datetime]:
    """Return when each topic that has ended ended, by slug."""
    rows = await session.execute(
        select(CatalogueTopic.slug, CatalogueTopic.retired_at).where(
            CatalogueTopic.retired_at.is_not(None)
        )
    )
    return {slug: at for slug, at in rows if at is not None}


async def load(session: AsyncSession) -> Stored:
    """Read the whole catalogue (it is small: hundreds of entries at most)."""
    state = await session.get(CatalogueState, STATE_ID)
    topics = (await session.scalars(select(CatalogueTopic).order_by(CatalogueTopic.position))).all()
    sources = (
        await session.scalars(select(CatalogueSource).order_by(CatalogueSource.position))
    ).all()
    # Rows hold what the models validated when written; validating again keeps types exact
    # (STORED: by the rules of their day, so that a file or an edit can still replace them).
    # A topic left out of a file ended without saying so in its entry: the row's date says it.
    return Stored(
        catalogue=Catalogue(
            topics=tuple(
                Topic.model_validate(t.entry, context=STORED)
                for t in topics
                if t.retired_at is None
            ),
            sources=tuple(Source.model_validate(s.entry, context=STORED) for s in sources),
            ended=tuple(
                Topic.model_validate({**t.entry, "retired": True}, context=STORED)
                for t in topics
                if t.retired_at is not None
            ),
        ),
        version=state.version if state else 0,
        start_file_hash=state.start_file_hash if state else None,
    )


async def write(
    session: AsyncSession,
    wanted: Catalogue,
    now: datetime,
    *,
    bump: bool,
    start_file_hash: str | None = None,
    tracker: Tracker | None = None,
) -> int:
    """Make the rows match a validated catalogue; return the version now in force."""
    tracker = tracker or Silent()
    tracker.total(len(wanted.topics) + len(wanted.ended) + len(wanted.sources))
    topics = {t.slug: t for t in (await session.scalars(select(CatalogueTopic))).all()}
    for position, topic in enumerate((*wanted.topics, *wanted.ended)):
        tracker.advance()
        entry = topic.model_dump(mode="json")
        row = topics.pop(topic.slug, None)
        retired_at = now if topic.retired else None
        if row is None:
            session.add(
                CatalogueTopic(
                    slug=topic.slug,
                    position=position,
                    entry=entry,
                    changed_at=now,
                    retired_at=retired_at,
                )
            )
        elif (
            row.entry != entry
            or row.position != position
            or (row.retired_at is None) != (retired_at is None)
        ):
            row.entry, row.position, row.changed_at = entry, position, now
            if (row.retired_at is None) != (retired_at is None):
                row.retired_at = retired_at
    for row in topics.values():
        # Left out of the file: it ends (an ended one stays as it was).
        if row.retired_at is None:
            row.retired_at = row.changed_at = now
    sources = {s.url: s for s in (await session.scalars(select(CatalogueSource))).all()}
    for position, source in enumerate(wanted.sources):
        tracker.advance()
        entry = source.model_dump(mode="json")
        found = sources.pop(source.url, None)
        if found is None:
            session.add(
                CatalogueSource(url=source.url, position=position, entry=entry, changed_at=now)
            )
        elif found.entry != entry or found.position != position:
            found.entry, found.position, found.changed_at = entry, position, now
    for gone in sources.values():
        # The watcher keeps the source's history in its own table; the catalogue forgets it.
        await session.delete(gone)
    state = await session.get(CatalogueState, STATE_ID)
    assert state is not None, "lock_state() comes first"
    if bump:
        state.version += 1
        state.changed_at = now
    if start_file_hash is not None:
        state.start_file_hash = start_file_hash
    await session.flush()
    return state.version
