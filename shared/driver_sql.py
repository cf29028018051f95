"""The hottest writes on the pooled connection's own driver (asyncpg), past SQLAlchemy's layers.

A statement run through an ORM session passes the session, the connection, an execution
context and a result, each of them Python: for the sign-up's one statement that cost more CPU
(0.76 ms a sign-up, measured alone) than asyncpg does running it with its BEGIN and COMMIT
(0.37 ms), and those two round trips cost 0.05 ms more than the statement alone. Here the
statement is still written with SQLAlchemy and compiled by it once (its SQL, the order of its
parameters and each type's bind processing, so values go to the database exactly as SQLAlchemy
would send them); each run only lists the values and hands them to the connection that the
engine's pool lends, which goes back to that pool afterwards.

Errors keep SQLAlchemy's meaning, so callers handle them as before: a constraint violated is an
``IntegrityError``, any other error of the driver a ``DBAPIError``, and a lost connection
invalidates the pool (as SQLAlchemy does after a disconnect, ADR 0007) and is a ``DBAPIError``
with ``connection_invalidated``. None of them carries a value of the statement: they hold
addresses.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from sqlalchemy import ClauseElement
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.util import greenlet_spawn


class DriverStatement:
    """A statement compiled once for a dialect, run with values in the driver's own form."""

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        if not isinstance(compiled, SQLCompiler) or compiled.positiontup is None:
            raise ValueError(f"{dialect.name} does not take positional parameters")
        self.sql = compiled.string
        self._names = tuple(compiled.positiontup)
        # Parameters the statement fixes itself (a literal 1, say) keep their value.
        self._fixed = {
            name: bind.effective_value
            for bind, name in compiled.bind_names.items()
            if not bind.required
        }
        processors = {}
        for bind, name in compiled.bind_names.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                processors[name] = processor
        self._processors = processors

    def arguments(self, values: Mapping[str, Any]) -> list[Any]:
        """Return the statement's parameters in order, as SQLAlchemy would bind ``values``."""
        arguments = []
        for name in self._names:
            value = values[name] if name in values else self._fixed[name]
            processor = self._processors.get(name)
            arguments.append(processor(value) if processor is not None else value)
        return arguments


@asynccontextmanager
async def driver_connection(engine: AsyncEngine) -> AsyncIterator[asyncpg.Connection]:
    """Lend a pooled connection's asyncpg connection outside any transaction: each statement is
    a transaction of its own, kept whole or undone whole, with no BEGIN and COMMIT around it.

    The connection goes back to the pool after the block, or after an error the server answered
    (it is then ready for the next statement). After anything else (a lost connection, a
    cancelled request, a transaction left open) it is closed, never lent again in an unknown
    state.
    """
    pooled: PoolProxiedConnection | None = await engine.raw_connection()
    assert pooled is not None
    connection: asyncpg.Connection = pooled.driver_connection
    sound = False
    try:
        if connection.is_closed():
            # The server ended it while it waited in the pool: a statement would fail for sure.
            raise asyncpg.ConnectionDoesNotExistError("the pooled connection was closed")
        try:
            yield connection
        except asyncpg.PostgresError:
            sound = True
            raise
        sound = True
    except Exception as exc:
        invalidated = connection.is_closed()
        if invalidated:
            # Every connection opened before this one may be gone as well (a restart), as
            # SQLAlchemy assumes after a disconnect: the pool replaces them as they are lent.
            await greenlet_spawn(engine.sync_engine.pool._invalidate, pooled, exc)
            pooled = None
        # From None: the driver's own error may quote the row, and a traceback shows causes.
        if isinstance(exc, asyncpg.IntegrityConstraintViolationError):
            raise IntegrityError(None, None, _described(exc), hide_parameters=True) from None
        if invalidated or isinstance(exc, asyncpg.PostgresError | asyncpg.InterfaceError):
            raise DBAPIError(
                None,
                None,
                _described(exc),
                hide_parameters=True,
                connection_invalidated=invalidated,
            ) from None
        raise
    finally:
        if pooled is not None:
            sound = sound and not connection.is_closed() and not connection.is_in_transaction()
            await greenlet_spawn(pooled.close if sound else pooled.invalidate)


class DriverError(Exception):
    """A driver's error told without its message, which may quote values (an address)."""


def _described(exc: Exception) -> DriverError:
    """Return what failed, where: the error's class, SQLSTATE, table, column and constraint.

    PostgreSQL's detail of a violated constraint quotes the row, and asyncpg's message of a
    value it cannot encode quotes the value; neither may reach a log.
    """
    words = [type(exc).__name__]
    if isinstance(exc, OSError | asyncpg.ConnectionDoesNotExistError):
        words.append(str(exc))  # the connection's fate, no value of the statement
    for field in ("sqlstate", "table_name", "column_name", "constraint_name"):
        value = getattr(exc, field, None)
        if value:
            words.append(f"{field}={value}")
    return DriverError(" ".join(words))
