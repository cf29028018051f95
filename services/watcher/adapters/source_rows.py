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
from services.watcher.domain.outcome import Health, Outcome, Rules, SourceState

_SOURCES: Table = WatchedSource.__table__  # type: ignore[assignment]
_c = _SOURCES.c


CLAIM_COLUMNS = (
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
    _c.consecutive_failures,
    _c.last_error,
    _c.title,
    _c.push_until,
    _c.missing_since,
    _c.gone_at,
)


def source_state(row: Row[*tuple[Any, ...]]) -> SourceState:
    """Return the poll's view of a source row (any row holding the claim's columns)."""
    return SourceState(
        id=row.id,
        url=row.url,
        rules=Rules(row.kind, row.selector, tuple(row.ignore or ())),
        interval_seconds=row.interval_seconds,
        status=Health(row.status),
        consecutive_failures=row.consecutive_failures,
        last_error=row.last_error,
        title=row.title,
        etag=row.etag,
        last_modified=row.last_modified,
        body_hash=row.body_hash,
        fingerprint=row.fingerprint,
        push_until=row.push_until,
        missing_since=row.missing_since,
        gone_at=row.gone_at,
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
        .returning(*CLAIM_COLUMNS)
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
) -> list[SourceState]:
    """Lease up to ``limit`` due sources to ``owner`` in one statement, oldest due first."""
    result = conn.execute(
        _CLAIM[skip_locked],
        {"c_now": now, "c_until": until, "c_owner": owner, "c_limit": limit},
    )
    return sorted((source_state(row) for row in result), key=lambda c: c.id)


async def load_claim(session: AsyncSession, source_id: int) -> SourceState | None:
    """Read what polling a source needs, without leasing it."""
    row = (await session.execute(select(*CLAIM_COLUMNS).where(_c.id == source_id))).first()
    return None if row is None else source_state(row)


# Columns a quiet poll sets: a healthy row, as every quiet outcome leaves it (Outcome.quiet).
# A failing source never takes this path (its recovery is an event).
QUIET_UPDATE = (
    update(_SOURCES)
    .where(_c.id == bindparam("q_id"), _c.status != Health.FAILING.value)
    .values(
        last_checked_at=bindparam("q_checked"),
        next_check_at=bindparam("q_next"),
        etag=bindparam("q_etag"),
        last_modified=bindparam("q_modified"),
        lease_owner=None,
        lease_until=None,
        status=Health.OK.value,
        consecutive_failures=0,
        last_error=None,
        missing_since=None,  # a page that answers is not missing
        gone_at=None,
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

    @classmethod
    def of(cls, outcome: Outcome) -> QuietOutcome:
        """Return the batched write of a quiet outcome; refuse any other (it needs the row)."""
        if not outcome.quiet:
            raise ValueError(f"a {outcome.kind} outcome is not quiet")
        return cls(
            outcome.source_id,
            outcome.checked_at,
            outcome.next_check_at,
            outcome.etag,
            outcome.last_modified,
        )

    def params(self) -> dict[str, Any]:
        """Return the bind parameters of the quiet UPDATE."""
        return {
            "q_id": self.source_id,
            "q_checked": self.checked_at,
            "q_next": self.next_check_at,
            "q_etag": self.etag,
            "q_modified": self.last_modified,
        }
