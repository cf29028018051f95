"""Cheap reads and writes of watched-source rows for the poll loop.

A poll round touches every due source, and most polls learn nothing new (304, or the same
bytes). So claims are one UPDATE … RETURNING per batch, and those quiet outcomes are written
by one executemany UPDATE per group of polls that finish together (group_writes), instead of
ORM loads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Integer, Row, Table, Update, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

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


def _claim_statement(*, skip_locked: bool) -> Update:
    due = (
        select(_c.id)
        .where(
            _c.active.is_(True),
            _c.next_check_at <= bindparam("c_now"),
            _c.lease_until.is_(None) | (_c.lease_until < bindparam("c_now")),
        )
        .order_by(_c.next_check_at)
        .limit(bindparam("c_limit", type_=Integer))
    )
    if skip_locked:
        due = due.with_for_update(skip_locked=True)
    return (
        update(_SOURCES)
        .where(_c.id.in_(due.scalar_subquery()))
        .values(lease_owner=bindparam("c_owner"), lease_until=bindparam("c_until"))
        .returning(*_CLAIM_COLUMNS)
    )


# Built once: a statement built per claim costs its cache-key walk every time.
_CLAIM = {locked: _claim_statement(skip_locked=locked) for locked in (False, True)}


def claim_rows(
    conn: Connection,
    *,
    now: datetime,
    until: datetime,
    owner: str,
    limit: int,
    skip_locked: bool,
) -> list[Claim]:
    """Lease up to ``limit`` due sources to ``owner`` in one statement, oldest due first."""
    result = conn.execute(
        _CLAIM[skip_locked],
        {"c_now": now, "c_until": until, "c_owner": owner, "c_limit": limit},
    )
    return sorted((_claim(row) for row in result), key=lambda c: c.id)


async def load_claim(session: AsyncSession, source_id: int) -> Claim | None:
    """Read what polling a source needs, without leasing it."""
    row = (await session.execute(select(*_CLAIM_COLUMNS).where(_c.id == source_id))).first()
    return None if row is None else _claim(row)


# What every successful poll leaves on its source row: the lease released, no failure counted.
RELEASED_HEALTHY: dict[str, object] = {
    "lease_owner": None,
    "lease_until": None,
    "status": "ok",
    "consecutive_failures": 0,
    "last_error": None,
}

# Columns a quiet poll sets; a failing source never takes this path (its recovery is an event).
QUIET_UPDATE = (
    update(_SOURCES)
    .where(_c.id == bindparam("q_id"), _c.status != "failing")
    .values(
        last_checked_at=bindparam("q_checked"),
        next_check_at=bindparam("q_next"),
        etag=bindparam("q_etag"),
        last_modified=bindparam("q_modified"),
        **RELEASED_HEALTHY,
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
