"""Polling a source: fetch, extract, compare with the last snapshot, emit real changes only."""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import logging
import random
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.watcher.adapters.fetcher import Fetched, Fetcher, FetchError
from services.watcher.adapters.group_writes import GroupWrites, Transactions, transactions_for
from services.watcher.adapters.source_rows import Claim, QuietOutcome, claim_rows, load_claim
from services.watcher.adapters.tables import WatchedSource
from services.watcher.content_store import FAILING, Parsed, store_parsed
from services.watcher.domain.content import Content, ContentError, parse_content
from services.watcher.health import failing_event, recovered_event
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
    admin_url: str  # ContentChanged.diff_url points into the admin pages
    # The hot statements (claims, outcomes) run here, off the ORM; see group_writes.
    transactions: Transactions = field(init=False)
    writes: GroupWrites = field(init=False)
    # Parsing and SQLite's writes run off the event loop, so pages served from the same
    # process do not wait on them, and both on one thread: they hold the GIL for most of their
    # work, so threads of their own would only take turns, and each thread that wants the GIL
    # while another has it costs a forced switch and the wake-ups around it (about a tenth of
    # a bench/watcher round's CPU with a parser thread and a writer thread).
    worker: ThreadPoolExecutor = field(init=False)

    def __post_init__(self) -> None:
        worker = ThreadPoolExecutor(1, thread_name_prefix="watcher-worker")
        transactions = transactions_for(self.sessions.kw["bind"], worker)
        object.__setattr__(self, "worker", worker)
        object.__setattr__(self, "transactions", transactions)
        object.__setattr__(self, "writes", GroupWrites(transactions))

    async def aclose(self) -> None:
        """Finish the writes under way; release the fetcher, the writer and the worker thread."""
        await self.writes.aclose()
        await self.fetcher.aclose()
        self.worker.shutdown(wait=False)  # a parse under way ends on its own; nobody waits


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


async def claim_due(deps: WatcherDeps, limit: int = 50) -> list[Claim]:
    """Lease due sources to this poller (SKIP LOCKED lets replicas share the work)."""
    now = deps.clock.now()
    return await deps.transactions.run(
        partial(
            claim_rows,
            now=now,
            until=now + LEASE,
            owner=deps.owner,
            limit=limit,
            skip_locked=not deps.sqlite,
        )
    )


async def poll(deps: WatcherDeps, source: Claim | int) -> str:
    """Poll one source (a claim, or an id read afresh); return what happened."""
    if isinstance(source, int):
        async with deps.sessions() as session:
            loaded = await load_claim(session, source)
        if loaded is None:
            return "gone"
        source = loaded
    fetched, error = await _fetch(deps, source)
    body_hash = None
    if fetched is not None and not fetched.not_modified:
        body_hash = hashlib.sha256(fetched.body).hexdigest()
    same_bytes = body_hash is not None and source.has_baseline and body_hash == source.body_hash
    now = deps.clock.now()
    if fetched is not None and (fetched.not_modified or same_bytes) and not source.failing:
        # Nothing new and no status to change: one batched UPDATE, no ORM, no parsing.
        validators = fetched if same_bytes else source
        await deps.writes.quiet(
            QuietOutcome(
                source_id=source.id,
                checked_at=now,
                next_check_at=_jittered(now, source.interval_seconds),
                etag=validators.etag,
                last_modified=validators.last_modified,
            )
        )
        return "unchanged" if same_bytes else "not-modified"
    content: Content | None = None
    if fetched is not None and not fetched.not_modified and not same_bytes:
        try:
            # Parsed before the transaction opens, so no row lock waits on the parser.
            content = await asyncio.get_running_loop().run_in_executor(
                deps.worker,
                partial(
                    contextvars.copy_context().run,  # as asyncio.to_thread does: log context
                    parse_content,
                    source.kind,  # type: ignore[arg-type]
                    fetched.body,
                    content_type=fetched.content_type,
                    selector=source.selector,
                    ignore=source.ignore,
                ),
            )
        except ContentError as exc:
            fetched, error = None, f"no usable content: {exc}"
    parsed = None
    if content is not None and fetched is not None and body_hash is not None:
        parsed = Parsed(source, fetched, body_hash, content, now)
        if not source.failing:
            outcome = await deps.writes.write(
                partial(store_parsed, parsed=parsed, admin_url=deps.admin_url, lock=not deps.sqlite)
            )
            if outcome != FAILING:
                return outcome
    # Failures and recoveries change the status and may tell operators: the ORM path.
    async with deps.sessions() as session, session.begin():
        row = await session.get(WatchedSource, source.id, with_for_update=True)
        if row is None:
            return "gone"
        row.last_checked_at = now
        row.next_check_at = _jittered(now, row.interval_seconds)
        row.lease_owner = None
        row.lease_until = None
        if fetched is None:
            return await _failed(deps, session, row, error or "unknown error")
        if parsed is not None and _rules_changed(row, source):
            # The catalogue changed the extraction rules mid-poll: poll again under the new ones.
            row.body_hash = None
            row.next_check_at = now
            return "rules-changed"
        await _succeeded(session, row)
        if parsed is None:
            if not fetched.not_modified:
                row.etag, row.last_modified = fetched.etag, fetched.last_modified
            return "not-modified" if fetched.not_modified else "unchanged"
        await session.flush()  # the status is reset; the content is stored like any other
        conn = await session.connection()
        return await conn.run_sync(
            store_parsed, parsed=parsed, admin_url=deps.admin_url, lock=not deps.sqlite
        )


async def _fetch(deps: WatcherDeps, source: Claim) -> tuple[Fetched | None, str | None]:
    try:
        fetched = await deps.fetcher.fetch(
            source.url, etag=source.etag, last_modified=source.last_modified
        )
    except FetchError as exc:
        return None, str(exc)
    except Exception as exc:
        log.exception("watcher: unexpected error fetching %s", source.url)
        return None, f"unexpected error: {type(exc).__name__}"
    return fetched, None


def _rules_changed(row: WatchedSource, source: Claim) -> bool:
    return (row.kind, row.selector, tuple(row.ignore or ())) != (
        source.kind,
        source.selector,
        source.ignore,
    )


async def _failed(deps: WatcherDeps, session: AsyncSession, row: WatchedSource, reason: str) -> str:
    row.consecutive_failures += 1
    row.last_error = reason[:2000]
    if row.consecutive_failures == deps.failure_threshold:
        row.status = "failing"
        log.error(
            "watcher: source %s is failing after %d attempts in a row: %s",
            row.url,
            row.consecutive_failures,
            reason,
        )
        # Told once: in the same transaction that flips the status.
        await record(session, failing_event(row))
    else:
        log.warning(
            "watcher: poll of %s failed (%d in a row): %s",
            row.url,
            row.consecutive_failures,
            reason,
        )
    return "failed"


async def _succeeded(session: AsyncSession, row: WatchedSource) -> None:
    if row.status == "failing":
        log.warning("watcher: source %s has recovered", row.url)
        await record(session, recovered_event(row))
    row.status = "ok"
    row.consecutive_failures = 0
    row.last_error = None


async def release_stale_leases(session: AsyncSession, now: datetime) -> None:
    """Free sources whose poller died holding them."""
    await session.execute(
        update(WatchedSource)
        .where(WatchedSource.lease_until.is_not(None), WatchedSource.lease_until < now)
        .values(lease_owner=None, lease_until=None)
    )
