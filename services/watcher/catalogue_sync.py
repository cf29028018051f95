"""Keeping the watched sources in step with the catalogue."""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.watcher.adapters.source_reads import all_sources
from services.watcher.adapters.tables import WatchedSource
from services.watcher.domain.outcome import Health
from shared.catalogue_entries import Source


async def sync_catalogue(session: AsyncSession, sources: Iterable[Source], now: datetime) -> None:
    """Make the sources table match the catalogue; spread first polls so none fire at once.

    A paused source, like one taken out of the catalogue, stays in the table (its snapshots
    and state with it) but is not polled until it comes back.
    """
    wanted = {s.url: s for s in sources if not s.paused}
    existing = {row.url: row for row in await all_sources(session)}
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
                    status=Health.NEW,
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
