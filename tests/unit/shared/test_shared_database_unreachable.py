"""Which database errors are a database that cannot be used now (503), and which are faults."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError, ProgrammingError

from shared.unreachable import is_database_unreachable


def _wrapped(error: Exception) -> OperationalError:
    """The error as SQLAlchemy raises it from a statement."""
    return OperationalError("SELECT 1", None, error)


def test_a_locked_sqlite_file_is_a_database_to_wait_for(tmp_path: Path) -> None:
    path = tmp_path / "varsel.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    other = sqlite3.connect(path, timeout=0)
    try:
        with pytest.raises(sqlite3.OperationalError) as locked:
            other.execute("INSERT INTO t VALUES (1)")
    finally:
        other.close()
        holder.close()
    assert is_database_unreachable(_wrapped(locked.value))


def test_a_missing_sqlite_table_is_a_fault_not_an_outage(tmp_path: Path) -> None:
    # SQLite says "no such table" with an OperationalError too: answered 503 "try again in a
    # minute", a schema that needs fixing would be retried for ever.
    with (
        sqlite3.connect(tmp_path / "varsel.db") as connection,
        pytest.raises(sqlite3.OperationalError) as missing,
    ):
        connection.execute("SELECT * FROM admin_audit_log")
    assert not is_database_unreachable(_wrapped(missing.value))


def test_an_sqlite_file_that_cannot_be_opened_is_a_database_to_wait_for(tmp_path: Path) -> None:
    with pytest.raises(sqlite3.OperationalError) as unopened:
        sqlite3.connect(tmp_path / "no-such-folder" / "varsel.db")
    assert is_database_unreachable(_wrapped(unopened.value))


def test_an_sqlite_file_that_cannot_be_written_is_a_database_to_wait_for(tmp_path: Path) -> None:
    # A volume mounted read-only, a file left owned by another user after a restore.
    path = tmp_path / "varsel.db"
    with sqlite3.connect(path) as setup:
        setup.execute("CREATE TABLE t (x)")
    readonly = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        with pytest.raises(sqlite3.OperationalError) as refused:
            readonly.execute("INSERT INTO t VALUES (1)")
    finally:
        readonly.close()
    assert is_database_unreachable(_wrapped(refused.value))


def test_other_errors_keep_their_kind() -> None:
    assert is_database_unreachable(ConnectionRefusedError())
    assert is_database_unreachable(_wrapped(Exception("server closed the connection")))
    assert not is_database_unreachable(ProgrammingError("SELECT", None, Exception("no relation")))
    assert not is_database_unreachable(ValueError("not the database"))
