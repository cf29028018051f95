"""Statements on failed sign-ins per account name and client address, and the waits they earn."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Table, bindparam, case, delete, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.admin.adapters.tables import AdminLoginFailures
from shared.db import UTCDateTime, rowcount

_TABLE: Table = AdminLoginFailures.__table__  # type: ignore[assignment]


@cache
def _insert(dialect: str) -> Any:
    return pg_insert if dialect == "postgresql" else sqlite_insert


async def claim_attempt(
    session: AsyncSession,
    key: str,
    now: datetime,
    waits: Mapping[int, datetime],
    longest: datetime,
    kept_since: datetime,
) -> datetime | None:
    """Count an attempt as failed before its password is checked; None if it may go ahead.

    ``waits`` maps a count of earlier failures to the end of the wait this one would start
    (``longest`` for higher counts). An attempt inside the current wait is refused and not
    counted: the answer is the time the wait ends. Counting first, in one atomic upsert, means
    parallel attempts cannot all slip in before any of them is recorded; a correct password
    then forgets the failures (``forget``).
    """
    await session.execute(
        delete(AdminLoginFailures).where(
            AdminLoginFailures.key == key, AdminLoginFailures.last_failed_at < kept_since
        )
    )
    when = UTCDateTime()
    # The ends of the waits are bound as values, so one statement serves SQLite and PostgreSQL
    # without date arithmetic in SQL.
    next_wait = case(
        {count: literal(end, when) for count, end in waits.items()},
        value=_TABLE.c.failures,
        else_=literal(longest, when),
    )
    statement = (
        _insert(session.get_bind().dialect.name)(_TABLE)
        .values(key=key, failures=1, not_before=waits.get(0, longest), last_failed_at=now)
        .on_conflict_do_update(
            index_elements=[_TABLE.c.key],
            set_={
                "failures": _TABLE.c.failures + 1,
                "not_before": next_wait,
                "last_failed_at": bindparam("now", now, type_=when),
            },
            where=_TABLE.c.not_before <= bindparam("now_", now, type_=when),
        )
        .returning(_TABLE.c.failures)
    )
    if await session.scalar(statement) is not None:
        return None
    until = await session.scalar(select(AdminLoginFailures.not_before).where(_TABLE.c.key == key))
    # The row can only be gone if a correct password from this client raced this attempt in;
    # refusing for a second is then the safe answer.
    return until or now


async def forget(session: AsyncSession, key: str) -> None:
    """Forget a client's failures for a name once it has signed in with the right password."""
    await session.execute(delete(AdminLoginFailures).where(AdminLoginFailures.key == key))


async def purge_stale(session: AsyncSession, kept_since: datetime) -> int:
    """Delete the failures of clients that have not failed since ``kept_since``."""
    result = await session.execute(
        delete(AdminLoginFailures).where(AdminLoginFailures.last_failed_at < kept_since)
    )
    return rowcount(result)
