"""Outcomes stored on sqlite3's cursor are the rows SQLAlchemy stores, and read back alike.

The SQLite writer runs storing's statements on the cursor (adapters/driver_statements.py); any
other connection runs them through SQLAlchemy. The same outcome is stored both ways, each in
its own database, and the rows are compared value by value as SQLite holds them.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event, insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from services.watcher.adapters.group_writes import (
    AsyncTransactions,
    GroupWrites,
    SqliteFileTransactions,
    Transactions,
)
from services.watcher.adapters.outcomes import store_outcome
from services.watcher.adapters.source_rows import claim_rows
from services.watcher.adapters.tables import Snapshot, WatchedSource
from services.watcher.domain.model import Content, FeedEntry
from services.watcher.domain.outcome import (
    Health,
    History,
    NewSnapshot,
    Outcome,
    OutcomeKind,
    SourceState,
    Stored,
)
from shared.db import create_engine
from shared.events import ContentChanged, SourceRecovered
from shared.vocabulary import SourceKind
from tests.support.databases import migrated_sqlite

CHECKED = datetime(2025, 3, 3, 8, 0, 1, 250_001, tzinfo=UTC)
# Not UTC: stored as UTC, read back aware.
OSLO = timezone(timedelta(hours=1))
TABLES = ("watch_sources", "watch_snapshots", "outbox_events")


def _source_row() -> dict[str, Any]:
    return {
        "url": "https://www.example.no/side",
        "kind": "feed",
        "topics": ["helse", "skole"],
        "interval_seconds": 3600,
        "selector": None,
        "ignore": ["Sist oppdatert", "æøå"],
        "active": True,
        "etag": '"old"',
        "status": "failing",
        "consecutive_failures": 3,
        "last_error": "timeout",
        "title": "Gammel tittel",
        "fingerprint": "f" * 64,
        "extraction": 2,
        "last_changed_at": datetime(2025, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
        "push_until": datetime(2025, 4, 1, 0, 0, 0, 999_999, tzinfo=OSLO),
        "missing_since": None,
        "gone_at": None,
        "lease_owner": "poller-1",
        "lease_until": CHECKED + timedelta(minutes=5),
        "next_check_at": CHECKED - timedelta(minutes=1),
    }


def _previous_row(source_id: int) -> dict[str, Any]:
    return {
        "source_id": source_id,
        "taken_at": datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
        "fingerprint": "f" * 64,
        "title": "Gammel tittel",
        "published": date(2024, 12, 31),
        "updated": None,
        "content": b"\x02not read",
        "meta": {"seen": ["a", "b"], "navn": "Åse"},
    }


def _outcome(source_id: int, previous_id: int, *, meta: dict[str, Any] | None) -> Outcome:
    content = Content(
        title="Ny tittel",
        blocks=(),
        headings=frozenset(),
        published=date(2025, 3, 1),
        updated=None,
        entries=(FeedEntry("k1", "Sak", "https://www.example.no/sak", "Tekst ü", None),),
    )
    change = ContentChanged(
        event_id=uuid.UUID(int=1),
        occurred_at=CHECKED.astimezone(OSLO),
        source_id=source_id,
        source_url="https://www.example.no/side",
        kind=SourceKind.FEED,
        topics=("helse", "skole"),
        title="Ny tittel",
        url="https://www.example.no/sak",
        published=date(2025, 3, 1),
        summary="Ny sak «Sak»",
    )
    recovered = SourceRecovered(
        event_id=uuid.UUID(int=2),
        occurred_at=CHECKED,
        source_id=source_id,
        source_url="https://www.example.no/side",
        title="Ny tittel",
        failures=3,
        last_error="timeout",
    )
    return Outcome(
        kind=OutcomeKind.CHANGED,
        source_id=source_id,
        checked_at=CHECKED,
        next_check_at=(CHECKED + timedelta(seconds=3599, microseconds=7)).astimezone(OSLO),
        status=Health.OK,
        consecutive_failures=0,
        last_error=None,
        etag='"new"',
        last_modified="Mon, 03 Mar 2025 08:00:00 GMT",
        body_hash="b" * 64,
        stored=Stored(
            fingerprint="e" * 64,
            title="Ny tittel",
            last_changed_at=CHECKED,
            snapshot=NewSnapshot("e" * 64, "Ny tittel", date(2025, 3, 1), None, content, meta),
            previous_id=previous_id,
        ),
        changes=(change,),
        alerts=(recovered,),
        missing_since=None,
        gone_at=None,
        moved_to="https://www.example.no/ny-side",
    )


class _Seen:
    """A decision that records what it was given and returns a fixed outcome."""

    def __init__(self, outcome: Callable[[int, int], Outcome]) -> None:
        self._outcome = outcome
        self.state: SourceState | None = None
        self.history: History | None = None

    def __call__(self, state: SourceState, history: History | None) -> Outcome:
        self.state, self.history = state, history
        assert history is not None and history.previous is not None
        return self._outcome(state.id, history.previous.id)


async def _seed(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            source_id = (
                await conn.execute(insert(WatchedSource).returning(WatchedSource.id), _source_row())
            ).scalar_one()
            healthy = {**_source_row(), "url": "https://www.example.no/frisk", "status": "ok"}
            await conn.execute(insert(WatchedSource), healthy)
            await conn.execute(insert(Snapshot), _previous_row(source_id))
    finally:
        await engine.dispose()


def _counting(work: Callable[[Connection], Any], statements: list[str]) -> Callable[..., Any]:
    """Wrap ``work`` so the statements SQLAlchemy sends to the database are listed."""

    def counted(conn: Connection) -> Any:
        engine: Engine = conn.engine
        listener = partial(_note, statements)
        event.listen(engine, "before_cursor_execute", listener)
        try:
            return work(conn)
        finally:
            event.remove(engine, "before_cursor_execute", listener)

    return counted


def _note(statements: list[str], *args: Any) -> None:
    statements.append(args[2])


def _stored_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every column of every row, as SQLite holds it (quote() keeps text apart from blobs)."""
    with sqlite3.connect(path) as db:
        rows = {}
        for table in TABLES:
            columns = [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
            quoted = ", ".join(f'quote("{c}"), typeof("{c}")' for c in columns)
            rows[table] = db.execute(f"SELECT {quoted} FROM {table} ORDER BY id").fetchall()
    return rows


@pytest.fixture
async def both_ways(tmp_path: Path) -> AsyncIterator[dict[str, tuple[Path, Transactions]]]:
    """A seeded database written on the cursor, and one written through SQLAlchemy."""
    paths = {way: tmp_path / f"{way}.db" for way in ("cursor", "sqlalchemy")}
    urls = {way: migrated_sqlite(path) for way, path in paths.items()}
    await asyncio.gather(*(_seed(url) for url in urls.values()))
    engine = create_engine(urls["sqlalchemy"])
    runners: dict[str, Transactions] = {
        "cursor": SqliteFileTransactions(make_url(urls["cursor"])),
        "sqlalchemy": AsyncTransactions(engine),
    }
    yield {way: (paths[way], runners[way]) for way in paths}
    for runner in runners.values():
        await runner.aclose()
    await engine.dispose()


@pytest.mark.parametrize("meta", [{"seen": ["k1"], "merke": "ø"}, None])
async def test_an_outcome_is_stored_and_read_the_same_on_the_cursor_as_through_sqlalchemy(
    both_ways: dict[str, tuple[Path, Transactions]], meta: dict[str, Any] | None
) -> None:
    seen: dict[str, _Seen] = {}
    outcomes: dict[str, Outcome | None] = {}
    statements: dict[str, list[str]] = {}
    for way, (_, runner) in both_ways.items():
        seen[way] = _Seen(partial(_outcome, meta=meta))
        statements[way] = []
        store = partial(
            store_outcome,
            source_id=1,
            decide=seen[way],
            history=True,
            admin_url="https://varsel.example.no/admin",
            lock=False,
        )
        outcomes[way] = await runner.run(_counting(store, statements[way]))

    # The SQLite writer's statements never went through SQLAlchemy; the other's all did.
    assert statements["cursor"] == []
    assert len(statements["sqlalchemy"]) == 4
    cursor, through = seen["cursor"], seen["sqlalchemy"]
    assert cursor.state == through.state
    assert cursor.state is not None and cursor.state.push_until is not None
    assert cursor.state.push_until.tzinfo is UTC
    assert cursor.history is not None and through.history is not None
    assert (cursor.history.topics, cursor.history.last_changed_at) == (
        through.history.topics,
        through.history.last_changed_at,
    )
    before, after = cursor.history.previous, through.history.previous
    assert before is not None and after is not None
    assert (before.id, before.fingerprint, before.meta) == (after.id, after.fingerprint, after.meta)
    assert before.meta == {"seen": ["a", "b"], "navn": "Åse"}
    assert outcomes["cursor"] == outcomes["sqlalchemy"]
    stored = {way: _stored_rows(path) for way, (path, _) in both_ways.items()}
    assert stored["cursor"] == stored["sqlalchemy"]
    assert len(stored["cursor"]["watch_snapshots"]) == 2
    assert len(stored["cursor"]["outbox_events"]) == 2


async def test_a_failed_store_on_the_cursor_raises_sqlalchemys_error_and_loses_no_other_write(
    both_ways: dict[str, tuple[Path, Transactions]],
) -> None:
    path, runner = both_ways["cursor"]
    writes = GroupWrites(runner)

    def store(decide: Callable[[SourceState, History | None], Outcome]) -> Any:
        return partial(
            store_outcome,
            source_id=1,
            decide=decide,
            history=True,
            admin_url="https://varsel.example.no/admin",
            lock=False,
        )

    # A snapshot of a source that does not exist breaks its foreign key.
    orphan = _Seen(lambda _, previous: _outcome(99, previous, meta=None))
    good = _Seen(partial(_outcome, meta=None))
    results = await asyncio.gather(
        writes.write(store(orphan)), writes.write(store(good)), return_exceptions=True
    )
    await writes.aclose()

    assert isinstance(results[0], IntegrityError)
    assert isinstance(results[1], Outcome)
    rows = _stored_rows(path)
    # The good write's snapshot and events, once; nothing of the failed one.
    assert [row[2] for row in rows["watch_snapshots"]] == ["1", "1"]
    assert [row[2] for row in rows["outbox_events"]] == [
        f"'{uuid.UUID(int=2)}'",  # the recovery, then the change
        f"'{uuid.UUID(int=1)}'",
    ]


async def test_quiet_outcomes_and_a_gone_source_are_stored_alike_on_the_cursor(
    both_ways: dict[str, tuple[Path, Transactions]],
) -> None:
    # The changed outcome's schedule and validators, without its news.
    quiet = replace(
        _outcome(2, 1, meta=None),
        kind=OutcomeKind.NOT_MODIFIED,
        stored=None,
        changes=(),
        alerts=(),
        moved_to=None,
    )
    assert quiet.quiet
    gone: dict[str, Outcome | None] = {}
    for way, (_, runner) in both_ways.items():
        writes = GroupWrites(runner)
        never = _Seen(partial(_outcome, meta=None))
        # A quiet outcome for the healthy row and one for the failing row (which it must not
        # touch), batched with the store of a source that is gone.
        _, _, gone[way] = await asyncio.gather(
            writes.quiet(quiet),
            writes.quiet(replace(quiet, source_id=1)),
            writes.write(
                partial(
                    store_outcome,
                    source_id=42,
                    decide=never,
                    history=True,
                    admin_url="https://varsel.example.no/admin",
                    lock=False,
                )
            ),
        )
        assert never.state is None

    assert gone == {"cursor": None, "sqlalchemy": None}
    stored = {way: _stored_rows(path) for way, (path, _) in both_ways.items()}
    assert stored["cursor"] == stored["sqlalchemy"]
    failing, healthy = stored["cursor"]["watch_sources"]
    assert "'2025-03-03 09:00:00.250008'" in healthy  # next_check_at, stored in UTC
    assert "'poller-1'" in failing and "'poller-1'" not in healthy


async def test_a_claim_reads_and_leases_the_same_on_the_cursor_as_through_sqlalchemy(
    both_ways: dict[str, tuple[Path, Transactions]],
) -> None:
    # Past the seeded leases: both rows are due.
    now = CHECKED + timedelta(minutes=10, microseconds=1)
    claimed = {
        way: await runner.run(
            partial(
                claim_rows,
                now=now,
                until=(now + timedelta(minutes=5)).astimezone(OSLO),
                owner="poller-2",
                limit=10,
                skip_locked=False,
            )
        )
        for way, (_, runner) in both_ways.items()
    }

    assert claimed["cursor"] == claimed["sqlalchemy"]
    assert [state.rules.ignore for state in claimed["cursor"]] == [("Sist oppdatert", "æøå")] * 2
    stored = {way: _stored_rows(path) for way, (path, _) in both_ways.items()}
    assert stored["cursor"] == stored["sqlalchemy"]
    assert all("'poller-2'" in row for row in stored["cursor"]["watch_sources"])
