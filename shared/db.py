"""Database engine, sessions and the declarative base shared by all services' tables."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    DateTime,
    Index,
    Integer,
    MetaData,
    any_,
    event,
    literal,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, QueryableAttribute
from sqlalchemy.types import TypeDecorator

from shared.private_files import private_sqlite_file

log = logging.getLogger(__name__)

T = TypeVar("T")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every table; each service declares only its own tables."""

    metadata = MetaData(naming_convention=NAMING)


def sqlite_only(index: Index) -> Index:
    """Return ``index`` made on SQLite alone (an index PostgreSQL's queries do without).

    SQLAlchemy's ``ddl_if`` makes it there alone; the mark in ``info`` tells the comparison
    of models with migrations to look for it there alone (``made_on``).
    """
    index.info["made_on"] = "sqlite"
    return index.ddl_if(dialect="sqlite")


def made_on(item: object, dialect: str) -> bool:
    """Tell whether a table's index (or other schema item) is made on ``dialect``'s databases."""
    info = getattr(item, "info", None)
    only = info.get("made_on") if isinstance(info, dict) else None
    return only is None or only == dialect


# A 64-bit id on PostgreSQL; plain INTEGER on SQLite, where only INTEGER PRIMARY KEY autoincrements.
BigId = BigInteger().with_variant(Integer, "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Store aware datetimes as UTC and always read them back aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use aware UTC times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def is_sqlite(url: str) -> bool:
    """Tell whether a database URL points at SQLite."""
    return url.startswith("sqlite")


async def refresh_statistics(session: AsyncSession, *tables: type[Base]) -> None:
    """Update PostgreSQL's planner statistics after a bulk insert, inside the same transaction.

    Autovacuum analyses a table up to a minute after it grew; until then the planner thinks
    the new rows are not there and can choose a plan that reads them all for every small query
    (the mailer's claim took 48 ms instead of 0.2 ms after a 100,000-person fan-out). ANALYZE
    samples at most 30,000 rows, so this costs tens of milliseconds whatever the size.
    """
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql":
        return  # SQLite's planner keeps no such statistics unless asked, and needs none here
    for table in tables:
        name = dialect.identifier_preparer.quote(table.__tablename__)
        await session.execute(text(f"ANALYZE {name}"))


# Seconds a SQLite connection waits for another's write lock before it gives up.
SQLITE_BUSY_TIMEOUT = 30


def sqlite_pragmas(dbapi_connection: Any, _record: Any = None) -> None:
    """Set what every SQLite connection needs: WAL (processes share the file), foreign keys,
    and deleted content overwritten with zeros (an erased address must not linger in free space).
    """
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


async def scrub_deleted(engine: AsyncEngine, *tables: type[Base]) -> None:
    """Make deleted rows unreadable on disk, after a commit that erased someone.

    SQLite (with ``secure_delete``) has zeroed them in the database pages, but the write-ahead
    log still holds every earlier version of those pages until a checkpoint; a TRUNCATE
    checkpoint copies the pages back and empties the log file. PostgreSQL keeps a deleted row
    as a dead tuple until VACUUM removes it, so ``tables`` are vacuumed there (VACUUM cannot run
    inside a transaction, hence its own autocommit connection). Failing here leaves the data
    erased for every reader, only not yet overwritten, so it is logged and not raised.
    """
    try:
        async with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                busy = (await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")).first()
                if busy is not None and busy[0]:
                    log.warning("database: a reader kept the write-ahead log from being emptied")
                return
            if engine.dialect.name != "postgresql" or not tables:
                return
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            for table in tables:
                name = engine.dialect.identifier_preparer.quote(table.__tablename__)
                await autocommit.exec_driver_sql(f"VACUUM {name}")
    except Exception as exc:
        log.warning("database: cannot scrub deleted rows yet: %s: %s", type(exc).__name__, exc)


# The most connections one process holds to PostgreSQL (docs/deployment.md).
POOL_SIZE = 20


# How long connecting to PostgreSQL may take (VARSEL_DATABASE_CONNECT_TIMEOUT_SECONDS). asyncpg
# waits 60 s: a server that took the connection and never answered held every request for a
# minute, then failed it with a 500, and /readyz (probed with a 3 s timeout) as long.
CONNECT_TIMEOUT_SECONDS = 2.0


class ConnectTimedOut(ConnectionError):
    """The database took the connection but did not answer in time: it cannot be reached."""


class AnswerTimedOut(ConnectionError):
    """The database did not answer a statement on an open connection in time."""


def create_engine(
    url: str, *, connect_timeout: float = CONNECT_TIMEOUT_SECONDS, **kwargs: Any
) -> AsyncEngine:
    """Build the async engine; SQLite gets WAL and a busy timeout so services can share the file.

    Connecting to PostgreSQL gives up after ``connect_timeout`` seconds with ``ConnectTimedOut``.
    """
    # A statement's values stay out of SQLAlchemy's error messages (and so out of logs and of
    # errors made from them): they include addresses.
    kwargs.setdefault("hide_parameters", True)
    if is_sqlite(url):
        private_sqlite_file(url)
        engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT}, **kwargs)
        event.listen(engine.sync_engine, "connect", sqlite_pragmas)
        return engine
    # Twenty connections kept, none beyond: a pool of 10 with 10 more "overflow" connections
    # closed each overflow connection as it came back, so a process serving more than ten
    # requests at once opened (and PostgreSQL forked a backend for) a connection for nearly
    # every request. The same twenty at most, now without the churn.
    kwargs.setdefault("pool_size", POOL_SIZE)
    kwargs.setdefault("max_overflow", 0)
    # No pre-ping (a round trip on every checkout): connections are renewed after half an hour,
    # and a disconnect error invalidates the whole pool, so a server restart fails one statement.
    kwargs.setdefault("pool_recycle", 1800)
    engine = create_async_engine(url, connect_args={"timeout": connect_timeout}, **kwargs)
    event.listen(engine.sync_engine, "do_connect", _timed_out_is_unreachable(connect_timeout))
    _keep_track_of_connections(engine.sync_engine)
    return engine


