"""What other services may read from the admin service: the catalogue in force and when its
ended topics ended, a source's or a change's topics' review mode, who removed a source, the
editors topics name, and the addresses of staff accounts that the mailer writes to.

The admin owns the catalogue's tables (docs/decisions/0011); other services read them only
here, each process keeping what it read in its ``LiveCatalogue``. A staff address is read only
when a mail to that person is built, so no event ever carries it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from services.admin.adapters import accounts, audit_log, catalogue_rows
from services.admin.domain.accounts import Role, role_of
from services.admin.domain.catalogue_plan import Action
from services.admin.domain.review_topics import mode_by_place, mode_by_topics
from shared.catalogue_entries import Catalogue
from shared.vocabulary import ReviewMode

# Who removed a source once the audit log no longer says (its retention), or never said.
REMOVED_BY_UNKNOWN: Final = "catalogue apply"
# The catalogue changes read back for a source's removal: a poll under way when its source
# went reports within minutes, long before this many more changes are applied.
_APPLIES_READ: Final = 100


@dataclass(frozen=True, slots=True)
class StaffAddressee:
    """An enabled staff account with an email address."""

    user_id: int
    name: str
    role: Role
    email: str


async def catalogue_version(session: AsyncSession) -> int:
    """Return the catalogue's version: one indexed read, cheap enough to ask every few seconds."""
    return await catalogue_rows.version(session)


async def current_catalogue(session: AsyncSession) -> tuple[int, Catalogue]:
    """Return the catalogue's version and its topics and sources in force."""
    stored = await catalogue_rows.load(session)
    return stored.version, stored.catalogue


async def topics_ended(session: AsyncSession) -> dict[str, datetime]:
    """Return when each topic that has ended ended, by slug (the catalogue keeps no other
    trace of when: its followers' alerts stop then, though nobody ended them)."""
    return await catalogue_rows.ended_times(session)


async def staff_addressee(session: AsyncSession, user_id: int) -> StaffAddressee | None:
    """Return an enabled account with its address; None if disabled, gone, without one or of
    a role this version does not know."""
    user = await accounts.enabled_user(session, user_id)
    role = role_of(user.role) if user is not None else None
    if user is None or not user.email or role is None:
        return None
    return StaffAddressee(user.id, user.name, role, user.email)


async def staff_addressees(session: AsyncSession, roles: tuple[Role, ...]) -> list[StaffAddressee]:
    """Return the enabled accounts of these roles that have an address, by name."""
    return [
        StaffAddressee(user.id, user.name, role, user.email)
        for user in await accounts.enabled_users_with_address(session, roles)
        if user.email and (role := role_of(user.role)) is not None
    ]


async def editors_by_topic(session: AsyncSession) -> dict[str, tuple[str, ...]]:
    """Return the staff account names each topic (ended ones too) names as its editors."""
    stored = (await catalogue_rows.load(session)).catalogue
    return {t.slug: t.editors for t in (*stored.topics, *stored.ended) if t.editors}


async def source_review_mode(session: AsyncSession, url: str) -> ReviewMode | None:
    """Return whether a source's changes go out at once or wait for review; None if unknown.

    Read from the table in the caller's transaction, not a process's ``LiveCatalogue``: a
    source an editor switched to review a second ago must not send its next change.
    """
    source = await catalogue_rows.source(session, url)
    return source.mode if source is not None else None


async def topics_review_mode(session: AsyncSession, topics: Iterable[str]) -> ReviewMode | None:
    """Return review when one of these topics is fed only by review sources; None otherwise.

    For a change no source of the catalogue claims (docs/publishing.md), read in the caller's
    transaction for the reason ``source_review_mode`` gives.
    """
    return mode_by_topics((await catalogue_rows.load(session)).catalogue, topics)


async def place_review_mode(session: AsyncSession, url: str) -> ReviewMode | None:
    """Return review when a review source is at this address's place, whatever the query.

    For a pushed change no source claims exactly (docs/publishing.md), read in the caller's
    transaction for the reason ``source_review_mode`` gives.
    """
    return mode_by_place((await catalogue_rows.load(session)).catalogue, url)


async def source_removed_by(session: AsyncSession, url: str) -> str:
    """Return who removed a source from the catalogue: whoever applied the change that retired
    it (an account's name, ``cli:<user>``, ``system``), or ``REMOVED_BY_UNKNOWN``."""
    retired = f"sources:{url}"
    for entry in await audit_log.latest_of(session, "catalogue_applied", _APPLIES_READ):
        if retired in (entry.details or {}).get(Action.RETIRED.value, []):
            return entry.actor
    return REMOVED_BY_UNKNOWN
