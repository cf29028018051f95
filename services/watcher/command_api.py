"""The commands the watcher takes from the organisation's staff (the admin).

Confirming that a page is gone runs in the caller's transaction, so the admin records the
editor's audit entry in the same commit as the confirmation and its event: neither can exist
without the other.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.watcher.adapters.gone_rows import confirm_gone
from shared.events import PageRemoved

__all__ = ["PageRemoved", "confirm_page_gone"]


async def confirm_page_gone(
    session: AsyncSession, source_id: int, now: datetime
) -> PageRemoved | None:
    """Confirm that a gone page is gone: its followers will be told once (``page.removed``).

    Returns the event, or None when the page is not gone (it came back, was confirmed by
    someone else a moment ago, or is not watched): then nothing changed.
    """
    return await confirm_gone(session, source_id, now)
