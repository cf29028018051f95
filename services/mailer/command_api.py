"""The decisions the editor's desk (the admin) takes on changes the mailer holds for review.

Synchronous on purpose (docs/decisions/0014): the editor who loses a race with another is told
at once, on the page, rather than finding out later that their decision came second.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from services.mailer.adapters import reviews
from services.mailer.adapters.tables import ChangeRecord
from services.mailer.domain.review import (
    MAX_NOTE,
    ChangeStatus,
    Decision,
    ReviewRefused,
    clean_note,
    status_after,
)
from services.mailer.fanout import fan_out
from shared.db import transaction
from shared.runtime import Runtime

__all__ = ["MAX_NOTE", "Decided", "Decision", "ReviewRefused", "decide_change"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Decided:
    """What a decision did: the change's new status and version, and how many it went to."""

    change_id: uuid.UUID
    status: ChangeStatus
    version: int
    reached: int  # people it was queued for (0 unless approved)


async def decide_change(
    runtime: Runtime,
    change_id: uuid.UUID,
    decision: Decision,
    *,
    version: int,
    note: str | None,
    actor: str,
    audit: Callable[[AsyncSession, Decided], None] | None = None,
) -> Decided:
    """Approve, hold or mark minor a change on the desk, as ``actor``, if nobody decided first.

    ``version`` is the one the editor saw; ``audit`` writes the admin's audit entry in the same
    transaction, so a decision is never taken without its record. Approval queues the alerts
    and pending items in that transaction too. Raises ReviewRefused with ``not_found``,
    ``already_decided`` (someone else was first) or ``note_too_long``.
    """
    cleaned = clean_note(note)
    async with transaction(runtime.sessions) as session:
        change = await session.get(ChangeRecord, change_id)
        if change is None:
            raise ReviewRefused("not_found")
        if change.version != version:
            raise ReviewRefused("already_decided")
        status = status_after(ChangeStatus(change.status), decision)
        now = runtime.clock.now()
        taken = await reviews.decide(
            session, change_id, version=version, status=status, note=cleaned, actor=actor, now=now
        )
        if not taken:
            raise ReviewRefused("already_decided")
        reached = 0
        if status is ChangeStatus.APPROVED:
            reached = await fan_out(session, change_id, change.topics, now)
        decided = Decided(change_id, status, version + 1, reached)
        if audit is not None:
            audit(session, decided)
    log.info("mailer: change %s is %s after review", change_id, status.value)
    return decided
