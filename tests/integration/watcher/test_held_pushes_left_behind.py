"""Pushes left waiting on the row of a source no longer polled (paused or removed by a release
that kept them there, or stopped by a sync of a catalogue read before the apply) are sent as
they came when the watcher starts (docs/publishing.md): none waits for ever, and migration 0028
can be undone after."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import select

from services.watcher.adapters.held_pushes import decoded, encoded
from services.watcher.adapters.tables import WatchedSource
from services.watcher.bootstrap import Watcher
from services.watcher.domain.push import Push, WatchedMatch, change_event
from shared.clock import FrozenClock
from shared.events import ContentChanged, decode_event
from shared.outbox import OutboxRow
from shared.runtime import Runtime, build_runtime
from shared.schema import upgrade
from shared.settings import Settings
from shared.vocabulary import SourceKind
from tests.integration.test_audit_addresses_migration import database_url
from varsel.schema import alembic_config

__all__ = ["database_url"]  # the fixture: a fresh SQLite file and PostgreSQL database

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
SITE = "https://fhi.example"
CATALOGUE = f"""
[[topics]]
slug = "tema"
title = {{ nb = "Tema", en = "Topic" }}

[[sources]]
url = "{SITE}/polled"
kind = "page"
topics = ["tema"]

[[sources]]
url = "{SITE}/paused"
kind = "page"
topics = ["tema"]
paused = true
"""


def _held(path: str) -> ContentChanged:
    """A push for the page at ``path``, as the watcher holds it on the source's row."""
    url = f"{SITE}{path}"
    push = Push(("tema",), url, "Side", f"Nytt på {path}.", minor=False)
    return change_event(push, WatchedMatch(1, url, SourceKind.PAGE), uuid.uuid4(), NOW)


async def _runtime(
    database_url: str, tmp_path: Path, rows: dict[str, tuple[bool, str | None]]
) -> Runtime:
    """Store the rows (path: whether polled, and what it holds); return the watcher's wiring."""
    catalogue = tmp_path / "catalogue.toml"
    catalogue.write_text(CATALOGUE, encoding="utf-8")
    settings = Settings(database_url=database_url, config=catalogue, var_dir=tmp_path / "var")
    runtime = build_runtime(settings, clock=FrozenClock(NOW))
    async with runtime.sessions() as session, session.begin():
        for path, (active, held) in rows.items():
            session.add(
                WatchedSource(
                    url=f"{SITE}{path}",
                    kind="page",
                    topics=["tema"],
                    interval_seconds=900,
                    status="ok",
                    active=active,
                    held_pushes=held,
                )
            )
    return runtime


async def _started(runtime: Runtime) -> None:
    watcher = Watcher(runtime)
    await watcher.start()
    await watcher.stop()


async def _sent(runtime: Runtime) -> list[uuid.UUID]:
    async with runtime.sessions() as session:
        rows = (await session.scalars(select(OutboxRow).order_by(OutboxRow.id))).all()
    events = [decode_event(r.event_type, r.payload) for r in rows]
    return sorted(e.event_id for e in events if isinstance(e, ContentChanged))


def test_pushes_left_on_stopped_sources_are_sent_when_the_watcher_starts(
    database_url: str, tmp_path: Path
) -> None:
    upgrade(database_url)
    asyncio.run(_settled_at_start(database_url, tmp_path))


async def _settled_at_start(database_url: str, tmp_path: Path) -> None:
    polled, paused, removed, raced = (_held(p) for p in ("/polled", "/paused", "/gone", "/raced"))
    runtime = await _runtime(
        database_url,
        tmp_path,
        {
            "/polled": (True, encoded([polled])),  # waits for its poll, which comes
            "/paused": (False, encoded([paused])),  # paused by an earlier release
            "/gone": (False, encoded([removed])),  # removed by an earlier release
            "/raced": (True, encoded([raced])),  # brought back by a stale sync, then removed
            "/quiet": (False, None),
        },
    )
    try:
        await _started(runtime)

        assert await _sent(runtime) == sorted(c.event_id for c in (paused, removed, raced))
        async with runtime.sessions() as session:
            rows = (await session.scalars(select(WatchedSource))).all()
        state = {r.url.removeprefix(SITE): (r.active, decoded(r.held_pushes)) for r in rows}
        assert state == {
            "/polled": (True, (polled,)),
            "/paused": (False, ()),
            "/gone": (False, ()),
            "/raced": (False, ()),
            "/quiet": (False, ()),
        }

        await _started(runtime)  # a second start sends nothing again
        assert len(await _sent(runtime)) == 3
    finally:
        await runtime.close()


def test_after_the_start_migration_0028_can_be_undone(database_url: str, tmp_path: Path) -> None:
    upgrade(database_url)
    held = {
        "/paused": (False, encoded([_held("/paused")])),
        "/gone": (False, encoded([_held("/g")])),
    }
    asyncio.run(_stored_then(database_url, tmp_path, held, start=False))
    with pytest.raises(RuntimeError, match="2 source\\(s\\) hold pushed changes"):
        command.downgrade(alembic_config(database_url), "0027")
    # SQLite keeps the later steps' undoing (their tables rebuilt) when 0028 refuses.
    upgrade(database_url)

    asyncio.run(_stored_then(database_url, tmp_path, {}, start=True))
    command.downgrade(alembic_config(database_url), "0027")  # none is held any more


async def _stored_then(
    database_url: str, tmp_path: Path, rows: dict[str, tuple[bool, str | None]], *, start: bool
) -> None:
    runtime = await _runtime(database_url, tmp_path, rows)
    try:
        if start:
            await _started(runtime)
    finally:
        await runtime.close()
