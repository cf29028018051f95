"""Cheap reads and writes of watched-source rows for the poll loop.

A poll round touches every due source, and most polls learn nothing new (304, or the same
bytes). So claims are one UPDATE … RETURNING per batch, and those quiet outcomes are written
by one executemany UPDATE per group of polls that finish together (group_writes), instead of
ORM loads.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    String,
    Table,
    Update,
    bindparam,
    case,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from services.watcher.adapters.driver_statements import DriverStatement
from services.watcher.adapters.held_pushes import decoded
from services.watcher.adapters.tables import WatchedSource
from services.watcher.domain.outcome import Health, Outcome, Rules, SourceState, rules_read
from services.watcher.domain.told import RECHECK
from shared.db import UTCDateTime

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
    _c.extraction,
    _c.last_checked_at,
    _c.told_until,
    _c.held_pushes,
    _c.rules_before,
    _c.pending_print,
)


# A status as stored, read back as the vocabulary's member: a dict lookup, where calling the
# enum (``Health(value)``) runs two Python frames of enum machinery for every claimed row.
_HEALTH = {health.value: health for health in Health}
_WIDTH = len(CLAIM_COLUMNS)


def source_state(row: Sequence[Any]) -> SourceState:
    """Return the poll's view of a source row (any row starting with the claim's columns)."""
    # Unpacked by position, in CLAIM_COLUMNS' order: reading a Row's field by name fails the
    # ordinary attribute lookup first (an AttributeError built and dropped each time), about
    # twenty times the cost of unpacking; for every claimed row that was a tenth of a round.
    (id_, url, kind, interval_seconds, selector, ignore, etag, last_modified, body_hash,
     fingerprint, status, consecutive_failures, last_error, title, push_until, missing_since,
     gone_at, extraction, last_checked_at, told_until, held, before,
     pending) = row[:_WIDTH]  # fmt: skip
    return SourceState(
        id=id_,
        url=url,
        rules=Rules(kind, selector, tuple(ignore or ())),
        interval_seconds=interval_seconds,
        status=_HEALTH[status],
        consecutive_failures=consecutive_failures,
        last_error=last_error,
        title=title,
        etag=etag,
        last_modified=last_modified,
        body_hash=body_hash,
        fingerprint=fingerprint,
        push_until=push_until,
        missing_since=missing_since,
        gone_at=gone_at,
        extraction=extraction,
        last_checked_at=last_checked_at,
        told_until=told_until,
        held=decoded(held) if held else (),
        rules_before=rules_read(before) if before else None,
        pending_print=pending,
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
        .returning(*CLAIM_COLUMNS, _c.next_check_at)
    )


# Built once: a statement built per claim costs its cache-key walk every time.
_CLAIM = {locked: DriverStatement(_claim_statement(skip_locked=locked)) for locked in (False, True)}


def claim_rows(
    conn: Connection,
    *,
    now: datetime,
    until: datetime,
    owner: str,
    limit: int,
    skip_locked: bool,
) -> list[SourceState]:
    """Lease up to ``limit`` due sources to ``owner`` in one statement, and return them most
    overdue first.

    Their polls start in this order and take their hosts' turns in it (ADR 0026). In the
    order of their ids, a site with more sources than its turns serve in a poll's window gave
    the turns to its lowest ids at every pass, and its higher ids, put back each time, were
    never polled; a poll put back keeps its due time, so it goes first at its next claim.
    """
    rows = _CLAIM[skip_locked].all(
        conn, {"c_now": now, "c_until": until, "c_owner": owner, "c_limit": limit}
    )
    rows.sort(key=lambda row: (row[_WIDTH], row[0]))  # the due time, then the id
    return [source_state(row) for row in rows]


async def load_claim(session: AsyncSession, source_id: int) -> SourceState | None:
    """Read what polling a source needs, without leasing it."""
    row = (await session.execute(select(*CLAIM_COLUMNS).where(_c.id == source_id))).first()
    return None if row is None else source_state(row)


# Columns a quiet poll sets: a healthy row, as every quiet outcome leaves it (Outcome.quiet).
# A failing source never takes this path (its recovery is an event). A claimed poll writes only
# while the row is still leased to its claim: one that outlasted its lease, the source claimed
# again meanwhile, would have set back the newer poll's validators and schedule, and freed its
# lease for a third. A poll of a source it did not claim (``q_lease`` None) writes as before.
_LEASE = bindparam("q_lease", type_=String(100))
_NEXT = bindparam("q_next", type_=UTCDateTime())
QUIET_UPDATE = (
    update(_SOURCES)
    .where(
        _c.id == bindparam("q_id"),
        _c.status != Health.FAILING.value,
        or_(_LEASE.is_(None), _c.lease_owner == _LEASE),
    )
    .values(
        last_checked_at=bindparam("q_checked"),
        # A push that came while this poll was under way (told.py) wants the page read again
        # soon: the poll was decided on the row as claimed, before the push.
        next_check_at=case(
            (
                (_c.told_until > bindparam("q_checked")) & (bindparam("q_soon") < _NEXT),
                bindparam("q_soon"),
            ),
            else_=_NEXT,
        ),
        # Rules changed while the poll was under way (catalogue_sync dropped the validators):
        # the next poll asks in full, so that they apply at once, not at tomorrow's full read.
        etag=case((_c.rules_before.is_(None), bindparam("q_etag", type_=_c.etag.type)), else_=None),
        last_modified=case(
            (_c.rules_before.is_(None), bindparam("q_modified", type_=_c.last_modified.type)),
            else_=None,
        ),
        lease_owner=None,
        lease_until=None,
        status=Health.OK.value,
        consecutive_failures=0,
        last_error=None,
        missing_since=None,  # a page that answers is not missing
        gone_at=None,
    )
)


def quiet_params(outcome: Outcome, lease: str | None = None) -> dict[str, Any]:
    """Return the bind parameters of the quiet UPDATE for an outcome that is ``quiet``, written
    only while the source is leased to ``lease`` (a claim's own name), if one is given."""
    return {
        "q_id": outcome.source_id,
        "q_lease": lease,
        "q_checked": outcome.checked_at,
        "q_next": outcome.next_check_at,
        "q_soon": outcome.checked_at + RECHECK,
        "q_etag": outcome.etag,
        "q_modified": outcome.last_modified,
    }
