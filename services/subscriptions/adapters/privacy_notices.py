"""Queries and statements of the stored privacy texts, by version and language."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

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
