"""Polling a source: fetch, extract, compare with the last snapshot, emit real changes only."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.watcher.adapters.fetcher import Fetched, Fetcher, FetchError
from services.watcher.adapters.snapshots import pack, unpack
from services.watcher.adapters.tables import Snapshot, WatchedSource
from services.watcher.domain.content import Content, ContentError, compare, parse_content
from services.watcher.news import change_events, seen_entries, snapshot_meta
from shared.catalogue import Source
from shared.clock import Clock
from shared.outbox import record

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class WatcherDeps:
    """What polling needs."""

    sessions: async_sessionmaker[AsyncSession]
    fetcher: Fetcher
    clock: Clock
    failure_threshold: int
    owner: str
    sqlite: bool


def _jittered(now: datetime, interval: int) -> datetime:
    return now + timedelta(seconds=interval * random.uniform(0.9, 1.1))


async def sync_catalogue(session: AsyncSession, sources: Iterable[Source], now: datetime) -> None:
    """Make the sources table match the catalogue; spread first polls so none fire at once."""
    wanted = {s.url: s for s in sources}
    existing = {row.url: row for row in (await session.scalars(select(WatchedSource))).all()}
    for url, source in wanted.items():
        row = existing.get(url)
        # A restart must not fire every overdue source at the same moment.
        first = now + timedelta(seconds=random.uniform(0, min(source.interval, 30)))
        if row is None:
            session.add(
                WatchedSource(
                    url=url,
                    kind=source.kind,
                    topics=list(source.topics),
                    interval_seconds=source.interval,
                    selector=source.selector,
                    ignore=list(source.ignore),
                    active=True,
                    status="new",
                    consecutive_failures=0,
                    next_check_at=first,
                )
            )
            continue
        if (
            row.kind != source.kind
            or row.selector != source.selector
            or row.ignore != list(source.ignore)
        ):
            row.body_hash = None  # extraction rules changed: re-extract the next body
        row.kind = source.kind
        row.topics = list(source.topics)
        row.interval_seconds = source.interval
        row.selector = source.selector
        row.ignore = list(source.ignore)
        row.active = True
        if row.next_check_at is None or row.next_check_at < now:
            row.next_check_at = first
    for url, row in existing.items():
        if url not in wanted:
            row.active = False


async def claim_due(deps: WatcherDeps, limit: int = 50) -> list[int]:
    """Lease due sources to this poller (SKIP LOCKED lets replicas share the work)."""
    now = deps.clock.now()
    async with deps.sessions() as session, session.begin():
        query = (
            select(WatchedSource)
            .where(
                WatchedSource.active.is_(True),
                WatchedSource.next_check_at <= now,
                (WatchedSource.lease_until.is_(None)) | (WatchedSource.lease_until < now),
            )
            .order_by(WatchedSource.next_check_at)
            .limit(limit)
        )
        if not deps.sqlite:
            query = query.with_for_update(skip_locked=True)
        rows = list((await session.scalars(query)).all())
        for row in rows:
            row.lease_owner = deps.owner
            row.lease_until = now + LEASE
        return [row.id for row in rows]


async def poll(deps: WatcherDeps, source_id: int) -> str:
    """Poll one leased source; return what happened (for logs and tests)."""
    async with deps.sessions() as session:
        source = await session.get(WatchedSource, source_id)
        if source is None:
            return "gone"
        url, etag, last_modified = source.url, source.etag, source.last_modified
    try:
        fetched: Fetched | None = await deps.fetcher.fetch(
            url, etag=etag, last_modified=last_modified
        )
        error = None
    except FetchError as exc:
        fetched, error = None, str(exc)
    except Exception as exc:
        log.exception("watcher: unexpected error fetching %s", url)
        fetched, error = None, f"unexpected error: {type(exc).__name__}"
    async with deps.sessions() as session, session.begin():
        source = await session.get(WatchedSource, source_id, with_for_update=True)
        if source is None:
            return "gone"
        now = deps.clock.now()
        source.last_checked_at = now
        source.next_check_at = _jittered(now, source.interval_seconds)
        source.lease_owner = None
        source.lease_until = None
        if fetched is None:
            return _failed(deps, source, error or "unknown error")
        return await _apply(deps, session, source, fetched, now)


def _failed(deps: WatcherDeps, source: WatchedSource, reason: str) -> str:
    source.consecutive_failures += 1
    source.last_error = reason[:2000]
    if source.consecutive_failures == deps.failure_threshold:
        source.status = "failing"
        log.error(
            "watcher: source %s is failing after %d attempts in a row: %s",
            source.url,
            source.consecutive_failures,
            reason,
        )
    else:
        log.warning(
            "watcher: poll of %s failed (%d in a row): %s",
            source.url,
            source.consecutive_failures,
            reason,
        )
    return "failed"


def _succeeded(source: WatchedSource) -> None:
    if source.status == "failing":
        log.warning("watcher: source %s has recovered", source.url)
    source.status = "ok"
    source.consecutive_failures = 0
    source.last_error = None


async def _apply(
    deps: WatcherDeps, session: AsyncSession, source: WatchedSource, fetched: Fetched, now: datetime
) -> str:
    if fetched.not_modified:
        _succeeded(source)
        return "not-modified"
    body_hash = hashlib.sha256(fetched.body).hexdigest()
    if body_hash == source.body_hash and source.fingerprint is not None:
        # Byte-identical body: nothing to extract.
        _succeeded(source)
        source.etag, source.last_modified = fetched.etag, fetched.last_modified
        return "unchanged"
    try:
        content = await asyncio.to_thread(
            parse_content,
            source.kind,  # type: ignore[arg-type]
            fetched.body,
            content_type=fetched.content_type,
            selector=source.selector,
            ignore=tuple(source.ignore),
        )
    except ContentError as exc:
        return _failed(deps, source, f"no usable content: {exc}")
    _succeeded(source)
    source.etag, source.last_modified, source.body_hash = (
        fetched.etag,
        fetched.last_modified,
        body_hash,
    )
    previous = await session.scalar(
        select(Snapshot)
        .where(Snapshot.source_id == source.id)
        .order_by(Snapshot.id.desc())
        .limit(1)
    )
    if previous is not None and previous.fingerprint == content.fingerprint:
        return "unchanged"
    old: Content | None = None
    seen: dict[str, str] = {}
    if previous is not None:
        old = unpack(previous.content)
        seen = seen_entries(previous.meta, old)
    session.add(
        Snapshot(
            source_id=source.id,
            taken_at=now,
            fingerprint=content.fingerprint,
            title=content.title[:500],
            published=content.published,
            updated=content.updated,
            content=pack(content),
            meta=snapshot_meta(seen, content),
        )
    )
    source.fingerprint = content.fingerprint
    source.title = content.title[:500]
    if old is None:
        log.info("watcher: baseline for %s taken; nobody is alerted", source.url)
        return "baseline"
    events = change_events(source, content, compare(old, content), seen)
    if not events:
        return "unchanged"
    source.last_changed_at = now
    await session.flush()
    record(session, *events)
    log.info("watcher: %s changed", source.url)
    return "changed"


async def release_stale_leases(session: AsyncSession, now: datetime) -> None:
    """Free sources whose poller died holding them."""
    await session.execute(
        update(WatchedSource)
        .where(WatchedSource.lease_until.is_not(None), WatchedSource.lease_until < now)
        .values(lease_owner=None, lease_until=None)
    )
