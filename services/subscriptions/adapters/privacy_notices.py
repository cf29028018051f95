"""Queries and statements of the stored privacy texts, by version and language."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.subscriptions.adapters.tables import PrivacyNotice as PrivacyNoticeRow
from services.subscriptions.domain.privacy import PrivacyNotice


async def stored_hash(session: AsyncSession, notice: PrivacyNotice) -> str | None:
    """Return the hash stored for a notice's version and language, if it is stored."""
    return await session.scalar(
        select(PrivacyNoticeRow.sha256).where(
            PrivacyNoticeRow.version == notice.version,
            PrivacyNoticeRow.language == notice.language,
        )
    )


async def store(session: AsyncSession, notice: PrivacyNotice, published_at: datetime) -> None:
    """Store a notice's exact text and hash."""
    await session.execute(
        insert(PrivacyNoticeRow).values(
            version=notice.version,
            language=notice.language,
            text=notice.text,
            sha256=notice.sha256,
            published_at=published_at,
        )
    )


async def record(
    sessions: async_sessionmaker[AsyncSession],
    notices: Iterable[PrivacyNotice],
    published_at: datetime,
) -> None:
    """Store each notice not stored yet; refuse a text that changed under a stored version."""
    notices = list(notices)
    try:
        await _record(sessions, notices, published_at)
    except IntegrityError:
        # Replicas starting together race to insert the same notices; the loser checks again
        # against what the winner wrote.
        await _record(sessions, notices, published_at)


async def _record(
    sessions: async_sessionmaker[AsyncSession],
    notices: list[PrivacyNotice],
    published_at: datetime,
) -> None:
    async with sessions() as session, session.begin():
        for notice in notices:
            known = await stored_hash(session, notice)
            if known is None:
                await store(session, notice, published_at)
            elif known != notice.sha256:
                raise RuntimeError(
                    f"privacy notice {notice.version}/{notice.language} changed "
                    "without a new version number"
                )
