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

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.mailer.adapters.tables import Delivery, DigestRun, PendingItem
from services.mailer.domain.periods import Period, period_ending_at_or_before
from services.mailer.handlers import ANALYZE_AFTER, delivery_row
from services.subscriptions import read_api
from shared.clock import Clock
from shared.db import refresh_statistics

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

    def latest_period(self, frequency: str, now: datetime) -> Period:
        """Return the newest complete period of a rhythm."""
        return period_ending_at_or_before(
            frequency,  # type: ignore[arg-type]
            now,
            tz=self._tz,
            hour=self._hour,
            weekday=self._weekday,
        )

    async def run_due(self) -> int:
        """Run (or resume) the latest period of each rhythm; return deliveries queued."""
        now = self._clock.now()
        queued = 0
        for frequency in ("daily", "weekly"):
            queued += await self.run_period(self.latest_period(frequency, now))
        return queued

    async def _start(self, period: Period) -> DigestRun | None:
        async with self._sessions() as session, session.begin():
            run = await session.scalar(select(DigestRun).where(DigestRun.key == period.key))
            if run is not None:
                return None if run.status == "done" else run
            run = DigestRun(
                key=period.key,
                frequency=period.frequency,
                period_start=period.start,
                period_end=period.end,
                status="running",
                started_at=self._clock.now(),
                deliveries=0,
            )
            session.add(run)
            try:
                await session.flush()
            except IntegrityError:
                return None  # another replica started it a moment ago and will finish it
            return run

    async def run_period(self, period: Period) -> int:
        """Queue one digest per person with pending items created before the period's end."""
        run = await self._start(period)
        if run is None:
            return 0
        queued = analysed_at = 0
        after: uuid.UUID | None = None
        while True:
            async with self._sessions() as session, session.begin():
                ids = await read_api.active_ids_with_frequency(
                    session, period.frequency, after=after, limit=self._page_size
                )
                if not ids:
                    break
                queued += await self._queue_page(session, period, ids)
                after = ids[-1]
                if queued >= 2 * max(analysed_at, self._page_size):
                    # Each page joins the digests queued so far; the planner must know how many
                    # there are now, or it reads them all for every page (refresh_statistics).
                    await refresh_statistics(session, Delivery)
                    analysed_at = queued
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(DigestRun)
                .where(DigestRun.key == period.key)
                .values(
                    status="done",
                    finished_at=self._clock.now(),
                    deliveries=DigestRun.deliveries + queued,
                )
            )
            if queued >= ANALYZE_AFTER:
                await refresh_statistics(session, Delivery, PendingItem)
        log.info("mailer: digest %s queued %d mails", period.key, queued)
        return queued

    async def _queue_page(self, session: AsyncSession, period: Period, ids: list[uuid.UUID]) -> int:
        owed = set(
            (
                await session.scalars(
                    select(PendingItem.subscriber_id)
                    .where(
                        PendingItem.subscriber_id.in_(ids),
                        PendingItem.delivery_id.is_(None),
                        PendingItem.created_at < period.end,
                    )
                    .distinct()
                )
            ).all()
        )
        if not owed:
            return 0
        already = set(
            (
                await session.scalars(
                    select(Delivery.subscriber_id).where(
                        Delivery.batch_key == period.key, Delivery.subscriber_id.in_(owed)
                    )
                )
            ).all()
        )
        fresh = sorted(owed - already)
        now = self._clock.now()
        reference = {
            "frequency": period.frequency,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
        }
        inserted = 0
        if fresh:
            # Another replica may walk the same period at the same moment (two mailers starting
            # together): whoever comes second skips the rows the first wrote, quietly.
            dialect = session.get_bind().dialect.name
            upsert = pg_insert if dialect == "postgresql" else sqlite_insert
            result = await session.execute(
                upsert(Delivery)
                .on_conflict_do_nothing(index_elements=["subscriber_id", "batch_key"])
                .returning(Delivery.id),
                [
                    delivery_row(
                        subscriber_id=s,
                        batch_key=period.key,
                        kind="digest",
                        reference=reference,
                        now=now,
                    )
                    for s in fresh
                ],
            )
            inserted = len(result.all())
        # Attach each person's open items to their queued digest in one joined UPDATE (not one
        # per person, and not a correlated subquery per item: this is most of a run's time).
        await session.execute(
            update(PendingItem)
            .where(
                Delivery.subscriber_id == PendingItem.subscriber_id,
                Delivery.batch_key == period.key,
                Delivery.status == "queued",
                # Said of both tables, so the digests are found by (subscriber, batch) rather
                # than by reading every digest queued so far in this run: that made each page
                # slower than the last (7 s per page of 1,000 once 60,000 were queued).
                Delivery.subscriber_id.in_(owed),
                PendingItem.subscriber_id.in_(owed),
                PendingItem.delivery_id.is_(None),
                PendingItem.created_at < period.end,
            )
            .values(delivery_id=Delivery.id)
            .execution_options(synchronize_session=False)
        )
        return inserted
