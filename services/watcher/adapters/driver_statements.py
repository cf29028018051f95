"""The poll loop's hottest statements, run on SQLite's own cursor with SQLAlchemy's SQL.

On the SQLite writer's connections (group_writes.SqliteFileTransactions) SQLAlchemy's work
around each statement (an execution context, the parameters built and processed, a result
and its metadata) cost about twice what sqlite3 spends running it: of a round's 0.09 s in
``Connection.execute`` for 527 statements, 0.03 s was sqlite3's. So there each statement
here is compiled once by SQLAlchemy and run on the ``sqlite3`` cursor of the connection's
transaction. The values still go through the processors SQLAlchemy's dialect gives their
types (UTCDateTime, JSON, Date, LargeBinary), both ways, so a row is written and read
exactly as ``Connection.execute`` would (tests/integration/watcher/test_driver_statements.py
writes rows both ways and compares them). Any other connection (PostgreSQL, aiosqlite)
runs the statement through SQLAlchemy as before. Used for the claims, the quiet outcomes'
batched UPDATE and the four statements that store a changed page (docs/benchmarks.md,
«Storing outcomes on the SQLite writer thread», has the figures).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final, NamedTuple

from sqlalchemy import Connection, Insert, Select, UpdateBase
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import TypeEngine

from shared.db import UTCDateTime

_Processor = Callable[[Any], Any] | None
_Values = Mapping[str, Any]
_MISSING: Final = object()


class _Bind(NamedTuple):
    name: str
    process: _Processor
    constant: Any  # the value a bind not given by the caller takes; _MISSING if it must be
    # The position of an earlier bind of the same name and processor, whose value this one
    # repeats (-1: none): the quiet UPDATE names its check time and next time twice each.
    earlier: int


class _Compiled(NamedTuple):
    sql: str
    # The parameters as a row starts: the constants in place, the others filled by _params.
    template: tuple[Any, ...]
    given: tuple[tuple[int, str, _Processor], ...]  # (position, name, processor) from the values
    repeats: tuple[tuple[int, int], ...]  # (position, earlier position it repeats)
    results: tuple[tuple[int, Callable[[Any], Any]], ...]  # the columns that have a processor


def _compile(
    statement: Select[Any] | UpdateBase, dialect: Dialect, column_keys: Sequence[str] | None
) -> _Compiled:
    compiled = statement.compile(dialect=dialect, column_keys=column_keys)
    order = compiled.positiontup
    if order is None:
        raise ValueError("only a positional paramstyle is run on the cursor")
    binds: list[_Bind] = []
    for name in order:
        bind = compiled.binds[name]
        if bind.expanding or bind.literal_execute or bind.callable is not None:
            raise ValueError(f"bind {name!r} is rendered per execution; run it through SQLAlchemy")
        process = _bind_processor(bind.type, dialect)
        if bind.required:
            constant = _MISSING
        else:
            constant = bind.value if process is None else process(bind.value)
        earlier = next(
            (
                at
                for at, seen in enumerate(binds)
                if seen.name == name and seen.process is process and seen.earlier < 0
            ),
            -1,
        )
        binds.append(_Bind(name, process, constant, earlier))
    # A SELECT's columns, or what an INSERT, UPDATE or DELETE returns.
    processors = (
        column.type.dialect_impl(dialect).result_processor(dialect, None)
        for column in statement.exported_columns
    )
    results = tuple((index, p) for index, p in enumerate(processors) if p is not None)
    # A row's parameters from a copy of the constants, only the given ones looked up: the
    # quiet UPDATE has nineteen binds, of which seven come from the row.
    template = tuple(None if b.constant is _MISSING else b.constant for b in binds)
    given = tuple(
        (at, b.name, b.process)
        for at, b in enumerate(binds)
        if b.constant is _MISSING and b.earlier < 0
    )
    repeats = tuple((at, b.earlier) for at, b in enumerate(binds) if b.earlier >= 0)
    return _Compiled(compiled.string, template, given, repeats, results)


def _utc_text(value: datetime | None) -> str | None:
    """Return an aware time as SQLite's DATETIME keeps a UTCDateTime: in UTC, to the microsecond.

    What UTCDateTime's processor and then DATETIME's give (``_bind_processor`` checks that they
    agree), in half their time: DATETIME's formats a dict of seven fields, and a round binds
    about 5,000 times (the quiet UPDATE four a row).
    """
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetimes are not stored; use aware UTC times")
    return value.astimezone(UTC).isoformat(" ", "microseconds")[:26]  # «+00:00» left off


# Times _utc_text is checked on against SQLAlchemy's processors before it is used: a
# microsecond of 0 (which isoformat would leave off), a year under 1000, another zone.
_PROBE_TIMES = (
    datetime(2026, 12, 6, 22, 30, 5, 123456, tzinfo=UTC),
    datetime(2026, 1, 1, tzinfo=UTC),
    datetime(999, 3, 4, 5, 6, 7, 8, tzinfo=UTC),
    datetime.fromisoformat("2026-06-30T23:59:59.999999+02:00"),
)


def _bind_processor(type_: TypeEngine[Any], dialect: Dialect) -> _Processor:
    process = type_.dialect_impl(dialect).bind_processor(dialect)
    quick = (
        isinstance(type_, UTCDateTime)
        and process is not None
        and all(_utc_text(t) == process(t) for t in _PROBE_TIMES)
    )
    return _utc_text if quick else process


def _processed(
    results: tuple[tuple[int, Callable[[Any], Any]], ...], row: Sequence[Any]
) -> list[Any]:
    values = list(row)
    for index, process in results:
        values[index] = process(values[index])
    return values


_DIALECTS_KEPT = 4


def _on_cursor(conn: Connection) -> bool:
    """Tell whether ``conn`` is a plain sqlite3 connection (the SQLite writer's)."""
    return isinstance(conn, Connection) and conn.dialect.driver == "pysqlite"


class DriverStatement:
    """A Core statement that runs on sqlite3's cursor where it can (see the module docstring)."""

    def __init__(
        self, statement: Select[Any] | UpdateBase, *, column_keys: Sequence[str] | None = None
    ) -> None:
        """Wrap ``statement``; an INSERT without values takes ``column_keys``, in that order."""
        self.statement = statement
        self._column_keys = column_keys
        self._compiled: dict[int, tuple[Dialect, _Compiled]] = {}  # by id(dialect)
        self._returning: Insert | None = None

    def _for(self, conn: Connection) -> _Compiled:
        # Compiled for each dialect seen: the SQLite writer's two connections have an engine
        # each (group_writes), tests have many, whose options (a JSON serializer, say) could
        # differ. A few are kept, so that one compilation serves the writer's either way.
        dialect = conn.dialect
        cached = self._compiled.get(id(dialect))
        if cached is None or cached[0] is not dialect:
            if len(self._compiled) >= _DIALECTS_KEPT:
                self._compiled.clear()
            cached = self._compiled[id(dialect)] = (
                dialect,
                _compile(self.statement, dialect, self._column_keys),
            )
        return cached[1]

    def _params(self, compiled: _Compiled, values: _Values) -> list[Any]:
        params = list(compiled.template)
        for at, name, process in compiled.given:
            value = values[name]
            params[at] = value if process is None else process(value)
        for at, earlier in compiled.repeats:
            params[at] = params[earlier]
        return params

    def _run(self, conn: Connection, compiled: _Compiled, rows: list[list[Any]]) -> sqlite3.Cursor:
        # The connection of the transaction SQLAlchemy began: these statements are in it.
        driver = conn.connection.dbapi_connection
        assert isinstance(driver, sqlite3.Connection), "only pysqlite connections come here"
        cursor = driver.cursor()
        try:
            if len(rows) == 1:
                cursor.execute(compiled.sql, rows[0])
            else:
                cursor.executemany(compiled.sql, rows)
        except sqlite3.Error as exc:
            # The same exception classes as through SQLAlchemy, parameters left out of it.
            raise DBAPIError.instance(
                compiled.sql, None, exc, sqlite3.Error, hide_parameters=True
            ) from exc
        return cursor

    def execute(self, conn: Connection, values: _Values) -> None:
        """Run the statement once."""
        if not _on_cursor(conn):
            conn.execute(self.statement, values)
            return
        compiled = self._for(conn)
        self._run(conn, compiled, [self._params(compiled, values)])

    def executemany(self, conn: Connection, rows: Iterable[_Values]) -> None:
        """Run the statement for each of ``rows`` (none: nothing is run)."""
        rows = list(rows)
        if not rows:
            return
        if not _on_cursor(conn):
            conn.execute(self.statement, rows)
            return
        compiled = self._for(conn)
        self._run(conn, compiled, [self._params(compiled, row) for row in rows])

    def first(self, conn: Connection, values: _Values) -> Sequence[Any] | None:
        """Run the statement; return its first row's values, processed as SQLAlchemy would."""
        if not _on_cursor(conn):
            return conn.execute(self.statement, values).first()
        compiled = self._for(conn)
        row = self._run(conn, compiled, [self._params(compiled, values)]).fetchone()
        return None if row is None else _processed(compiled.results, row)

    def all(self, conn: Connection, values: _Values) -> list[Sequence[Any]]:
        """Run the statement; return its rows' values, processed as SQLAlchemy would."""
        if not _on_cursor(conn):
            return list(conn.execute(self.statement, values))
        compiled = self._for(conn)
        rows = self._run(conn, compiled, [self._params(compiled, values)]).fetchall()
        return [_processed(compiled.results, row) for row in rows]

    def inserted_id(self, conn: Connection, values: _Values) -> int:
        """Run an INSERT of one row; return the primary key it was given.

        On SQLite that key must be the rowid (an INTEGER PRIMARY KEY, as every BigId is there).
        """
        if not _on_cursor(conn):
            if self._returning is None:
                insert = self.statement
                assert isinstance(insert, Insert)
                (key,) = insert.table.primary_key.columns  # type: ignore[attr-defined]
                self._returning = insert.returning(key)
            inserted: int = conn.execute(self._returning, values).scalar_one()
            return inserted
        compiled = self._for(conn)
        cursor = self._run(conn, compiled, [self._params(compiled, values)])
        # The key is the rowid: RETURNING would only read it back.
        rowid = cursor.lastrowid
        assert rowid is not None, "an INSERT gives a rowid"
        return rowid
