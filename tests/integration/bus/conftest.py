"""Real RabbitMQ and a real migrated database for the bus tests; each test has its own topology."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Protocol

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db import create_engine, session_factory
from shared.inbox import ProcessedEvent
from shared.rabbitmq import RabbitMqBus
from tests.support.broker import BROKER_URL, delete_topology
from tests.support.databases import migrated_sqlite
from tests.support.services import reachable, require


async def eventually(check: Callable[[], Awaitable[bool]], *, within: float = 15.0) -> None:
    """Wait until ``check`` holds; fail with a clear message if it never does."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await check():
        if loop.time() > deadline:
            pytest.fail(f"condition {check.__qualname__} never held")
        await asyncio.sleep(0.05)


async def handled_count(sessions: async_sessionmaker[AsyncSession], consumer: str) -> int:
    """Count the events a consumer committed (its inbox rows)."""
    async with sessions() as session:
        query = select(func.count()).where(ProcessedEvent.consumer == consumer)
        return int(await session.scalar(query) or 0)


@asynccontextmanager
async def migrated_sessions(url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Yield the session factory of a migrated database; dispose of its engine afterwards."""
    engine = create_engine(url)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


@pytest.fixture
def broker() -> str:
    """Require the real RabbitMQ and give its URL."""
    require(reachable("127.0.0.1", 5672), "RabbitMQ at 127.0.0.1:5672")
    return BROKER_URL


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A migrated SQLite file."""
    async with migrated_sessions(migrated_sqlite(tmp_path / "bus.db")) as factory:
        yield factory


class MakeBus(Protocol):
    def __call__(
        self, sessions: async_sessionmaker[AsyncSession], **kwargs: Any
    ) -> RabbitMqBus: ...


@pytest.fixture
def namespace() -> str:
    """A topology namespace no other test uses."""
    return f"varsel.test.{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def make_bus(broker: str, namespace: str) -> AsyncIterator[MakeBus]:
    """Build RabbitMqBus instances on this test's namespace; stop them and clean up after."""
    buses: list[RabbitMqBus] = []

    def make(sessions: async_sessionmaker[AsyncSession], **kwargs: Any) -> RabbitMqBus:
        kwargs.setdefault("retry_delay", 0.0)
        bus = RabbitMqBus(kwargs.pop("url", broker), sessions, namespace=namespace, **kwargs)
        buses.append(bus)
        return bus

    yield make
    consumers: set[str] = set()
    # Bounded, so a bus that cannot stop fails the test here instead of hanging the run.
    for bus in buses:
        consumers |= set(bus.consumers)
        await asyncio.wait_for(bus.stop(), timeout=30)
    await asyncio.wait_for(delete_topology(broker, namespace, consumers), timeout=30)


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port nothing listens on."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    yield port


class BrokerProxy:
    """A loopback TCP proxy to RabbitMQ that a test can cut and restore, like a network outage."""

    def __init__(self, target_port: int) -> None:
        self._target_port = target_port
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    async def start(self) -> None:
        """Accept connections (on the same port as before, if restarted)."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def cut(self) -> None:
        """Drop every connection and refuse new ones."""
        if self._server is not None:
            self._server.close()
        # Abort before waiting: wait_closed also waits for the open connections to end.
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        upstream_reader, upstream_writer = await asyncio.open_connection(
            "127.0.0.1", self._target_port
        )
        self._writers.add(upstream_writer)
        if writer not in self._writers:  # cut while we were connecting upstream
            upstream_writer.transport.abort()
            return

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.transport.abort()

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))


@pytest.fixture
async def proxy(broker: str) -> AsyncIterator[BrokerProxy]:
    """A cuttable path to the real broker."""
    proxy = BrokerProxy(5672)
    await proxy.start()
    yield proxy
    await proxy.cut()
