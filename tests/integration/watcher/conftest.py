"""Fixtures for the watcher's integration tests: a scripted loopback site and a real database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

import services.watcher.body_reading as body_reading
from services.watcher.adapters.fetcher import HttpFetcher
from services.watcher.adapters.tables import Snapshot, WatchedSource
from services.watcher.handlers import WatcherDeps, poll
from shared.clock import FrozenClock
from shared.db import create_engine
from shared.events import ContentChanged, decode_event
from shared.outbox import OutboxRow
from shared.settings import Settings
from tests.integration.watcher.server import ScriptedSite
from tests.support.databases import migrated_postgres_database, migrated_sqlite

START = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
ADMIN_URL = "https://varsel.example.no/admin"
USER_AGENT = Settings(base_url="https://varsel.example.no").resolved_user_agent


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """Return the URL of a fresh, migrated SQLite database."""
    return migrated_sqlite(tmp_path / "varsel.db")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """Return a fresh, migrated PostgreSQL database (skips, or fails under CI, without one)."""
    with migrated_postgres_database() as url:
        yield url


@pytest.fixture
def site() -> Iterator[ScriptedSite]:
    """Serve scripted routes on loopback."""
    server = ScriptedSite()
    server.start()
    yield server
    server.stop()


class Harness:
    """The watcher's dependencies, built from real parts, plus read helpers."""

    def __init__(self, engine: AsyncEngine, fetcher: HttpFetcher, threshold: int) -> None:
        self.engine = engine
        self.clock = FrozenClock(START)
        self.deps = WatcherDeps(
            sessions=async_sessionmaker(engine, expire_on_commit=False),
            fetcher=fetcher,
            clock=self.clock,
            failure_threshold=threshold,
            gone_after=timedelta(days=Settings().page_gone_after_days),
            owner="test",
            sqlite=engine.dialect.name == "sqlite",
            admin_url=ADMIN_URL,
        )

    async def add_source(self, url: str, kind: str = "page", **extra: object) -> int:
        """Insert a watched source directly and return its id."""
        async with self.deps.sessions() as session, session.begin():
            row = WatchedSource(
                url=url,
                kind=kind,
                topics=["tema"],
                interval_seconds=extra.get("interval_seconds", 900),
                selector=extra.get("selector"),
                ignore=list(extra.get("ignore", ())),
                active=True,
                status="new",
                consecutive_failures=0,
                next_check_at=self.clock.now(),
            )
            session.add(row)
            await session.flush()
            return row.id

    async def baseline_under(
        self, source_id: int, version: int, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Take a source's baseline as the release of extraction ``version`` stored it."""
        real = body_reading.parse_content
        with monkeypatch.context() as patched:
            patched.setattr(
                body_reading,
                "parse_content",
                lambda *a, **k: real(*a, **{**k, "extraction": version}),
            )
            assert await poll(self.deps, source_id) == "baseline"
        async with self.deps.sessions() as session, session.begin():
            row = await session.get(WatchedSource, source_id)
            assert row is not None
            row.extraction = version

    async def source(self, source_id: int) -> WatchedSource:
        """Read a source row."""
        async with self.deps.sessions() as session:
            row = await session.get(WatchedSource, source_id)
            assert row is not None
            return row

    async def snapshots(self, source_id: int) -> list[Snapshot]:
        """Read a source's snapshots, oldest first."""
        async with self.deps.sessions() as session:
            query = select(Snapshot).where(Snapshot.source_id == source_id).order_by(Snapshot.id)
            return list((await session.scalars(query)).all())

    async def events(self) -> list[ContentChanged]:
        """Read every ContentChanged event in the outbox, oldest first."""
        async with self.deps.sessions() as session:
            rows = (await session.scalars(select(OutboxRow).order_by(OutboxRow.id))).all()
        events = [decode_event(r.event_type, r.payload) for r in rows]
        return [e for e in events if isinstance(e, ContentChanged)]


HarnessFactory = Callable[..., Harness]


@pytest.fixture
async def make_harness(database_url: str) -> AsyncIterator[HarnessFactory]:
    """Build harnesses on the test database; close everything afterwards."""
    made: list[Harness] = []
    engines: dict[str, AsyncEngine] = {}

    def build(
        url: str | None = None,
        *,
        timeout: float = 2.0,
        max_bytes: int = 1_000_000,
        max_redirects: int = 3,
        per_host: int = 4,
        allow_private: bool = True,
        threshold: int = 3,
    ) -> Harness:
        target = url or database_url
        if target not in engines:
            engines[target] = create_engine(target)
        fetcher = HttpFetcher(
            timeout=timeout,
            max_bytes=max_bytes,
            max_redirects=max_redirects,
            per_host=per_host,
            allow_private=allow_private,
            user_agent=USER_AGENT,
        )
        harness = Harness(engines[target], fetcher, threshold)
        made.append(harness)
        return harness

    yield build
    for harness in made:
        await harness.deps.aclose()
    for engine in engines.values():
        await engine.dispose()


@pytest.fixture
async def harness(make_harness: HarnessFactory) -> Harness:
    """A harness with the default small timeouts and caps."""
    return make_harness()