# Every open connection of each PostgreSQL engine, so shutdown can drop those that hang.
_open: weakref.WeakKeyDictionary[Engine, dict[int, Any]] = weakref.WeakKeyDictionary()


def _keep_track_of_connections(engine: Engine) -> None:
    held: dict[int, Any] = {}
    _open[engine] = held

    # Forgotten once closed, not when SQLAlchemy starts closing one: that close is what may
    # wait for ever on a server that stopped answering, and is then to be dropped.
    def opened(connection: Any, _record: Any) -> None:
        for key, known in list(held.items()):
            if known.driver_connection is None or known.driver_connection.is_closed():
                del held[key]
        held[id(connection)] = connection

    event.listen(engine, "connect", opened)


def connections_in_use(engine: AsyncEngine) -> int:
    """Return how many of the engine's pooled connections are checked out now."""
    checked_out = getattr(engine.sync_engine.pool, "checkedout", None)
    return int(checked_out()) if callable(checked_out) else 0


def abort_connections(engine: AsyncEngine) -> None:
    """Drop every connection ``engine`` has open, at once and without a word to the server.

    For a shutdown that cannot wait any longer: a statement (or its rollback, or a polite
    close) on a database that stopped answering waits for ever, since none has a timeout. Each
    of those waits then fails at once with a closed connection.
    """
    held = _open.get(engine.sync_engine, {})
    dropped = list(held.values())
    held.clear()
    for connection in dropped:
        try:
            connection.terminate()
        except Exception as exc:  # already closed, or closing: nothing is left to drop
            log.debug("database: dropping a connection: %s: %s", type(exc).__name__, exc)


class NoConnectionInTime(ConnectionError):
    """No connection to the database was had in time: every pooled one busy, or connecting hung."""


# Checkouts given up on, still running: held here until they end, and their connections closed.
_given_up: set[asyncio.Task[Any]] = set()


def _close_when_taken(connection: AsyncConnection, checkout: asyncio.Task[Any]) -> None:
    """Once a checkout given up on ends, hand its connection back (or drop its error)."""

    def taken(task: asyncio.Task[Any]) -> None:
        _given_up.discard(task)
        if task.cancelled() or task.exception() is not None:
            return  # no connection was had: nothing to hand back
        closing = asyncio.ensure_future(connection.close())
        _given_up.add(closing)
        closing.add_done_callback(_given_up.discard)

    _given_up.add(checkout)
    checkout.add_done_callback(taken)


@asynccontextmanager
async def connection_within(engine: AsyncEngine, seconds: float) -> AsyncIterator[AsyncConnection]:
    """Yield one of ``engine``'s connections, or raise ``NoConnectionInTime`` when none is had
    within ``seconds``.

    For probes and scrapes, which are answered in time or not at all: taking a connection waits
    for a free one up to the pool's timeout (30 s) while all are busy, as they are when each
    waits on a database that stopped answering, and a new one's connecting up to the connect
    timeout, which an operator may raise. The checkout is not cancelled but left to end on its
    own, its connection then handed back: cancelled mid-way through a new connection's set-up,
    it could leave that connection open and known to no pool.
    """
    connection = engine.connect()
    checkout = asyncio.ensure_future(connection.start())
    try:
        done, _ = await asyncio.wait({checkout}, timeout=seconds)
    except BaseException:  # the request was cancelled while it waited
        _close_when_taken(connection, checkout)
        raise
    if not done:
        _close_when_taken(connection, checkout)
        raise NoConnectionInTime(f"no connection to the database within {seconds:g} s")
    checkout.result()  # a refused connection, a failed connect: raised here
    try:
        yield connection
    finally:
        await asyncio.shield(connection.close())  # as AsyncConnection's own exit does


