"""Pushed changes held on their source's row until a poll reads the page (domain/told.py).

They are kept as a JSON list of their events in ``watch_sources.held_pushes``: a push appends
one, the poll that settles them takes away those it read, and sends the ones it releases.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable

from sqlalchemy import ColumnElement, Connection, Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.watcher.adapters.driver_statements import DriverStatement
from services.watcher.adapters.tables import WatchedSource
from shared.events import ContentChanged

_SOURCES: Table = WatchedSource.__table__  # type: ignore[assignment]
_c = _SOURCES.c


def encoded(events: Iterable[ContentChanged]) -> str | None:
    """Return the column's text for held pushes; None for none."""
    listed = [json.loads(event.model_dump_json()) for event in events]
    return json.dumps(listed, ensure_ascii=False) if listed else None


def decoded(text: str | None) -> tuple[ContentChanged, ...]:
    """Return the held pushes the column holds."""
    if not text:
        return ()
    return tuple(ContentChanged.model_validate(item) for item in json.loads(text))


_HELD = DriverStatement(select(_c.held_pushes).where(_c.id == bindparam("h_id")))
_KEEP = DriverStatement(
    update(_SOURCES).where(_c.id == bindparam("h_id")).values(held_pushes=bindparam("h_keep"))
)


def take(conn: Connection, source_id: int, settled: Iterable[ContentChanged]) -> set[str]:
    """Take the pushes a poll settled off the row; return the ids of those still there.

    Run after the poll's own write to the row. No push comes between the poll's read of the
    row and this: the poll read it under the row's lock (FOR UPDATE; on SQLite, the write lock
    its transaction began with; see store_outcome), so no push was joined meanwhile with one it
    read (told.kept), which would leave that one's id gone from the row and its content in a
    change the poll did not settle. Were one to come, it would be kept for the next poll, not
    taken unseen: only the ids settled are taken.
    """
    row = _HELD.first(conn, {"h_id": source_id})
    held = decoded(row[0] if row else None)
    ids = {str(event.event_id) for event in settled}
    keep = [event for event in held if str(event.event_id) not in ids]
    if len(keep) != len(held):
        _KEEP.execute(conn, {"h_id": source_id, "h_keep": encoded(keep)})
    return {str(event.event_id) for event in held} & ids


async def leave(session: AsyncSession, urls: Collection[str]) -> list[ContentChanged]:
    """Stop polling the sources at ``urls`` and take their held pushes off their rows.

    In the catalogue's apply, under the rows' locks: a push that comes after it finds the
    source unwatched and is sent at once (publisher_keys.mark_told), and a poll under way
    finds nothing left to send (``take``). Left active until the watcher's own sync, a row
    would hold a push that came meanwhile for ever, as no poll of it comes. A row stopped
    already that still holds pushes (``left_behind``) gives them up here too.
    """
    if not urls:
        return []
    return await _take_off(session, _c.url.in_(list(urls)))


async def left_behind(session: AsyncSession, watched: Collection[str]) -> list[ContentChanged]:
    """Stop polling every source not at ``watched`` and take the pushes held on its row.

    For the watcher's sync, at its start and after each catalogue change. The apply that pauses
    or removes a source takes them (``leave``); a row that still holds some was stopped by a
    release before that did, or by a sync of a catalogue read before the apply, which brought
    the row back for a moment. No poll of it comes, so they would wait for ever, and keep
    migration 0028 from being undone.
    """
    return await _take_off(session, _c.url.not_in(list(watched)))


async def _take_off(session: AsyncSession, where: ColumnElement[bool]) -> list[ContentChanged]:
    """Stop polling the sources ``where`` says and take their held pushes off their rows."""
    # Every such row still polled locked, those holding none too: on PostgreSQL a push holding
    # the row's lock is waited for and read, where a filter on the column read before it would
    # miss it. A row stopped already takes no push (mark_told), so only one holding some is.
    wanted = where & (_c.active.is_(True) | _c.held_pushes.is_not(None))
    rows = await session.execute(
        select(_c.held_pushes).where(wanted).order_by(_c.id).with_for_update()
    )
    taken = [event for (text,) in rows.all() if text for event in decoded(text)]
    await session.execute(update(_SOURCES).where(wanted).values(active=False, held_pushes=None))
    return taken


async def taken_from(session: AsyncSession, urls: Collection[str]) -> list[ContentChanged]:
    """Take the pushes held for the sources at ``urls`` off their rows; they stay polled.

    In the catalogue's apply that takes them out of review mode (the admin's catalogue), under
    the rows' locks: every row at ``urls`` is locked, those holding none too, so a push holding
    a row's lock is waited for and read (as in ``_take_off``), and a poll under way finds
    nothing left to send (``take``).
    """
    if not urls:
        return []
    at = _c.url.in_(list(urls))
    rows = await session.execute(select(_c.held_pushes).where(at).order_by(_c.id).with_for_update())
    taken = [event for (text,) in rows.all() if text for event in decoded(text)]
    if taken:
        await session.execute(update(_SOURCES).where(at).values(held_pushes=None))
    return taken


async def held_at(session: AsyncSession, urls: Collection[str]) -> list[ContentChanged]:
    """Return the pushes held for the sources at ``urls``, polled or stopped (``leave``)."""
    wanted = _c.url.in_(list(urls)) & _c.held_pushes.is_not(None)
    rows = await session.scalars(select(_c.held_pushes).where(wanted).order_by(_c.url))
    return [event for text in rows.all() for event in decoded(text)]
