"""A watcher's sync that PostgreSQL ends in a deadlock syncs again rather than stopping the
process at its start.

Replicas starting together each bring the sources table in line with the catalogue, and a
poll's or an apply's writes may hold rows the sync needs: PostgreSQL then ends one of the
transactions that wait on each other. Before, a sync so ended raised out of ``Watcher.start``
and the replica exited at its start (seen in the distributed suite, two watchers starting at
once).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import select

from services.watcher.adapters.tables import WatchedSource
from services.watcher.bootstrap import Watcher
from shared.clock import FrozenClock
from shared.runtime import build_runtime
from shared.settings import Settings
from tests.support.databases import migrated_postgres_database

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
SITE = "https://fhi.example"
CATALOGUE = f"""
[[topics]]
slug = "tema"
title = {{ nb = "Tema", en = "Topic" }}

[[sources]]
url = "{SITE}/kept"
kind = "page"
topics = ["tema"]
"""


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with migrated_postgres_database() as url:
        yield url


def test_a_sync_ended_by_a_deadlock_syncs_again(
    postgres_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="services.watcher.bootstrap")
    asyncio.run(_deadlocked_sync(postgres_url, tmp_path))
    assert "another replica synced the catalogue at the same time" in caplog.text


async def _deadlocked_sync(url: str, tmp_path: Path) -> None:
    catalogue = tmp_path / "catalogue.toml"
    catalogue.write_text(CATALOGUE, encoding="utf-8")
    runtime = build_runtime(
        Settings(database_url=url, config=catalogue, var_dir=tmp_path / "var"),
        clock=FrozenClock(NOW),
    )
    try:
        async with runtime.sessions() as session, session.begin():
            for path in ("/first", "/second"):  # no longer in the catalogue: the sync stops them
                session.add(
                    WatchedSource(
                        url=f"{SITE}{path}",
                        kind="page",
                        topics=["tema"],
                        interval_seconds=900,
                        status="ok",
                        active=True,
                    )
                )
        async with runtime.sessions() as session:
            ids = dict((await session.execute(select(WatchedSource.url, WatchedSource.id))).all())
        first, second = ids[f"{SITE}/first"], ids[f"{SITE}/second"]

        # Another transaction holds the second row; the sync locks the first (in order of
        # id) and waits for the second; then the other asks for the first. The sync waited
        # first, so its deadlock check runs first, and PostgreSQL ends the sync.
        other = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
        try:
            async with other.transaction():
                await other.execute("SELECT 1 FROM watch_sources WHERE id = $1 FOR UPDATE", second)
                syncing = asyncio.create_task(Watcher(runtime).start())
                await _until_waiting(other)
                await asyncio.sleep(0.3)  # the sync's deadlock check well ahead of this one's
                await other.execute("SELECT 1 FROM watch_sources WHERE id = $1 FOR UPDATE", first)
            await asyncio.wait_for(syncing, 30)  # raised DeadlockDetected before
        finally:
            await other.close()

        async with runtime.sessions() as session:
            rows = (await session.execute(select(WatchedSource.url, WatchedSource.active))).all()
        assert dict(rows) == {f"{SITE}/kept": True, f"{SITE}/first": False, f"{SITE}/second": False}
    finally:
        await runtime.close()


async def _until_waiting(connection: asyncpg.Connection) -> None:
    """Return once another backend waits for a lock this connection holds."""
    mine = await connection.fetchval("SELECT pg_backend_pid()")
    for _ in range(300):
        waiting = await connection.fetchval(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE NOT l.granted AND $1 = ANY(pg_blocking_pids(a.pid))",
            mine,
        )
        if waiting:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the sync never waited for the row")