async def answered_on_time(
    engine: AsyncEngine, seconds: float, work: Callable[[AsyncConnection], Awaitable[T]]
) -> T:
    """Return what ``work`` returns on one of ``engine``'s connections, within about
    ``seconds`` in all: the connection had within ``seconds`` (else ``NoConnectionInTime``),
    the answer within what is left of them, and never less than a quarter of them (else
    ``AnswerTimedOut``, the connection dropped), so 1.25 times ``seconds`` at most.
    """
    loop = asyncio.get_running_loop()
    ends = loop.time() + seconds
    async with connection_within(engine, seconds) as connection:
        return await answered_within(max(ends - loop.time(), seconds / 4), connection, work)


async def answered_within(
    seconds: float, connection: AsyncConnection, work: Callable[[AsyncConnection], Awaitable[T]]
) -> T:
    """Return what ``work`` on ``connection`` returns, or raise ``AnswerTimedOut`` after
    ``seconds`` without an answer, the connection dropped and never handed out again.

    The statement is not cancelled: asyncpg would ask the server to cancel it over a new
    connection, and SQLAlchemy then closes the connection politely, which on a server that
    stopped answering waits 2 s more for a confirmation and a goodbye that never come. Dropped
    at once instead, the connection fails the statement as a lost one and leaves the pool;
    whatever the server still sends on it is never read as the answer to a later statement.
    """
    working = asyncio.ensure_future(work(connection))
    try:
        done, _ = await asyncio.wait({working}, timeout=seconds)
    except BaseException:  # cancelled while waiting: the statement is abandoned all the same
        await _drop(connection, working)
        raise
    if done:
        return working.result()
    await _drop(connection, working)
    raise AnswerTimedOut(f"the database did not answer within {seconds:g} s")


async def _drop(connection: AsyncConnection, working: asyncio.Future[Any]) -> None:
    """Close ``connection``'s socket under the statement waiting on it, and invalidate it."""
    driver: Any = (await connection.get_raw_connection()).dbapi_connection
    # Outside SQLAlchemy's greenlet, terminate() closes the socket without a word to the server
    # (as in abort_connections).
    terminate = getattr(driver, "terminate", None)
    if callable(terminate):
        terminate()
    await asyncio.wait({working})  # fails at once now: its connection is gone
    if not working.cancelled():
        working.exception()  # retrieved, or asyncio logs it: the lost connection, said as a timeout
    await connection.invalidate()


def _timed_out_is_unreachable(seconds: float) -> Any:
    """Return a connect hook that raises a timed-out connect as ``ConnectTimedOut``."""

    # asyncpg raises a bare TimeoutError, without text: the web answered 500 with a traceback
    # rather than 503 (which counts ConnectionError), and commands said «varsel: ».
    def connect(dialect: Dialect, _record: Any, cargs: Any, cparams: Any) -> Any:
        try:
            return dialect.connect(*cargs, **cparams)
        except TimeoutError as exc:
            raise ConnectTimedOut(f"the database did not answer within {seconds:g} s") from exc

    return connect


def among(
    column: ColumnElement[Any] | QueryableAttribute[Any], values: Collection[Any], dialect: Dialect
) -> ColumnElement[bool]:
    """Return ``column IN values``; on PostgreSQL ``column = ANY(array)``, one parameter.

    For IN, SQLAlchemy renders and casts one parameter per value on every execution, and the
    statement's text changes with the count of values.
    """
    if dialect.name == "postgresql":
        return column == any_(literal(list(values), ARRAY(column.type)))
    return column.in_(values)


def rowcount(result: object) -> int:
    """Return how many rows an INSERT, UPDATE or DELETE touched (0 where the driver cannot tell)."""
    # Session.execute is typed to return Result, which has no rowcount; the CursorResult it
    # returns for DML does.
    return int(getattr(result, "rowcount", 0) or 0)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Build the session factory; objects stay usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """Open a session in a transaction that commits on success and rolls back on error."""
    async with sessions() as session, session.begin():
        yield session
