"""Finding the real servers the integration tests need; skip or fail loudly when one is absent."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg
import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_ADMIN_URL = os.environ.get("VARSEL_TEST_POSTGRES", "postgresql://127.0.0.1:5432/test")


def reachable(host: str, port: int, timeout: float = 1.0) -> bool:
    """Tell whether something listens on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def require(condition: bool, what: str) -> None:
    """Skip with a clear reason when a real part is missing; under CI=true, fail instead."""
    if condition:
        return
    message = f"{what} is not available"
    if IN_CI:
        pytest.fail(f"{message}, and CI=true requires it (start it; see README, Testing)")
    pytest.skip(f"{message}; this test needs it (CI=true makes this a failure)")


def _admin(statement: str) -> None:
    async def run() -> None:
        connection = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run())


def postgres_available() -> bool:
    """Tell whether the test PostgreSQL server answers."""
    try:
        _admin("SELECT 1")
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    return True


def _database_url(name: str) -> str:
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{name}"


def create_postgres_database(template: str | None = None) -> str:
    """Create a PostgreSQL database, empty or a copy of ``template``; return its URL.

    Skips, or fails under CI, when PostgreSQL is not there.
    """
    require(postgres_available(), f"PostgreSQL at {POSTGRES_ADMIN_URL}")
    name = f"varsel_test_{uuid.uuid4().hex[:12]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    _admin(f'CREATE DATABASE "{name}"{copy}')
    return _database_url(name)


def drop_postgres_database(name: str) -> None:
    """Drop a database now, closing whatever connections are left on it."""
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def fresh_postgres_database(template: str | None = None) -> Iterator[str]:
    """Create a PostgreSQL database for one test (empty, or a copy of ``template``) and drop it
    afterwards."""
    url = create_postgres_database(template)
    try:
        yield url
    finally:
        drop_postgres_database(url.rsplit("/", 1)[1])
