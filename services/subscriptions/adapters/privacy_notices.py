"""Queries and statements of the stored privacy texts, by version and language."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.subscriptions.adapters.tables import PrivacyNotice as PrivacyNoticeRow
from services.subscriptions.domain.privacy import PrivacyNotice
from shared.vocabulary import Language

# The width of the version column (tables.PrivacyNotice): a longer version, which only a forged
# form names, is no stored notice's.
_VERSION_LENGTH = 40


def _storable(version: str) -> bool:
    """Tell whether a version could be a stored one: a date and hex digits, printable ASCII.

    A forged form may name anything; PostgreSQL refuses a NUL in any text it is asked, which
    would fail the press (a 500) that must end the alerts whatever the form names.
    """
    return 0 < len(version) <= _VERSION_LENGTH and version.isascii() and version.isprintable()


class SqlPublishedNotices:
    """The privacy notices stored at each start-up, inside one session's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, version: str, language: Language) -> PrivacyNotice | None:
        """Return a published notice; None if no such version was published in that language."""
        if not _storable(version):
            return None
        row = await self._session.get(PrivacyNoticeRow, (version, language.value))
        return None if row is None else PrivacyNotice(row.version, row.language, row.text)


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
