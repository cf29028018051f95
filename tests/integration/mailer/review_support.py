"""A review source in the mailer's harness: the catalogue that switches it to review, followers
of its topic, the staff accounts that editors' notices go to, and whether a change is released."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from services.admin import catalogue as admin_catalogue
from services.admin import handlers as admin_handlers
from services.mailer.adapters.tables import ChangeRecord
from shared.catalogue_file import parse_catalogue_text
from shared.db import transaction
from tests.integration.mailer.harness import CATALOGUE, SOURCES, Harness

NOW = "kari@example.org"
DAILY = "ola@example.org"
EDITOR = "redaktor@fhi.no"
PASSWORD = "correct horse battery staple"
REVIEWED = SOURCES["norge-i-verden"]  # the source harness.change() reports from
_WATCHED = f'url = "{REVIEWED}"\nkind = "page"\ntopics = ["norge-i-verden"]\n'
assert _WATCHED in CATALOGUE
REVIEW_CATALOGUE = CATALOGUE.replace(_WATCHED, _WATCHED + 'mode = "review"\n')


async def review_mode(harness: Harness) -> None:
    """Apply REVIEW_CATALOGUE, as an editor's change of the source does, and relay its event."""
    wanted = parse_catalogue_text(REVIEW_CATALOGUE, "test")
    async with transaction(harness.runtime.sessions) as session:
        await admin_catalogue.apply(
            session,
            wanted,
            actor="test",
            client="127.0.0.1",
            origin="test",
            now=harness.clock.now(),
        )
    await harness.relay()


async def released(harness: Harness, change_id: uuid.UUID) -> int:
    """Return 1 if the change has its place in the release log the digests read, else 0."""
    async with harness.runtime.sessions() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(ChangeRecord)
            .where(ChangeRecord.id == change_id, ChangeRecord.release_seq.is_not(None))
        )
    return int(count or 0)


@pytest.fixture
async def reviewed(harness: Harness) -> Harness:
    """The source in review mode, NOW following it at once and DAILY daily (name it in
    ``__all__``)."""
    await review_mode(harness)
    await harness.subscribe(NOW)
    await harness.subscribe(DAILY, frequency="daily")
    await harness.seeded()
    return harness


async def staff(harness: Harness) -> None:
    """Create an editor with EDITOR's address, one with none, an operator and an auditor."""
    async with transaction(harness.runtime.sessions) as session:
        now = harness.clock.now()
        await admin_handlers.create_user(session, "redaktor", "editor", PASSWORD, now, EDITOR)
        await admin_handlers.create_user(session, "uten", "editor", PASSWORD, now)  # no address
        await admin_handlers.create_user(session, "drift", "operator", PASSWORD, now, "d@fhi.no")
        await admin_handlers.create_user(session, "revisor", "auditor", PASSWORD, now, "r@fhi.no")
