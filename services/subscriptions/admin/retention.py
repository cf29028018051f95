"""Retention of the consent ledger: forget people whose story ended long ago."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.subscriptions.adapters.tables import ConsentRecord
from services.subscriptions.admin.progress import Silent, Tracker
from shared.db import rowcount


async def purge_consent(
    session: AsyncSession, *, days: int, now: datetime, tracker: Tracker | None = None
) -> int:
    """Delete the ledger rows of subjects who ended more than ``days`` ago; return how many.

    A subject has ended when their newest row is an erasure, or when they never confirmed (the
    pending sign-up itself is purged after a week). People who still subscribe keep their proof
    of consent however old it is.
    """
    cutoff = now - timedelta(days=days)
    per_subject = (
        select(
            ConsentRecord.subject_hash.label("subject_hash"),
            func.max(ConsentRecord.id).label("last_id"),
            func.max(ConsentRecord.occurred_at).label("last_at"),
            func.sum(case((ConsentRecord.action == "confirmed", 1), else_=0)).label("confirms"),
        )
        .group_by(ConsentRecord.subject_hash)
        .subquery()
    )
    ended = (
        select(per_subject.c.subject_hash)
        .join(ConsentRecord, ConsentRecord.id == per_subject.c.last_id)
        .where(
            per_subject.c.last_at < cutoff,
            or_(ConsentRecord.action == "erased", per_subject.c.confirms == 0),
        )
    )
    subjects = list((await session.scalars(ended)).all())
    steps = tracker or Silent()
    steps.total(len(subjects))
    deleted = 0
    # In chunks, so the IN list stays within every database's parameter limit.
    for start in range(0, len(subjects), 500):
        result = await session.execute(
            delete(ConsentRecord).where(
                ConsentRecord.subject_hash.in_(subjects[start : start + 500])
            )
        )
        deleted += rowcount(result)
        steps.advance(len(subjects[start : start + 500]))
    return deleted
