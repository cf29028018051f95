"""What the editor's desk reads from the mailer: changes held for review and decisions taken.

Published through ``read_api``; decisions go through ``command_api`` (docs/decisions/0014).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.mailer.adapters import reviews
from services.mailer.adapters.tables import ChangeRecord
from services.mailer.domain.review import OPEN, ChangeStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeOnDesk:
    """A change as the desk shows it. Texts come from watched pages or a CMS: untrusted."""

    id: uuid.UUID
    title: str
    url: str
    source_url: str
    kind: str
    topics: tuple[str, ...]
    summary: str  # as detected
    note: str | None  # as the publisher or an editor wrote it
    published: date | None
    updated: date | None
    occurred_at: datetime
    status: ChangeStatus
    version: int  # what a decision must name (a conditional UPDATE on it)
    diff_url: str | None
    decided_at: datetime | None
    decided_by: str | None
    fanned_out_at: datetime | None  # when an approved change's alerts were queued

    @property
    def is_open(self) -> bool:
        """Tell whether an editor may still decide."""
        return self.status in OPEN

    @property
    def shown_status(self) -> str:
        """Return the status as the desk words it: an approved change is sent once fanned out."""
        if self.status is ChangeStatus.APPROVED and self.fanned_out_at is not None:
            return "sent"
        return self.status.value

    @classmethod
    def of(cls, row: ChangeRecord) -> ChangeOnDesk:
        """Return how the desk shows a stored change."""
        return cls(
            id=row.id,
            title=row.title,
            url=row.url,
            source_url=row.source_url,
            kind=row.kind,
            topics=tuple(row.topics),
            summary=row.summary,
            note=row.note,
            published=row.published,
            updated=row.updated,
            occurred_at=row.occurred_at,
            status=ChangeStatus(row.status),
            version=row.version,
            diff_url=row.diff_url,
            decided_at=row.decided_at,
            decided_by=row.decided_by,
            fanned_out_at=row.fanned_out_at,
        )


async def changes_on_desk(session: AsyncSession, limit: int = 200) -> list[ChangeOnDesk]:
    """Return the changes waiting or held for review, the longest waiting first."""
    return [ChangeOnDesk.of(row) for row in await reviews.on_desk(session, limit)]


async def recent_decisions(session: AsyncSession, limit: int = 20) -> list[ChangeOnDesk]:
    """Return the changes editors decided last, newest first."""
    return [ChangeOnDesk.of(row) for row in await reviews.recently_decided(session, limit)]


async def waiting_of_source(session: AsyncSession, source_url: str) -> int:
    """Count a source's changes (by its address) still waiting or held on the desk."""
    return await reviews.open_of_source(session, source_url)


async def waiting_of_sources(
    session: AsyncSession, source_urls: Collection[str]
) -> list[ChangeOnDesk]:
    """Return sources' changes (by their addresses) still waiting or held, oldest first: what
    removing the sources would withdraw."""
    return [ChangeOnDesk.of(row) for row in await reviews.open_of_sources(session, source_urls)]


async def change_on_desk(session: AsyncSession, change_id: uuid.UUID) -> ChangeOnDesk | None:
    """Return one stored change, decided or not; None if there is none (or it was purged)."""
    row = await session.get(ChangeRecord, change_id)
    return ChangeOnDesk.of(row) if row is not None else None
