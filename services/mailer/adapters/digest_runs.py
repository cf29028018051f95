"""Statements on the digest runs (``mail_digest_runs``): one row per period, so none runs twice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.mailer.adapters import releases
from services.mailer.adapters.tables import DigestRun
from services.mailer.domain.ledger import DigestRunStatus
from services.mailer.domain.periods import Period
from shared.vocabulary import Frequency


async def start(session: AsyncSession, period: Period, now: datetime) -> tuple[str, int] | None:
    """Start or resume the period's run; return the key it is recorded under and the last
    release its digests tell; None if it is done or another replica just began it."""
    run = await recorded(session, period)
    if run is not None:
        if run.status == DigestRunStatus.DONE:
            return None
        if run.through_seq is None:  # begun before the release log existed
            run.through_seq = await releases.last_before(session, period.end)
        return run.key, run.through_seq
    through = await releases.last_before(session, period.end)
    session.add(
        DigestRun(
            key=period.key,
            frequency=period.frequency,
            period_start=period.start,
            period_end=period.end,
            status=DigestRunStatus.RUNNING,
            started_at=now,
            deliveries=0,
            through_seq=through,
        )
    )
    try:
        await session.flush()
    except IntegrityError:
        return None  # another replica started it a moment ago and will finish it
    return period.key, through


async def recorded(session: AsyncSession, period: Period) -> DigestRun | None:
    """Return the run recorded for the period, under its key or under the key it had before.

    A run recorded by an earlier version (``weekly:2026-W49``) is this period's if it ended
    when this period does: found, it is not run again under the new key after an upgrade.
    """
    run = await session.scalar(select(DigestRun).where(DigestRun.key == period.key))
    if run is not None:
        return run
    former = await session.scalar(select(DigestRun).where(DigestRun.key == period.former_key))
    return former if former is not None and former.period_end == period.end else None


async def finish(session: AsyncSession, key: str, now: datetime, queued: int) -> None:
    """Record a run as done, adding the deliveries this pass queued."""
    await session.execute(
        update(DigestRun)
        .where(DigestRun.key == key)
        .values(
            status=DigestRunStatus.DONE,
            finished_at=now,
            deliveries=DigestRun.deliveries + queued,
        )
    )


async def latest(session: AsyncSession, frequency: Frequency) -> DigestRun | None:
    """Return the run of the rhythm's latest recorded period."""
    return await session.scalar(
        select(DigestRun)
        .where(DigestRun.frequency == frequency)
        .order_by(DigestRun.period_end.desc())
        .limit(1)
    )
