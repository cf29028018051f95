"""Cheap reads and writes of watched-source rows for the poll loop.

A poll round touches every due source, and most polls learn nothing new (304, or the same
bytes). So claims are one UPDATE … RETURNING per batch, and those quiet outcomes are written
by one executemany UPDATE per group of polls that finish together, instead of ORM loads.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.watcher.adapters.tables import WatchedSource

_SOURCES: Table = WatchedSource.__table__  # type: ignore[assignment]
_c = _SOURCES.c


@dataclass(frozen=True, slots=True)
class Claim:
    """A source leased for one poll, with what fetching and parsing it needs."""

    id: int
    url: str
    kind: str
    interval_seconds: int
    selector: str | None
    ignore: tuple[str, ...]
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    has_baseline: bool
    failing: bool


_CLAIM_COLUMNS = (
    _c.id,
    _c.url,
    _c.kind,
    _c.interval_seconds,
    _c.selector,
    _c.ignore,
    _c.etag,
    _c.last_modified,
    _c.body_hash,
    _c.fingerprint,
    _c.status,
)


def _claim(row: Row[*tuple[Any, ...]]) -> Claim:
    return Claim(
        id=row.id,
        url=row.url,
        kind=row.kind,
        interval_seconds=row.interval_seconds,
        selector=row.selector,
        ignore=tuple(row.ignore or ()),
        etag=row.etag,
        last_modified=row.last_modified,
        body_hash=row.body_hash,
        has_baseline=row.fingerprint is not None,
        failing=row.status == "failing",
    )


async def claim_rows(
    session: AsyncSession,
    *,
    now: datetime,
    until: datetime,
    owner: str,
    limit: int,
    skip_locked: bool,
) -> list[Claim]:
    """Lease up to ``limit`` due sources to ``owner`` in one statement, oldest due first."""
    due = (
        select(_c.id)
        .where(
            _c.active.is_(True),
            _c.next_check_at <= now,
            _c.lease_until.is_(None) | (_c.lease_until < now),
        )
        .order_by(_c.next_check_at)
        .limit(limit)
    )
    if skip_locked:
        due = due.with_for_update(skip_locked=True)
    result = await session.execute(
        update(_SOURCES)
        .where(_c.id.in_(due.scalar_subquery()))
        .values(lease_owner=owner, lease_until=until)
        .returning(*_CLAIM_COLUMNS)
    )
    return sorted((_claim(row) for row in result), key=lambda c: c.id)


async def load_claim(session: AsyncSession, source_id: int) -> Claim | None:
    """Read what polling a source needs, without leasing it."""
    row = (await session.execute(select(*_CLAIM_COLUMNS).where(_c.id == source_id))).first()
    return None if row is None else _claim(row)


# Columns a quiet poll sets; a failing source never takes this path (its recovery is an event).
_QUIET_UPDATE = (
    update(_SOURCES)
    .where(_c.id == bindparam("q_id"), _c.status != "failing")
    .values(
        last_checked_at=bindparam("q_checked"),
        next_check_at=bindparam("q_next"),
        etag=bindparam("q_etag"),
        last_modified=bindparam("q_modified"),
        lease_owner=None,
        lease_until=None,
        status="ok",
        consecutive_failures=0,
        last_error=None,
    )
)


@dataclass(frozen=True, slots=True)
class QuietOutcome:
    """A poll that learnt nothing new: a 304, or the same bytes as last time."""

    source_id: int
    checked_at: datetime
    next_check_at: datetime
    etag: str | None
    last_modified: str | None

    def params(self) -> dict[str, Any]:
        """Return the bind parameters of the quiet UPDATE."""
        return {
            "q_id": self.source_id,
            "q_checked": self.checked_at,
            "q_next": self.next_check_at,
            "q_etag": self.etag,
            "q_modified": self.last_modified,
        }


class QuietWrites:
    """Group commit: quiet outcomes that arrive together are written in one transaction.

    ``write`` returns once its row is committed, so a poll still ends with its outcome stored.
    While one batch is being written, the next gathers; no timer is involved.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._pending: list[tuple[QuietOutcome, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def write(self, outcome: QuietOutcome) -> None:
        """Store one quiet outcome; return when it is committed."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((outcome, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain())
        await done

    async def _drain(self) -> None:
        # Let polls finishing in the same loop iteration join the first batch.
        await asyncio.sleep(0)
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                async with self._sessions() as session, session.begin():
                    await session.execute(_QUIET_UPDATE, [o.params() for o, _ in batch])
            except Exception as exc:  # every waiter gets the error; its poll reports it
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
            else:
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)
