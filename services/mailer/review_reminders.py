"""Reminding editors, once, of a change that has waited on the desk longer than it should.

A change goes to the editors its topics name (``editors`` in the catalogue) that have an
address; only when none has one, to every editor with an address. Editors are staff, not
subscribers: the ledger names each by their account's id, and their address is read through
the admin's ``read_api`` when the mail is built. The change is marked reminded and a mail per
editor queued in the delivery ledger in one transaction; the delivery worker sends them after
the commit, with its retries and its hand-over (docs/decisions/0020), so a relay that is down
holds up no transaction and loses no reminder, and none is sent twice. The conditional mark
lets one mailer replica remind of a change, not every one.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.admin import read_api as staff
from services.mailer.adapters import deliveries, reviews
from services.mailer.domain.ledger import Batch
from services.mailer.domain.review import ChangeStatus, is_overdue, reminder_recipients
from shared.clock import Clock
from shared.db import transaction
from shared.settings import Settings

log = logging.getLogger(__name__)

# Changes reminded of per run; a longer backlog is taken by the next runs, a minute apart.
BATCH: Final = 50
# A topic may name operators as its editors too; the fallback reaches editors only.
REMINDED_ROLES: Final = ("editor", "operator")


class ReviewReminders:
    """The mailer's job that queues mails to editors about changes waiting too long for review."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        clock: Clock,
        *,
        wake: asyncio.Event | None = None,
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        self._clock = clock
        self._wake = wake  # the delivery worker's: it sends the reminders at once

    async def remind_overdue(self) -> int:
        """Queue a reminder to the editors of each newly overdue change's topics (every editor
        when its topics name none with an address); return how many changes they are reminded
        of."""
        now = self._clock.now()
        after = timedelta(seconds=self._settings.review_reminder_after)
        async with transaction(self._sessions) as session:
            found = await reviews.unreminded_waiting(session, now - after, BATCH)
            overdue = [
                change
                for change in found
                if is_overdue(
                    ChangeStatus(change.status),
                    change.occurred_at,
                    now,
                    after=after,
                    reminded_at=change.reminded_at,
                )
            ]
            if not overdue:
                return 0
            marked = set(await reviews.mark_reminded(session, [c.id for c in overdue], now))
            addressees = await staff.staff_addressees(session, REMINDED_ROLES)
            named = await staff.editors_by_topic(session)
            batches = []
            for change in (c for c in overdue if c.id in marked):
                # The topics the change was found for: its source's topics when it arrived.
                names = {name for slug in change.topics for name in named.get(slug, ())}
                editors = reminder_recipients(names, addressees)
                if not editors:
                    log.warning("review: change %s is overdue; no editor has an address", change.id)
                batches += [Batch.review_reminder(change.id, e.user_id) for e in editors]
            await deliveries.queue_staff(session, batches, now)
        log.info(
            "review: %d reminder(s) of %d change(s) waiting on the desk queued",
            len(batches),
            len(marked),
        )
        if batches and self._wake is not None:
            self._wake.set()
        return len(marked)
