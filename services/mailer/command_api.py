"""The decisions the editor's desk (the admin) takes on changes the mailer holds for review.

The decision is synchronous on purpose (docs/decisions/0014): the editor who loses a race with
another is told at once, on the page, rather than finding out later that their decision came
second. Telling the followers is not: an approval records ``change.approved.v1`` in the outbox
with the decision, and the mailer's consumer of that event fans the change out, so the editor's
request takes the same short time for ten followers as for a million.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.mailer.adapters import changes, reviews
from services.mailer.adapters.tables import ChangeRecord
from services.mailer.domain.review import (
    MAX_NOTE,
    ChangeStatus,
    Decision,
    ReviewRefused,
    clean_note,
    repeats_last,
    status_after,
    status_on_arrival,
)
from shared.db import transaction
from shared.events import ChangeApproved, ContentChanged
from shared.outbox import record
from shared.runtime import Runtime
from shared.vocabulary import ReviewMode

__all__ = [
    "MAX_NOTE",
    "Decided",
    "Decision",
    "ReviewRefused",
    "Withdrawn",
    "decide_change",
    "pushed_to_the_desk",
    "withdraw_changes_of",
    "withdraw_pushed",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Decided:
    """What a decision did: the change's new status and version."""

    change_id: uuid.UUID
    status: ChangeStatus
    version: int


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
    transaction, so a decision is never taken without its record. Approval records the event
    that has the mailer queue the alerts and pending items, in that transaction too, so an
    approved change is told to its followers even if this process dies right after. Raises
    ReviewRefused with ``not_found``, ``source_removed`` (withdrawn when its source was
    removed), ``already_decided`` (someone else was first), ``decided_by_you`` (``actor``
    decided otherwise a moment ago), ``note_too_long``, ``note_noncharacter`` or
    ``note_bidi_control``. The very decision ``actor`` took last on ``version``, sent again,
    does nothing more and returns what it did.
    """
    cleaned = clean_note(note)
    async with transaction(runtime.sessions) as session:
        change = await session.get(ChangeRecord, change_id)
        if change is None:
            raise ReviewRefused("not_found")
        if change.status == ChangeStatus.WITHDRAWN:
            # Before the version: the editor's page is out of date because of the removal,
            # and is told that, not that another editor decided.
            raise ReviewRefused("source_removed")
        if change.version != version:
            return _decided_before(change, decision, version, cleaned, actor)
        status = status_after(ChangeStatus(change.status), decision)
        now = runtime.clock.now()
        taken = await reviews.decide(
            session, change_id, version=version, status=status, note=cleaned, actor=actor, now=now
        )
        if not taken:
            # Decided meanwhile (a second press racing the first one, or another editor).
            await session.refresh(change)
            return _decided_before(change, decision, version, cleaned, actor)
        if status is ChangeStatus.APPROVED:
            await record(session, ChangeApproved(change_id=change_id, topics=tuple(change.topics)))
        decided = Decided(change_id, status, version + 1)
        if audit is not None:
            audit(session, decided)
    if status is ChangeStatus.APPROVED:
        runtime.relay.wake()  # the followers hear of it now, not at the relay's next poll
    log.info("mailer: change %s is %s after review", change_id, status.value)
    return decided


def _decided_before(
    change: ChangeRecord, decision: Decision, seen: int, note: str | None, actor: str
) -> Decided:
    """Return a repeat of ``actor``'s last decision as done; refuse any other stale one."""
    status = ChangeStatus(change.status)
    if repeats_last(
        status,
        change.version,
        change.decided_by,
        change.note,
        seen=seen,
        decision=decision,
        wanted_note=note,
        actor=actor,
    ):
        return Decided(change.id, status, change.version)
    raise ReviewRefused("decided_by_you" if change.decided_by == actor else "already_decided")


@dataclass(frozen=True, slots=True)
class Withdrawn:
    """A change withdrawn from the desk because its source was removed."""

    change_id: uuid.UUID
    source_url: str


async def withdraw_changes_of(
    session: AsyncSession, source_urls: Collection[str], *, actor: str, now: datetime
) -> list[Withdrawn]:
    """Withdraw the changes of removed sources still waiting or held on the desk, as ``actor``
    (who removed them), in the caller's transaction: the removal and its withdrawals commit or
    roll back together, so no change of a removed source can be approved after.

    A withdrawn change stays stored and listed among the desk's decisions; nobody is alerted.
    """
    withdrawn = await reviews.withdraw_of_sources(session, source_urls, actor=actor, now=now)
    for change_id, url in withdrawn:
        log.info("mailer: change %s withdrawn: its source %s was removed", change_id, url)
    return [Withdrawn(change_id, url) for change_id, url in withdrawn]


async def withdraw_pushed(
    session: AsyncSession, pushed: Collection[ContentChanged], *, actor: str, now: datetime
) -> list[Withdrawn]:
    """Keep publishers' pushes that waited for a removed source's page as withdrawn, by
    ``actor`` (who removed it), in the caller's transaction: never sent, they are listed among
    the desk's decisions, as the changes waiting there when it was removed; nobody is alerted.
    """
    for change in pushed:
        await changes.store(session, change, ChangeStatus.WITHDRAWN, decided=(actor, now))
        log.info(
            "mailer: pushed change %s withdrawn: its source %s was removed before its page was"
            " read",
            change.event_id,
            change.source_url,
        )
    return [Withdrawn(change.event_id, change.source_url) for change in pushed]


async def pushed_to_the_desk(
    session: AsyncSession, pushed: Collection[ContentChanged]
) -> list[ContentChanged]:
    """Put publishers' pushes taken in under review on the desk, in the caller's transaction,
    as they would have arrived: waiting for an editor (minor ones recorded, nobody alerted).

    For the pushes that waited for the page of a source an editor takes out of review mode:
    the mode they came under decides, as for a source paused in review mode, whose pushes the
    pause sends to the desk. Returns the ones now waiting there.
    """
    waiting = []
    for change in pushed:
        status = status_on_arrival(ReviewMode.REVIEW, minor=change.minor)
        await changes.store(session, change, status)
        if status is ChangeStatus.WAITING:
            waiting.append(change)
        log.info(
            "mailer: pushed change %s is %s: it waited for the page of %s, taken in while the"
            " source was in review mode, which an editor has just ended",
            change.event_id,
            status.value,
            change.source_url,
        )
    return waiting
