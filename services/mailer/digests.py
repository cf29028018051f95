"""Daily and weekly digests: one mail per person per period, gathering all their pending items.

A run is recorded per period key and works through subscribers in id order, one page per
transaction. A run that dies stays "running"; the next ``run_due`` walks the period again from
the start, and since every step is idempotent (one delivery per subscriber and period, items
attached only once) the pages already done add nothing. Two replicas racing cannot double up.
Items are pending until a digest takes them; a missed run is made up by the next run, which
takes every item created before its period's end (half-open windows: nothing falls between).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.mailer.adapters import deliveries, digest_runs, pending_items
from services.mailer.domain.ledger import Batch
from services.mailer.domain.periods import Period, period_ending_at_or_before
from services.subscriptions import read_api
from shared.clock import Clock
from shared.vocabulary import DIGEST_FREQUENCIES, Frequency

log = logging.getLogger(__name__)

PAGE = 1000


class DigestRunner:
    """Creates digest deliveries for completed periods."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        timezone: str,
        hour: int,
        weekday: int,
        page_size: int = PAGE,
    ) -> None:
        self._sessions = sessions
        self._page_size = page_size
        self._clock = clock
        self._tz = ZoneInfo(timezone)
        self._hour = hour
        self._weekday = weekday

    def latest_period(self, frequency: Frequency, now: datetime) -> Period:
        """Return the newest complete period of a rhythm."""
        return period_ending_at_or_before(
            frequency, now, tz=self._tz, hour=self._hour, weekday=self._weekday
        )

    async def run_due(self) -> int:
        """Run (or resume) the latest period of each rhythm; return deliveries queued."""
        now = self._clock.now()
        queued = 0
        for frequency in DIGEST_FREQUENCIES:
            queued += await self.run_period(self.latest_period(frequency, now))
        return queued

    async def run_period(self, period: Period) -> int:
        """Queue one digest per person with pending items created before the period's end."""
        async with self._sessions() as session, session.begin():
            if not await digest_runs.start(session, period, self._clock.now()):
                return 0
        batch = Batch.digest(period)
        queued = analysed_at = 0
        after: uuid.UUID | None = None
        while True:
            async with self._sessions() as session, session.begin():
                ids = await read_api.active_ids_with_frequency(
                    session, period.frequency, after=after, limit=self._page_size
                )
                if not ids:
                    break
                queued += await self._queue_page(session, batch, period.end, ids)
                after = ids[-1]
                if queued >= 2 * max(analysed_at, self._page_size):
                    # Each page joins the digests queued so far; the planner must know how many
                    # there are now, or it reads them all for every page (refresh_statistics).
                    await deliveries.refresh_planner_statistics(session, items=False)
                    analysed_at = queued
        async with self._sessions() as session, session.begin():
            await digest_runs.finish(session, period.key, self._clock.now(), queued)
            if queued >= deliveries.ANALYZE_AFTER:
                await deliveries.refresh_planner_statistics(session)
        log.info("mailer: digest %s queued %d mails", period.key, queued)
        return queued

    async def _queue_page(
        self, session: AsyncSession, batch: Batch, end: datetime, ids: list[uuid.UUID]
    ) -> int:
        owed = await pending_items.owing(session, ids, before=end)
        if not owed:
            return 0
        fresh = sorted(owed - await deliveries.having_batch(session, batch.key, owed))
        inserted = await deliveries.queue_digests(session, fresh, batch, self._clock.now())
        await pending_items.attach_to_digests(session, batch.key, owed, before=end)
        return inserted
