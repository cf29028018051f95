"""Statements of publisher tokens: issue, list, revoke, and recognise one in use."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.admin.adapters.tables import PublisherToken


async def add(
    session: AsyncSession,
    name: str,
    token_hash: str,
    created_by: str,
    now: datetime,
    sites: str | None,
) -> int:
    """Store a publisher token by its hash, with its sites (one a line); return its number."""
    row = PublisherToken(
        name=name, token_hash=token_hash, created_by=created_by, created_at=now, sites=sites
    )
    session.add(row)
    await session.flush()
    return row.id


async def by_hash(session: AsyncSession, token_hash: str) -> PublisherToken | None:
    """Return the token (live or revoked) with this hash, or None."""
    return await session.scalar(
        select(PublisherToken).where(PublisherToken.token_hash == token_hash)
    )


async def every(session: AsyncSession) -> Sequence[PublisherToken]:
    """Return every publisher token, live ones first, newest first."""
    return (
        await session.scalars(
            select(PublisherToken).order_by(
                PublisherToken.revoked_at.is_not(None), PublisherToken.id.desc()
            )
        )
    ).all()


async def live_issued_by(session: AsyncSession, created_by: str) -> list[tuple[int, str]]:
    """Return the number and name of each live token an account (by its name) issued."""
    rows = await session.execute(
        select(PublisherToken.id, PublisherToken.name)
        .where(PublisherToken.created_by == created_by, PublisherToken.revoked_at.is_(None))
        .order_by(PublisherToken.id)
    )
    return [(number, name) for number, name in rows]


async def live_named(session: AsyncSession, name: str) -> list[int]:
    """Return the numbers of the live tokens of a name, oldest first."""
    rows = await session.scalars(
        select(PublisherToken.id)
        .where(PublisherToken.name == name, PublisherToken.revoked_at.is_(None))
        .order_by(PublisherToken.id)
    )
    return list(rows)


async def rename_issuer(session: AsyncSession, old: str, new: str) -> None:
    """Name an account's new name as the issuer of the tokens it issued under the old one."""
    await session.execute(
        update(PublisherToken).where(PublisherToken.created_by == old).values(created_by=new)
    )


async def revoke(session: AsyncSession, token_id: int, now: datetime) -> str | None:
    """Revoke a live token; return its name, or None if it was not live."""
    name = await session.scalar(
        update(PublisherToken)
        .where(PublisherToken.id == token_id, PublisherToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .returning(PublisherToken.name)
    )
    return name


async def use(
    session: AsyncSession, token_hash: str, now: datetime
) -> tuple[str, str | None] | None:
    """Note a live token's use now; return its name and sites (one a line, None for every
    site), or None if no live token has this hash."""
    row = (
        await session.execute(
            update(PublisherToken)
            .where(PublisherToken.token_hash == token_hash, PublisherToken.revoked_at.is_(None))
            .values(last_used_at=now)
            .returning(PublisherToken.name, PublisherToken.sites)
        )
    ).first()
    return None if row is None else (row.name, row.sites)
