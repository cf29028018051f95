"""Storing a successfully parsed poll in Core statements: one read, then only the writes needed.

A changed page is one SELECT (the source row joined to its latest snapshot), one snapshot
INSERT, one source UPDATE and one outbox INSERT, all in the caller's transaction and run in
one go (one greenlet, or SQLite's writer thread: see group_writes), so no ORM unit of work or
identity map is built for it.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Table, bindparam, func, insert, select, update

from services.watcher.adapters.fetcher import Fetched
from services.watcher.adapters.snapshots import pack, unpack
from services.watcher.adapters.source_rows import RELEASED_HEALTHY, Claim
from services.watcher.adapters.tables import Snapshot, WatchedSource
from services.watcher.domain.content import Content, compare
from services.watcher.domain.news import change_events, diff_url, seen_entries, snapshot_meta
from services.watcher.domain.outbound import carried_text
from shared.outbox import append_statement, outbox_row

log = logging.getLogger(__name__)

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
_CURRENT = (
    select(
        _s.id,
        _s.url,
        _s.kind,
        _s.topics,
        _s.interval_seconds,
        _s.selector,
        _s.ignore,
        _s.fingerprint,
        _s.title,
        _s.status,
        _s.last_changed_at,
        _p.id.label("snap_id"),
        _p.fingerprint.label("snap_fingerprint"),
        _p.content.label("snap_content"),
        _p.meta.label("snap_meta"),
    )
    .select_from(_SOURCES.outerjoin(_SNAPSHOTS, _p.id == _LATEST_ID))
    .where(_s.id == bindparam("source_id"))
)
_CURRENT_LOCKED = _CURRENT.with_for_update(of=_SOURCES)
_INSERT_SNAPSHOT = insert(_SNAPSHOTS).returning(_p.id)
_INSERT_OUTBOX = append_statement()
_STORE = (
    update(_SOURCES)
    .where(_s.id == bindparam("s_id"))
    .values(
        last_checked_at=bindparam("s_checked"),
        next_check_at=bindparam("s_next"),
        etag=bindparam("s_etag"),
        last_modified=bindparam("s_modified"),
        body_hash=bindparam("s_body_hash"),
        fingerprint=bindparam("s_fingerprint"),
        title=bindparam("s_title"),
        last_changed_at=bindparam("s_changed"),
        **RELEASED_HEALTHY,
    )
)
_RESCHEDULE = (
    update(_SOURCES)
    .where(_s.id == bindparam("s_id"))
    .values(
        last_checked_at=bindparam("s_checked"),
        next_check_at=bindparam("s_checked"),
        body_hash=None,
        lease_owner=None,
        lease_until=None,
    )
)

# Returned when the row turned failing meanwhile: the caller takes the path that tells operators.
FAILING = "failing"


@dataclass(frozen=True, slots=True)
class Parsed:
    """A poll that fetched new bytes and parsed them."""

    claim: Claim
    fetched: Fetched
    body_hash: str
    content: Content
    now: datetime


def store_parsed(conn: Connection, *, parsed: Parsed, admin_url: str, lock: bool) -> str:
    """Store a parsed poll in the connection's transaction; return the outcome."""
    claim, content, now = parsed.claim, parsed.content, parsed.now
    row = conn.execute(_CURRENT_LOCKED if lock else _CURRENT, {"source_id": claim.id}).first()
    if row is None:
        return "gone"
    if row.status == "failing":
        return FAILING
    if (row.kind, row.selector, tuple(row.ignore or ())) != (
        claim.kind,
        claim.selector,
        claim.ignore,
    ):
        # The catalogue changed the extraction rules mid-poll: poll again under the new ones.
        conn.execute(_RESCHEDULE, {"s_id": row.id, "s_checked": now})
        return "rules-changed"
    params: dict[str, Any] = {
        "s_id": row.id,
        "s_checked": now,
        "s_next": now + timedelta(seconds=row.interval_seconds * random.uniform(0.9, 1.1)),
        "s_etag": parsed.fetched.etag,
        "s_modified": parsed.fetched.last_modified,
        "s_body_hash": parsed.body_hash,
        # Hashes all the text: computed once, and _outcome reads it from here.
        "s_fingerprint": content.fingerprint,
        "s_title": row.title,
        "s_changed": row.last_changed_at,
    }
    outcome = _outcome(conn, row, content, now, params, admin_url)
    conn.execute(_STORE, params)
    return outcome


def _outcome(
    conn: Connection,
    row: Any,
    content: Content,
    now: datetime,
    params: dict[str, Any],
    admin_url: str,
) -> str:
    # The row mirrors its latest snapshot's fingerprint: equal means nothing to store.
    fingerprint: str = params["s_fingerprint"]
    if fingerprint in (row.fingerprint, row.snap_fingerprint):
        return "unchanged"
    old: Content | None = None
    seen: dict[str, str] = {}
    if row.snap_id is not None:
        old = unpack(row.snap_content)
        seen = seen_entries(row.snap_meta, old)
    title = carried_text(content.title)[:500]  # a NUL from a feed would fail on PostgreSQL
    snapshot_id: int = conn.execute(
        _INSERT_SNAPSHOT,
        {
            "source_id": row.id,
            "taken_at": now,
            "fingerprint": fingerprint,
            "title": title,
            "published": content.published,
            "updated": content.updated,
            "content": pack(content),
            "meta": snapshot_meta(seen, content),
        },
    ).scalar_one()
    params["s_title"] = title
    if old is None:
        log.info("watcher: baseline for %s taken; nobody is alerted", row.url)
        return "baseline"
    link = diff_url(admin_url, row.id, row.snap_id, snapshot_id)
    events = change_events(row, content, compare(old, content), seen, link)
    if not events:
        return "unchanged"
    params["s_changed"] = now
    conn.execute(_INSERT_OUTBOX, [outbox_row(event) for event in events])
    log.info("watcher: %s changed", row.url)
    return "changed"
