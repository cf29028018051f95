"""Fixed-window request counters in the database, so every replica sees the same limits.

Keys are keyed hashes chosen by the caller (sign-ups per address, logins per client), so the
table holds no address, name or IP.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from datetime import datetime, timedelta
from functools import cache
from ipaddress import IPv6Address, IPv6Network, ip_address
from typing import Any, NamedTuple

from sqlalchemy import (
    Insert,
    Integer,
    String,
    Table,
    bindparam,
    delete,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, UTCDateTime, rowcount
from shared.ip_addresses import carried_ipv4

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)  # a day of UTC, from midnight to midnight
_WINDOWS = (HOUR, DAY)


class RateLimitHit(Base):
    """Requests counted per hashed key and fixed window, shared by every replica."""

    # The name is older than this module: the public pages were the first to count requests.
    __tablename__ = "sub_rate_limits"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    # How long the window lasts (1 or 24): what tells when its row may be deleted.
    window_hours: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class Limit(NamedTuple):
    """At most ``most`` requests counted under ``key`` (a keyed hash) in each ``window``."""

    key: str
    most: int
    window: timedelta = HOUR


# An IPv6 client is counted by the /64 its address is in: one home, office or server gets a
# whole /64 and may use any address in it, so counting each address would give every guesser
# 2**64 fresh allowances.
_IPV6_COUNTED_PREFIX = 64


def counted_client(host: str) -> str:
    """Return what a per-client limit counts a client address as: an IPv4 address itself (also
    carried in an IPv6 one: IPv4-mapped, 6to4, NAT64), an IPv6 address its /64 network;
    anything else unchanged."""
    try:
        address = ip_address(host)
    except ValueError:
        return host
    if isinstance(address, IPv6Address):
        # Behind a NAT64 gateway every IPv4 client is in one /64; a 6to4 site has a /48 of them.
        if (carried := carried_ipv4(address)) is not None:
            return str(carried)
        return str(IPv6Network((address, _IPV6_COUNTED_PREFIX), strict=False))
    return str(address)


def _window(now: datetime, window: timedelta = HOUR) -> datetime:
    if window not in _WINDOWS:
        raise ValueError(f"no fixed window of {window}")
    hour = now.replace(minute=0, second=0, microsecond=0)
    return hour if window == HOUR else hour.replace(hour=0)


def window_end(now: datetime, window: timedelta = HOUR) -> datetime:
    """Return when the current window ends and its counts no longer apply."""
    return _window(now, window) + window


def _hours(window: timedelta) -> int:
    return int(window / HOUR)


def retry_after(now: datetime, until: datetime | None = None) -> str:
    """Return the Retry-After value of a refusal: whole seconds until ``until`` (or the window's
    end)."""
    left = (until or window_end(now)) - now
    return str(max(1, math.ceil(left.total_seconds())))


@cache
def _count_statement(dialect: str) -> Any:
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table: Table = RateLimitHit.__table__  # type: ignore[assignment]
    return (
        insert(table)
        .on_conflict_do_update(
            index_elements=[table.c.key, table.c.window_start],
            set_={"count": table.c.count + 1},
        )
        .returning(table.c.key, table.c.count)
    )


def within(counts: Iterable[tuple[str, int]], limits: list[Limit]) -> bool:
    """Tell whether every limit holds, given each key's count now."""
    counted = dict(counts)
    return all(counted.get(key, most + 1) <= most for key, most, _ in limits)


def _rows(limits: list[Limit], now: datetime) -> list[dict[str, Any]]:
    return [
        {"key": key, "window_start": _window(now, window), "window_hours": _hours(window)}
        for key, _, window in limits
    ]


async def allow_all(session: AsyncSession, limits: list[Limit], now: datetime) -> bool:
    """Count one request for each key, each in its own window, in one statement; tell whether
    all are within limit.

    Keys are locked in the order given, so callers that always pass them in the same order
    (address before client) cannot deadlock each other.
    """
    # One statement of fixed shape run for several rows ("insertmanyvalues"): SQLAlchemy sends
    # one multi-row INSERT but, unlike .values([...]), can cache its compiled form.
    rows = await session.execute(
        _count_statement(session.get_bind().dialect.name),
        [{**row, "count": 1} for row in _rows(limits, now)],
    )
    return within([(key, count) for key, count in rows], limits)


