"""Storing a poll's outcome in Core statements: one read of the row, then only the writes needed.

A changed page is one SELECT (the source row joined to its latest snapshot), one snapshot
INSERT, one source UPDATE and one outbox INSERT, all in the caller's transaction and run in
one go (one greenlet, or one call on a SQLite writer's connection: see group_writes), so no
ORM unit of work or identity map is built for it. What to write is decided by ``decide``
(domain/decide.py) on the row as read here, under its lock; this module only stores the
outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import Connection, Table, bindparam, case, func, insert, select, update

from services.watcher.adapters import held_pushes
from services.watcher.adapters.driver_statements import DriverStatement
from services.watcher.adapters.snapshots import pack, unpack
from services.watcher.adapters.source_rows import CLAIM_COLUMNS, source_state
from services.watcher.adapters.tables import URL_CHARS, Snapshot, WatchedSource
from services.watcher.domain.joined import one_per_edit
from services.watcher.domain.model import EXTRACTION
from services.watcher.domain.news import diff_url
from services.watcher.domain.outcome import History, Outcome, Previous, SourceState
from services.watcher.domain.returns import ROTATION_SNAPSHOTS, Recent
from services.watcher.domain.variants import Versions
from shared.db import UTCDateTime
from shared.outbox import append_statement, outbox_row

_SOURCES: Table = WatchedSource.__table__  # type: ignore[assignment]
_SNAPSHOTS: Table = Snapshot.__table__  # type: ignore[assignment]
_s = _SOURCES.c
_p = _SNAPSHOTS.c

_older = _SNAPSHOTS.alias("older")
_LATEST_ID = (
    select(func.max(_older.c.id))
    .where(_older.c.source_id == _s.id)
    .correlate(_SOURCES)
    .scalar_subquery()
)
# Built once: a statement built per poll costs its cache-key walk every time.
# The lease is read beside the claim's columns: a claimed poll stores only while it holds it.
_ROW = select(*CLAIM_COLUMNS, _s.lease_owner).where(_s.id == bindparam("source_id"))
_WITH_HISTORY = (
    select(
        *CLAIM_COLUMNS,
        _s.lease_owner,
        _s.topics,
        _s.last_changed_at,
        _p.id.label("snap_id"),
        _p.fingerprint.label("snap_fingerprint"),
        _p.content.label("snap_content"),
        _p.meta.label("snap_meta"),
    )
    .select_from(_SOURCES.outerjoin(_SNAPSHOTS, _p.id == _LATEST_ID))
    .where(_s.id == bindparam("source_id"))
)
_READ = {
    (history, lock): DriverStatement(statement.with_for_update(of=_SOURCES) if lock else statement)
    for history, statement in ((False, _ROW), (True, _WITH_HISTORY))
    for lock in (False, True)
}
_SNAPSHOT_KEYS = (
    "source_id",
    "taken_at",
    "fingerprint",
    "title",
    "published",
    "updated",
    "content",
    "meta",
)
# The latest snapshots' fingerprints, read only when new text differs from the latest: on
# the index of source_id (SQLite's holds the rowid, so it also gives the order).
_RECENT = DriverStatement(
    select(_p.fingerprint, _p.taken_at)
    .where(_p.source_id == bindparam("source_id"))
    .order_by(_p.id.desc())
    .limit(ROTATION_SNAPSHOTS)
)
_VERSIONS = DriverStatement(
    select(_p.content, _p.taken_at)
    .where(_p.source_id == bindparam("source_id"))
    .order_by(_p.id.desc())
    .limit(ROTATION_SNAPSHOTS)
)
_INSERT_SNAPSHOT = DriverStatement(insert(_SNAPSHOTS), column_keys=_SNAPSHOT_KEYS)
_INSERT_OUTBOX = DriverStatement(append_statement())
_SETTLED: dict[str, Any] = {
    "last_checked_at": bindparam("s_checked"),
    "next_check_at": bindparam("s_next"),
    "etag": bindparam("s_etag"),
    "last_modified": bindparam("s_modified"),
    "body_hash": bindparam("s_body_hash"),
    "status": bindparam("s_status"),
    "consecutive_failures": bindparam("s_failures"),
    "last_error": bindparam("s_error"),
    "missing_since": bindparam("s_missing"),
    "gone_at": bindparam("s_gone"),
    "lease_owner": None,
    "lease_until": None,
    "pending_print": bindparam("s_pending"),
    # The push's mark this poll used up (domain/told.py), and only that one: a push after the
    # read would keep its own for the next new text. None comes (store_outcome reads the row
    # under its lock); this guards the mark should that ever change.
    "told_until": case(
        (_s.told_until == bindparam("s_told", type_=UTCDateTime()), None),
        else_=_s.told_until,
    ),
}
_SETTLE = DriverStatement(update(_SOURCES).where(_s.id == bindparam("s_id")).values(**_SETTLED))
_STORE = DriverStatement(
    update(_SOURCES)
    .where(_s.id == bindparam("s_id"))
    .values(
        **_SETTLED,
        fingerprint=bindparam("s_fingerprint"),
        extraction=EXTRACTION,  # what is stored is read under today's rules (decide._compared)
        rules_before=None,  # and under the source's own
        title=bindparam("s_title"),
        last_changed_at=bindparam("s_changed"),
        moved_to=bindparam("s_moved"),
        returned_at=func.coalesce(bindparam("s_returned"), _s.returned_at),
    )
)

Decision = Callable[[SourceState, History | None], Outcome]


@dataclass(frozen=True, slots=True)
class LeaseLost:
    """A claimed poll ran past its lease and the source was claimed again: nothing was stored.

    The newer poll decides on what it fetched later; stored after it, the older answer set its
    text back as a new snapshot, or counted a failure against a source that answers.
    """

    holder: str | None  # who leases the source now (None: nobody, the newer poll is done)


def store_outcome(
    conn: Connection,
    *,
    source_id: int,
    decide: Decision,
    history: bool,
    admin_url: str,
    lock: bool,
    lease: str | None = None,
) -> Outcome | LeaseLost | None:
    """Read the row (and its history when new content is compared), decide, store the outcome.

    With a ``lease`` (a claim's own name), only while the row is still leased to it. Returns
    None when the source is gone.
    """
    # The row is read under its lock, so no push (publisher_keys.mark_told) commits between
    # this read and the writes: ``lock`` reads it FOR UPDATE (PostgreSQL); on a SQLite file
    # the transaction began with the write lock (group_writes.SqliteFileTransactions' BEGIN
    # IMMEDIATE; an in-memory database has no second connection to push from). Read unlocked,
    # a push for the new text read here, the source's last change over an hour old, was sent
    # at once and marked the source (told_until): this poll alerted that text a second time
    # and left the mark, which silenced the page's next edit. A push past the limit joined a
    # held push this poll read into a change of its own id (told.kept), which ``take`` then
    # left to the next read, to be dropped as «repeated» when the page still showed this text.
    row = _READ[history, lock].first(conn, {"source_id": source_id})
    if row is None:
        return None
    holder = row[len(CLAIM_COLUMNS)]
    if lease is not None and holder != lease:
        return LeaseLost(holder)
    state = source_state(row)
    outcome = decide(state, _history(conn, source_id, row) if history else None)
    params: dict[str, Any] = {
        "s_id": outcome.source_id,
        "s_checked": outcome.checked_at,
        "s_next": outcome.next_check_at,
        "s_etag": outcome.etag,
        "s_modified": outcome.last_modified,
        "s_body_hash": outcome.body_hash,
        "s_status": outcome.status.value,
        "s_failures": outcome.consecutive_failures,
        "s_error": outcome.last_error,
        "s_missing": outcome.missing_since,
        "s_gone": outcome.gone_at,
        "s_told": outcome.told,
        "s_pending": state.pending_print if outcome.pending is False else outcome.pending,
    }
    events: list[Any] = list(outcome.alerts)
    stored = outcome.stored
    if stored is None:
        _SETTLE.execute(conn, params)
    else:
        link = None
        if stored.snapshot is not None:
            snapshot = stored.snapshot
            snapshot_id = _INSERT_SNAPSHOT.inserted_id(
                conn,
                {
                    "source_id": outcome.source_id,
                    "taken_at": outcome.checked_at,
                    "fingerprint": snapshot.fingerprint,
                    "title": snapshot.title,
                    "published": snapshot.published,
                    "updated": snapshot.updated,
                    "content": pack(snapshot.content),
                    "meta": snapshot.meta,
                },
            )
            if stored.previous_id is not None:
                link = diff_url(admin_url, outcome.source_id, stored.previous_id, snapshot_id)
        events += outcome.linked_changes(link)
        params["s_fingerprint"] = stored.fingerprint
        params["s_title"] = stored.title
        params["s_changed"] = stored.last_changed_at
        moved = outcome.moved_to
        # An address longer than the column (a redirect's, with a long query) is not kept: the
        # change is stored and told all the same; only a removal notice will not name it.
        params["s_moved"] = moved if moved is None or len(moved) <= URL_CHARS else None
        params["s_returned"] = stored.returned_at
        _STORE.execute(conn, params)
    if outcome.released or outcome.dropped:
        # Sent once: only those this poll takes off the row (held_pushes.take); and as one
        # change per page for its real edits, as they settle on one read (joined.py).
        taken = held_pushes.take(conn, outcome.source_id, outcome.released + outcome.dropped)
        events += one_per_edit([e for e in outcome.released if str(e.event_id) in taken])
    _INSERT_OUTBOX.executemany(conn, [outbox_row(event) for event in events])
    return outcome


def _history(conn: Connection, source_id: int, row: Sequence[Any]) -> History:
    # By position, after the claim's columns and the lease: a row read on sqlite3's cursor
    # has no names.
    topics, last_changed_at, snap_id, snap_fingerprint, snap_content, snap_meta = row[
        len(CLAIM_COLUMNS) + 1 :
    ]
    previous = None
    if snap_id is not None:
        previous = Previous(snap_id, snap_fingerprint, snap_meta, partial(unpack, snap_content))
    recent = partial(_recent, conn, source_id)
    versions = partial(_versions, conn, source_id)
    return History(tuple(topics or ()), last_changed_at, previous, recent, versions)


def _recent(conn: Connection, source_id: int) -> Recent:
    """Return (fingerprint, taken_at) of the source's latest snapshots, newest first."""
    return [(fp, taken_at) for fp, taken_at in _RECENT.all(conn, {"source_id": source_id})]


def _versions(conn: Connection, source_id: int) -> Versions:
    """Return (blocks, taken_at) of the source's latest snapshots, newest first."""
    rows = _VERSIONS.all(conn, {"source_id": source_id})
    return [(unpack(content).blocks, taken_at) for content, taken_at in rows]
