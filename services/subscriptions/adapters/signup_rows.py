"""A sign-up's rows and the count against its limits, few round trips, no ORM.

The sign-up page is the hottest write in the product. For these append-only rows the ORM's unit
of work costs more CPU than the database does, and every statement is a round trip; on
PostgreSQL a sign-up's rows and the rate-limit counts of its request go in one statement, run on
the pooled connection's own driver (``shared/driver_sql.py``) in a transaction of its own. It is
the same statement whether the address is new or known: the answer's time must not tell which.
Every statement's shape is fixed, so each request only binds values.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, lru_cache
from typing import Any

import asyncpg
from sqlalchemy import (
    Integer,
    String,
    Table,
    bindparam,
    case,
    cast,
    func,
    insert,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.subscriptions.adapters import consent_ledger, signup_requests, subscribers
from services.subscriptions.adapters.tables import Subscriber
from services.subscriptions.unit_of_work import NewPerson, Stored
from shared.driver_sql import DriverStatement, driver_connection
from shared.outbox import append_statement, outbox_row
from shared.web import rate_limit

_SUBSCRIBERS: Table = Subscriber.__table__  # type: ignore[assignment]
_REQUESTS: Table = signup_requests.REQUESTS
_LEDGER: Table = consent_ledger.LEDGER


def _subscriber_values() -> dict[str, Any]:
    return {c.name: bindparam(f"s_{c.name}", type_=c.type) for c in _SUBSCRIBERS.c}


_SQLITE_EVENT = append_statement(prefix="o_")


def _subscriber_new_or_known(insert: Callable[[Table], Any]) -> Any:
    """Insert the subscriber, or lock the one who has the address; either way return its id.

    ``insert`` is the dialect's INSERT (PostgreSQL's, or SQLite's, 3.35 and later: both take
    ON CONFLICT DO UPDATE and RETURNING). A known person's row is "updated" to the address it
    has: nothing of theirs changes (their language, frequency and status wait for this
    request's confirmation), but the row is locked as a read FOR UPDATE would, so an erasure of
    the address waits for the sign-up or goes first (then the address is new again).
    """
    statement = insert(_SUBSCRIBERS)
    return (
        statement.values(_subscriber_values())
        .on_conflict_do_update(
            index_elements=[_SUBSCRIBERS.c.email], set_={"email": statement.excluded.email}
        )
        .returning(_SUBSCRIBERS.c.id)
    )


@cache
def _sqlite_subscriber_new_or_known() -> Any:
    return _subscriber_new_or_known(sqlite_insert)


@cache
def _postgres_signup() -> Any:
    """Build one statement: the subscriber if the address is new (else the known one, locked),
    the request, ledger row and event naming that subscriber, and the count of the request
    against its rate limits; run without BEGIN and COMMIT, it keeps all of that only if every
    limit holds.

    Its one column, per limit, divides by zero unless that limit was counted and holds: the
    error makes PostgreSQL undo the whole statement, counts too, as a rollback would.
    Returned, it has kept everything.
    """
    subscriber = _subscriber_new_or_known(pg_insert).cte("subscriber")
    request_columns = [c for c in _REQUESTS.c if c.name != "subscriber_id"]
    request = (
        insert(_REQUESTS)
        .from_select(
            [*(c.name for c in request_columns), "subscriber_id"],
            select(
                *(bindparam(f"r_{c.name}", type_=c.type) for c in request_columns),
                subscriber.c.id,
            ),
        )
        .cte("new_request")
    )
    ledger_columns = [c for c in _LEDGER.c if c.name != "id"]
    ledger = (
        insert(_LEDGER)
        .from_select(
            [c.name for c in ledger_columns],
            select(*(bindparam(f"l_{c.name}", type_=c.type) for c in ledger_columns)).select_from(
                subscriber
            ),
        )
        .cte("requested")
    )
    # The event as the app serialised it for the new subscriber's id, that id replaced by the
    # row's: the same text the event would have for a known person (their id, written alike).
    payload = func.replace(
        bindparam("o_payload", type_=String),
        bindparam("o_subscriber_id", type_=String),
        cast(subscriber.c.id, String),
    )
    event = append_statement(prefix="o_", when=subscriber, payload=payload).cte("signup_requested")
    counted = rate_limit.counting(prefix="c_").cte("counted")
    limits = (
        func.unnest(
            bindparam("c_keys", type_=ARRAY(rate_limit.RateLimitHit.key.type)),
            bindparam("c_limits", type_=ARRAY(Integer)),
        )
        .table_valued("key", "lim")
        .render_derived(name="limits")
    )
    # Each limit and each count is a row: a limit without its count, or a count without its
    # limit, compares as unknown, which refuses the sign-up like a limit reached.
    within = counted.c.count <= limits.c.lim
    return (
        select(
            literal_column("1") // case((within, literal_column("1")), else_=literal_column("0"))
        )
        .select_from(limits.outerjoin(counted, limits.c.key == counted.c.key, full=True))
        .add_cte(request, ledger, event)
    )


@lru_cache(maxsize=8)
def _postgres_signup_on(dialect: Dialect) -> DriverStatement:
    return DriverStatement(_postgres_signup(), dialect)


async def insert_new(sessions: async_sessionmaker[AsyncSession], new: NewPerson) -> Stored:
    """Insert a pending subscriber (its id given) with its first request, ledger row and outbox
    event, and count the request against each of its limits, each in its window, in a
    transaction of its own; tell what was kept.

    Nothing is kept if a limit is reached, not even the counts. A known address is stored as a
    new one is, its rows naming the known person: on PostgreSQL in the same statement, on
    SQLite in the same transaction. A concurrent first sign-up of the same address waits for
    the other transaction, so neither fails.
    """
    if not new.limits:
        raise ValueError("a sign-up is always counted against its rate limits")
    engine: AsyncEngine = sessions.kw["bind"]
    if engine.dialect.name != "postgresql":
        async with sessions() as session:
            stored = await _sqlite_signup(session, new)
            if stored is Stored.KEPT:
                await session.commit()
        return stored
    return await run_signup(engine, signup_values(new))


def _subscriber_values_of(new: NewPerson) -> dict[str, Any]:
    return {f"s_{k}": v for k, v in subscribers.values_of(new.subscriber).items()}


def signup_values(new: NewPerson) -> dict[str, Any]:
    """Return what the PostgreSQL statement binds for a sign-up."""
    values = _subscriber_values_of(new)
    # The request's subscriber is the row's id (new or known): the statement takes it there.
    request = signup_requests.values_of(new.request)
    del request["subscriber_id"]
    values.update({f"r_{k}": v for k, v in request.items()})
    values.update({f"l_{k}": v for k, v in consent_ledger.values_of(new.entry).items()})
    values.update(outbox_row(new.event, prefix="o_"))
    values["o_subscriber_id"] = str(new.subscriber.id)
    values.update(rate_limit.counting_values(new.limits, new.now, prefix="c_"))
    values["c_limits"] = [limit.most for limit in new.limits]
    return values


async def run_signup(engine: AsyncEngine, values: dict[str, Any]) -> Stored:
    """Run the PostgreSQL statement with its values; tell whether it kept the sign-up.

    Every limit is checked by the statement itself (a limit without its count refuses it), and
    a statement that returns has committed: nothing here may second-guess it afterwards.
    """
    statement = _postgres_signup_on(engine.dialect)
    async with driver_connection(engine) as connection:
        try:
            await connection.fetch(statement.sql, *statement.arguments(values))
        except asyncpg.DivisionByZeroError:
            return Stored.OVER_LIMIT  # the statement refused itself: nothing was kept
    return Stored.KEPT


async def _sqlite_signup(session: AsyncSession, new: NewPerson) -> Stored:
    """Store what ``insert_new`` does and count it; tell whether all of it may be kept.

    A known address gets the same statements as a new one, its rows naming the person who has
    it: any statement more would make the answer slower, and so tell that the address is known
    (the PostgreSQL statement does the same in one step).
    """
    subscriber_id = await session.scalar(
        _sqlite_subscriber_new_or_known(), _subscriber_values_of(new)
    )
    event = outbox_row(new.event, prefix="o_")
    if subscriber_id != new.subscriber.id:  # known: the event names the person who has it
        event["o_payload"] = event["o_payload"].replace(str(new.subscriber.id), str(subscriber_id))
    request = signup_requests.values_of(new.request)
    request["subscriber_id"] = subscriber_id
    await consent_ledger.append_values(session, consent_ledger.values_of(new.entry))
    await signup_requests.insert_values(session, request)
    await session.execute(_SQLITE_EVENT, event)
    within = await rate_limit.allow_all(session, new.limits, new.now)
    return Stored.KEPT if within else Stored.OVER_LIMIT
