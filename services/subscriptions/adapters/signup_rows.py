"""Core INSERTs for the sign-up path and the consent ledger: few round trips, no unit of work.

The sign-up page is the hottest write in the product. For these append-only rows the ORM's unit
of work costs more CPU than the database does, and every statement is a round trip; on
PostgreSQL a new address's rows and the rate-limit counts of its request go in one statement.
Every statement's shape is fixed, so each request only binds values and hits SQLAlchemy's
compiled cache.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.subscriptions.adapters import consent_ledger, signup_requests
from services.subscriptions.adapters.tables import Subscriber
from services.subscriptions.unit_of_work import Added
from shared.outbox import append_statement
from shared.web import rate_limit

_SUBSCRIBERS: Table = Subscriber.__table__  # type: ignore[assignment]
_REQUESTS: Table = signup_requests.REQUESTS
_LEDGER: Table = consent_ledger.LEDGER


def _subscriber_if_new(dialect: str) -> Any:
    upsert = pg_insert if dialect == "postgresql" else sqlite_insert
    return (
        upsert(_SUBSCRIBERS)
        .values({c.name: bindparam(f"s_{c.name}", type_=c.type) for c in _SUBSCRIBERS.c})
        .on_conflict_do_nothing(index_elements=[_SUBSCRIBERS.c.email])
        .returning(_SUBSCRIBERS.c.id)
    )


@cache
def _sqlite_subscriber_if_new() -> Any:
    return _subscriber_if_new("sqlite")


_SQLITE_EVENT = append_statement(prefix="o_")


@cache
def _postgres_new_signup() -> Any:
    """Build one statement: the subscriber if the address is new, its request, ledger row and
    event, and the count of the request against its rate limits.

    The other rows select from the subscriber's RETURNING, so a known address (the insert did
    nothing) inserts none of them. It returns one row per limit: its key, its count and the new
    subscriber's id (NULL for a known address).
    """
    subscriber = _subscriber_if_new("postgresql").cte("new_subscriber")
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
    event = append_statement(prefix="o_", when=subscriber).cte("signup_requested")
    counted = rate_limit.counting(prefix="c_").cte("counted")
    new_id = select(subscriber.c.id).scalar_subquery().label("new_id")
    return select(counted.c.key, counted.c.count, new_id).add_cte(request, ledger, event)


async def insert_if_new(
    session: AsyncSession,
    *,
    subscriber: dict[str, Any],
    request: dict[str, Any],
    consent: dict[str, Any],
    event: dict[str, Any],
    limits: list[tuple[str, int]],
    now: datetime,
) -> Added:
    """Insert a pending subscriber (its id given) with its first request, ledger row and outbox
    event unless the address is known, and count the request against each (keyed hash, limit)
    of ``limits`` either way. ``event`` is the event's ``outbox_row(..., prefix="o_")``.

    A concurrent first sign-up of the same address waits for the other transaction and then
    inserts nothing, so neither fails.
    """
    if not limits:
        raise ValueError("a sign-up is always counted against its rate limits")
    values = {f"s_{k}": v for k, v in subscriber.items()}
    if session.get_bind().dialect.name == "postgresql":
        values.update({f"r_{k}": v for k, v in request.items()})
        values.update({f"l_{k}": v for k, v in consent.items()})
        values.update(event)
        values.update(rate_limit.counting_values([key for key, _ in limits], now, prefix="c_"))
        rows = (await session.execute(_postgres_new_signup(), values)).all()
        counts = [(key, count) for key, count, _ in rows]
        return Added(rows[0][2] is not None, rate_limit.within(counts, limits))
    if await session.scalar(_sqlite_subscriber_if_new(), values) is None:
        return Added(False, await rate_limit.allow_all(session, limits, now))
    await consent_ledger.append_values(session, consent)
    await signup_requests.insert_values(session, {**request, "subscriber_id": subscriber["id"]})
    await session.execute(_SQLITE_EVENT, event)
    return Added(True, await rate_limit.allow_all(session, limits, now))
