"""What other services may read from the admin service: the catalogue in force.

The admin owns the catalogue's tables (docs/decisions/0011); other services read them only
here, each process keeping what it read in its ``LiveCatalogue``.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.admin.adapters import catalogue_rows
from shared.catalogue import Catalogue


async def catalogue_version(session: AsyncSession) -> int:
    """Return the catalogue's version: one indexed read, cheap enough to ask every few seconds."""
    return await catalogue_rows.version(session)


async def current_catalogue(session: AsyncSession) -> tuple[int, Catalogue]:
    """Return the catalogue's version and its topics and sources in force."""
    stored = await catalogue_rows.load(session)
    return stored.version, stored.catalogue