def counting(*, prefix: str) -> Insert:
    """Return a PostgreSQL upsert that counts one request for each key of an array, each in its
    own window, for a CTE beside the write it guards; it returns each key and its count (see
    ``within``).

    Bound with ``counting_values``. Keys are locked in the array's order, as in ``allow_all``.
    """
    table: Table = RateLimitHit.__table__  # type: ignore[assignment]
    # Array parameters rather than a multi-row VALUES: SQLAlchemy cannot cache the compiled
    # form of .values([...]), and compiling it on every sign-up cost more than it saves.
    rows = (
        func.unnest(
            bindparam(f"{prefix}keys", type_=ARRAY(table.c.key.type)),
            bindparam(f"{prefix}windows", type_=ARRAY(table.c.window_start.type)),
            bindparam(f"{prefix}hours", type_=ARRAY(table.c.window_hours.type)),
        )
        .table_valued("key", "window_start", "window_hours")
        .render_derived(name="counted_rows")
    )
    return (
        pg_insert(table)
        .from_select(
            ["key", "window_start", "window_hours", "count"],
            select(rows.c.key, rows.c.window_start, rows.c.window_hours, literal(1)),
        )
        .on_conflict_do_update(
            index_elements=[table.c.key, table.c.window_start],
            set_={"count": table.c.count + 1},
        )
        .returning(table.c.key, table.c.count)
    )


def counting_values(limits: list[Limit], now: datetime, *, prefix: str) -> dict[str, Any]:
    """Return what ``counting`` binds to count one request for each limit's key, in this order,
    now."""
    rows = _rows(limits, now)
    return {
        f"{prefix}keys": [row["key"] for row in rows],
        f"{prefix}windows": [row["window_start"] for row in rows],
        f"{prefix}hours": [row["window_hours"] for row in rows],
    }


async def reached_until(session: AsyncSession, limits: list[Limit], now: datetime) -> datetime:
    """Return when a request refused over ``limits`` may come again: the end of the longest
    window whose limit is reached (counted up to it), else of the hour.

    Asked only after a refusal, which keeps no count of its own on a sign-up.
    """
    rows = await session.execute(
        select(RateLimitHit.key, RateLimitHit.window_start, RateLimitHit.count).where(
            RateLimitHit.key.in_([limit.key for limit in limits])
        )
    )
    counted = {(key, start): count for key, start, count in rows.all()}
    reached = [
        window_end(now, window)
        for key, most, window in limits
        if counted.get((key, _window(now, window)), 0) >= most
    ]
    return max(reached, default=window_end(now))


async def allow(session: AsyncSession, key: str, limit: int, now: datetime) -> bool:
    """Count one request for ``key`` (already a keyed hash) and tell whether it is within limit."""
    # One atomic upsert: two first requests of a window can no longer both insert (and one fail
    # on the primary key), and a hit costs one round trip instead of a locked read and a write.
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    values = insert(RateLimitHit).values(key=key, window_start=_window(now), count=1)
    upsert = values.on_conflict_do_update(
        index_elements=[RateLimitHit.key, RateLimitHit.window_start],
        set_={"count": RateLimitHit.count + 1},
    ).returning(RateLimitHit.count)
    count = await session.scalar(upsert)
    return count is not None and count <= limit


async def counts(session: AsyncSession, keys: Collection[str], now: datetime) -> dict[str, int]:
    """Return how many requests each key has counted in the current window (absent: none)."""
    rows = await session.execute(
        select(RateLimitHit.key, RateLimitHit.count).where(
            RateLimitHit.key.in_(list(keys)), RateLimitHit.window_start == _window(now)
        )
    )
    return {key: count for key, count in rows.all()}


async def purge_expired(session: AsyncSession, now: datetime) -> int:
    """Delete counters of windows that have ended: an hour's after the hour, a day's after
    the day."""
    ended = [
        (RateLimitHit.window_hours == _hours(window))
        & (RateLimitHit.window_start < _window(now, window))
        for window in _WINDOWS
    ]
    result = await session.execute(delete(RateLimitHit).where(or_(*ended)))
    return rowcount(result)
