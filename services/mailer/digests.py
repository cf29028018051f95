"""Daily and weekly digests: one mail per person per period, read from the release log at run
time (docs/decisions/0016), plus the pending items a person is owed besides (bulletins, alerts
turned into digest items by a switch of rhythm).

A run is recorded per period key with the last release its digests tell (``through_seq``, fixed
at its start), and works through subscribers in id order, one page per transaction. Each digest
is queued with its window of the log, from the person's cursor to ``through_seq``, and the
cursor moves in the same transaction. A run that dies stays "running"; the next ``run_due``
walks the period again from the start, and since every step is idempotent (one delivery per
subscriber and period; the cursor moves with it) the pages already done add nothing. Two
replicas racing cannot double up. A missed run is made up by the next: a cursor only moves when
a digest is queued, so the next window starts where the last digest ended.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Collection, Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.mailer.adapters import (
    deliveries,
    digest_cursors,
    digest_runs,
    pending_items,
    releases,
)
from services.mailer.digest_reach import digest_since
from services.mailer.domain.digest_window import ReleasedChange, TopicIndex, owed, unalerted
from services.mailer.domain.ledger import Batch, DigestReference
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
        """Queue one digest per person owed changes released before the period's end, or
        pending items created before it."""
        async with self._sessions() as session, session.begin():
            started = await digest_runs.start(session, period, self._clock.now())
            if started is None:
                return 0
        # A run resumed under the key it was recorded under before an upgrade: the deliveries
        # it queued carry that key, and each person gets one digest per period by it.
        key, through = started
        batch = Batch.digest(period, key)
        window = _Window(through)
        queued = analysed_at = 0
        after: uuid.UUID | None = None
        while True:
            async with self._sessions() as session, session.begin():
                ids = await read_api.active_ids_with_frequency(
                    session, period.frequency, after=after, limit=self._page_size
                )
                if not ids:
                    break
                queued += await self._queue_page(session, batch, period.end, window, ids)
                after = ids[-1]
                if queued >= 2 * max(analysed_at, self._page_size):
                    # Each page joins the digests queued so far; the planner must know how many
                    # there are now, or it reads them all for every page (refresh_statistics).
                    await deliveries.refresh_planner_statistics(session, items=False)
                    analysed_at = queued
        async with self._sessions() as session, session.begin():
            await digest_runs.finish(session, key, self._clock.now(), queued)
            if queued >= deliveries.ANALYZE_AFTER:
                await deliveries.refresh_planner_statistics(session)
        log.info("mailer: digest %s queued %d mails", key, queued)
        return queued

    async def _queue_page(
        self,
        session: AsyncSession,
        batch: Batch,
        end: datetime,
        window: _Window,
        ids: list[uuid.UUID],
    ) -> int:
        since = await digest_since(session, ids)
        places = await digest_cursors.told_through(session, ids)
        index = await window.index(session, min((places.get(i, 0) for i in ids), default=0))
        items = await pending_items.owing(session, ids, before=end)
        by_log = {
            i
            for i in ids
            if i not in items
            and index.owes_any(
                after=places.get(i, 0), through=window.through, since=since.get(i, {})
            )
        }
        by_log -= await window.all_alerted(session, by_log, places, since)
        owed = {i for i in ids if i in items} | by_log
        if not owed:
            return 0
        fresh = sorted(owed - await deliveries.having_batch(session, batch.key, owed))
        # The window of the log from a person's place is theirs once their place moves past
        # it; a switch of rhythm or another run that moved it since it was read keeps it.
        moving = {p: places.get(p, 0) for p in fresh if places.get(p, 0) < window.through}
        moved = await digest_cursors.advance(session, moving, window.through)
        by_place: dict[int, list[uuid.UUID]] = {}
        for person in fresh:
            if person in moving and person not in moved:
                continue
            by_place.setdefault(min(places.get(person, 0), window.through), []).append(person)
        inserted = 0
        reference = batch.reference
        assert isinstance(reference, DigestReference)
        for place, people in by_place.items():
            told = Batch(batch.key, reference.window(place, window.through))
            inserted += await deliveries.queue_digests(session, people, told, self._clock.now())
        await pending_items.attach_to_digests(session, batch.key, owed, before=end)
        return inserted


class _Window:
    """The run's changes of the release log, read once from the lowest place a page needs."""

    def __init__(self, through: int) -> None:
        self.through = through
        self._from = through
        self._changes: list[ReleasedChange] = []
        self._index = TopicIndex(())

    async def index(self, session: AsyncSession, after: int) -> TopicIndex:
        """Return the changes of ``(after, through]`` by topic, reading only what is new."""
        if after < self._from:
            older = await releases.between(session, after, self._from)
            self._changes = [ReleasedChange.of(c) for c in older] + self._changes
            self._from = after
            self._index = TopicIndex(self._changes)
        return self._index

    async def all_alerted(
        self,
        session: AsyncSession,
        people: Collection[uuid.UUID],
        places: Mapping[uuid.UUID, int],
        since: Mapping[uuid.UUID, Mapping[str, datetime]],
    ) -> set[uuid.UUID]:
        """Return those of the people every change of whose window an alert told (a switch
        from alerts the mailer had not heard of yet): they are owed no digest."""
        alerted = await deliveries.alerted(session, people, [c.id for c in self._changes])
        return {
            person
            for person, told in alerted.items()
            if not unalerted(
                owed(
                    self._changes,
                    after=places.get(person, 0),
                    through=self.through,
                    since=since.get(person, {}),
                ),
                told,
            )
        }
