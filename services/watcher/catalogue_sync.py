"""Keeping the watched sources in step with the catalogue."""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.watcher.adapters.held_pushes import left_behind
from services.watcher.adapters.source_reads import all_sources
from services.watcher.adapters.tables import WatchedSource
from services.watcher.domain.joined import one_per_edit
from services.watcher.domain.outcome import Health, Rules, rules_read, rules_text
from shared import outbox
from shared.catalogue_entries import Source

log = logging.getLogger(__name__)


async def sync_catalogue(session: AsyncSession, sources: Iterable[Source], now: datetime) -> None:
    """Make the sources table match the catalogue; spread first polls so none fire at once.

    A paused source, like one taken out of the catalogue, stays in the table (its snapshots
    and state with it) but is not polled until it comes back.
    """
    wanted = {s.url: s for s in sources if not s.paused}
    # First, under the rows' locks, before the rows are read below: what a stopped source's row
    # still holds is sent as it came, as pausing or removing it sends a push that waited
    # (docs/publishing.md). Whether a removed source's editors reviewed its changes is no longer
    # known, so the mailer takes each as a push for a page nobody watches.
    for change in one_per_edit(await left_behind(session, wanted)):
        log.warning(
            "watcher: %s is no longer polled (paused or removed); pushed change %s, which still"
            " waited for its page to be read, is sent as it came",
            change.source_url,
            change.event_id,
        )
        await outbox.record(session, change)
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
        _rules_changed(row, Rules(source.kind, source.selector, tuple(source.ignore)))
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


def _rules_changed(row: WatchedSource, new: Rules) -> None:
    """Prepare a source whose reading rules an editor changed to be read under the new ones.

    The change alone is no news (docs/decisions/0017, «Rules an editor changes»): the row
    keeps the rules its stored text was read under, by which the next new text is judged, and
    its bytes and validators are forgotten, so that the next poll reads the page in full under
    the new rules (a 304 would wait for the day's full read).
    """
    old = Rules(row.kind, row.selector, tuple(row.ignore or ()))
    if old == new:
        return
    before = rules_read(row.rules_before) if row.rules_before else old
    # Changed again before a poll read the page: its stored text is still read under the first.
    row.rules_before = None if row.fingerprint is None or before == new else rules_text(before)
    row.body_hash = row.etag = row.last_modified = None
    # Flipping or rotating was seen under the old rules, which the editor has just changed
    # (what the sources page asks of a rotating source): it is shown again if the page
    # still flips under the new ones.
    row.returned_at = None
