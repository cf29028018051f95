"""Restarts, snapshot retention and admin diffs, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import select

from services.watcher.adapters.snapshots import pack
from services.watcher.adapters.tables import Snapshot, WatchedSource
from services.watcher.catalogue_sync import sync_catalogue
from services.watcher.domain.content import Content
from services.watcher.handlers import claim_due, poll
from services.watcher.retention import SnapshotNotFound, diff_between, purge_snapshots
from shared.catalogue_entries import Source
from tests.integration.watcher.conftest import Harness, HarnessFactory
from tests.integration.watcher.pages import NEW_PARAGRAPH, page
from tests.integration.watcher.server import Route, ScriptedSite


async def test_a_restart_spreads_overdue_first_polls(harness: Harness) -> None:
    random.seed(4)
    sources = [
        Source(url=f"https://example.no/side/{n}", kind="page", topics=("tema",), interval=900)
        for n in range(100)
    ]
    now = harness.clock.now()
    async with harness.deps.sessions() as session, session.begin():
        await sync_catalogue(session, sources, now)
    harness.clock.advance(timedelta(hours=6))  # the process was down; every source is overdue
    later = harness.clock.now()
    async with harness.deps.sessions() as session, session.begin():
        await sync_catalogue(session, sources, later)

    async with harness.deps.sessions() as session:
        rows = (await session.scalars(select(WatchedSource))).all()
    due = sorted(row.next_check_at for row in rows if row.next_check_at is not None)
    assert len(due) == 100
    assert all(later <= d <= later + timedelta(seconds=30) for d in due)
    assert due[-1] - due[0] > timedelta(seconds=20)
    assert len(await claim_due(harness.deps, limit=1000)) < 10  # not all at once


async def _snapshot(harness: Harness, source: int, age_days: int, text: str) -> int:
    content = Content(title="T", blocks=(text,), headings=frozenset(), published=None, updated=None)
    async with harness.deps.sessions() as session, session.begin():
        row = Snapshot(
            source_id=source,
            taken_at=harness.clock.now() - timedelta(days=age_days),
            fingerprint=content.fingerprint,
            title="T",
            content=pack(content),
        )
        session.add(row)
        await session.flush()
        return row.id


async def _purge_keeps_recent_and_the_latest_of_each_source(harness: Harness) -> None:
    busy = await harness.add_source("https://example.no/travel")
    quiet = await harness.add_source("https://example.no/stille")
    for age in (90, 60, 40):
        await _snapshot(harness, busy, age, f"gammel tekst {age}")
    recent = await _snapshot(harness, busy, 2, "ny tekst")
    await _snapshot(harness, quiet, 200, "eldst")
    quiet_latest = await _snapshot(harness, quiet, 100, "siste kjente innhold")

    async with harness.deps.sessions() as session, session.begin():
        deleted = await purge_snapshots(session, harness.clock.now(), keep_days=30)

    assert deleted == 4
    assert [s.id for s in await harness.snapshots(busy)] == [recent]
    assert [s.id for s in await harness.snapshots(quiet)] == [quiet_latest]


async def test_purge_keeps_recent_snapshots_and_the_latest_of_each_source(
    harness: Harness,
) -> None:
    await _purge_keeps_recent_and_the_latest_of_each_source(harness)


async def _diff_on_the_admin_page(site: ScriptedSite, harness: Harness) -> None:
    site.set("/p", Route(page().encode(), etag='"a"'))
    source = await harness.add_source(site.url("/p"))
    other = await harness.add_source("https://example.no/annen")
    foreign = await _snapshot(harness, other, 0, "en annen kilde")
    assert await poll(harness.deps, source) == "baseline"
    assert await poll(harness.deps, source) == "not-modified"
    site.set("/p", Route(page(NEW_PARAGRAPH).encode(), etag='"b"'))
    assert await poll(harness.deps, source) == "changed"
    first, second = await harness.snapshots(source)

    async with harness.deps.sessions() as session:
        diff = await diff_between(session, source, first.id, second.id)
        with pytest.raises(SnapshotNotFound):
            await diff_between(session, source, first.id, foreign)

    assert diff.startswith("--- før\n+++ etter")
    added = [line for line in diff.splitlines() if line.startswith("+") and "revebjelle" in line]
    assert added
    assert len(await harness.events()) == 1


async def test_diff_between_two_snapshots_for_the_admin_page(
    site: ScriptedSite, harness: Harness
) -> None:
    await _diff_on_the_admin_page(site, harness)


@pytest.mark.postgres
async def test_polling_purging_and_diffs_on_postgresql(
    site: ScriptedSite, make_harness: HarnessFactory, postgres_url: str
) -> None:
    harness = make_harness(postgres_url)
    await _diff_on_the_admin_page(site, harness)
    await _purge_keeps_recent_and_the_latest_of_each_source(harness)
    await harness.engine.dispose()
