"""Replicas that migrate as they start (`varsel run --migrate`, `varsel migrate` beside them) take
turns: each waits for the one migrating, then finds nothing to do, and every one starts.

Before, on a new database all but one failed on a table another had just made («duplicate key
value violates unique constraint "pg_type_typname_nsp_index"», «table mail_changes already
exists»), and on SQLite one stopped halfway through a migration with a traceback.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from shared.schema import MIGRATION_LOCK_KEY, head_revision, migrated_revision
from tests.support.services import POSTGRES_ADMIN_URL, fresh_postgres_database
from tests.support.varsel_process import wait_until

REPLICAS = 3
WAIT_SECONDS = 120  # for a state to come about (three processes starting), not a measure


def _migrate_together(
    env: dict[str, str], workdir: Path, count: int = REPLICAS
) -> list[subprocess.Popen[str]]:
    """Start ``count`` `varsel migrate` processes at once."""
    return [
        subprocess.Popen(
            [sys.executable, "-m", "varsel", "migrate"],
            cwd=workdir,
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(count)
    ]


def _each_succeeded(processes: list[subprocess.Popen[str]]) -> None:
    for process in processes:
        output, _ = process.communicate(timeout=WAIT_SECONDS)
        assert process.returncode == 0, output
        # Alembic logs each migration it runs; the last line is the command's own.
        assert output.strip().splitlines()[-1] == "varsel: database is up to date", output
        assert "Traceback" not in output and "Error" not in output, output


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with fresh_postgres_database() as url:
        yield url


async def _hold_the_lock(url: str) -> asyncpg.Connection:
    """Take the migration lock, as a run migrating the database holds it."""
    connection = await asyncpg.connect(url.replace("+asyncpg", ""))
    await connection.execute(f"SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})")
    return connection


async def _waiting(url: str) -> int:
    """Count the runs waiting for the migration lock of this database (not another test's)."""
    connection = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        return int(
            await connection.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                "AND objid = $1 AND database = (SELECT oid FROM pg_database WHERE datname = $2)",
                MIGRATION_LOCK_KEY,
                url.rsplit("/", 1)[1],
            )
        )
    finally:
        await connection.close()


def test_replicas_migrating_a_new_postgresql_database_together_take_turns(
    postgres_url: str, tmp_path: Path
) -> None:
    with asyncio.Runner() as runner:
        holder = runner.run(_hold_the_lock(postgres_url))
        processes = _migrate_together({"VARSEL_DATABASE_URL": postgres_url}, tmp_path)
        # Every replica waits for the lock before it writes anything; released, they take turns.
        wait_until(
            lambda: runner.run(_waiting(postgres_url)) == REPLICAS,
            "every replica to wait",
            within=WAIT_SECONDS,
        )
        assert migrated_revision(postgres_url) is None
        runner.run(holder.close())
    _each_succeeded(processes)
    assert migrated_revision(postgres_url) == head_revision()


def test_a_run_that_waited_for_a_later_release_s_says_so_and_changes_nothing(
    postgres_url: str, tmp_path: Path
) -> None:
    # An older release's `varsel run --migrate` during a rollback read the revision before a
    # newer release's Job migrated: behind the lock that took the whole migration, and then
    # Alembic failed on the revision it did not know («Can't locate revision»).
    with asyncio.Runner() as runner:
        holder = runner.run(_hold_the_lock(postgres_url))
        [process] = _migrate_together({"VARSEL_DATABASE_URL": postgres_url}, tmp_path, 1)
        wait_until(
            lambda: runner.run(_waiting(postgres_url)) >= 1, "the run to wait", within=WAIT_SECONDS
        )
        runner.run(
            holder.execute(
                "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY);"
                "INSERT INTO alembic_version VALUES ('9999')"  # which only a later release knows
            )
        )
        runner.run(holder.close())
    output, _ = process.communicate(timeout=WAIT_SECONDS)
    assert process.returncode == 0, output
    assert "revision '9999', which a later release made" in output.splitlines()[-1], output
    assert migrated_revision(postgres_url) == "9999"


def _holds_the_file_and_sleeps(pid: int, database: Path) -> bool:
    """Tell whether a process has the database open and spends no CPU (waits for its lock)."""
    try:
        opened = any(
            os.readlink(f"/proc/{pid}/fd/{fd}") == str(database)
            for fd in os.listdir(f"/proc/{pid}/fd")
        )
        if not opened:
            return False
        before = _cpu_ticks(pid)
        time.sleep(0.5)
        return _cpu_ticks(pid) == before
    except OSError:
        return False


def _cpu_ticks(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads /proc (Linux)")
def test_replicas_migrating_a_new_sqlite_file_together_take_turns(tmp_path: Path) -> None:
    database = tmp_path / "varsel.db"
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("BEGIN IMMEDIATE")  # the write lock, as a replica migrating holds it
    env = {"VARSEL_DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    processes = _migrate_together(env, tmp_path)
    try:
        # Every replica reaches the lock and waits there; released, they all go at once.
        for process in processes:
            wait_until(
                lambda p=process: _holds_the_file_and_sleeps(p.pid, database),
                "a replica to wait for the write lock",
                within=WAIT_SECONDS,
            )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    _each_succeeded(processes)
    assert migrated_revision(env["VARSEL_DATABASE_URL"]) == head_revision()
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
