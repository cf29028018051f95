"""Fixtures of the admin tests: a migrated database on SQLite (and PostgreSQL for auth tests)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The shared test support package lives at the repository root, whichever folder pytest starts in.
_ROOT = str(Path(__file__).resolve().parents[3])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from tests.support.databases import migrated_database, migrated_sqlite  # noqa: E402


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A migrated SQLite database."""
    return migrated_sqlite(tmp_path / "varsel.db")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database of each kind (the PostgreSQL one skips, or fails under CI)."""
    with migrated_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Use light argon2 parameters: the production cost (~0.3 s a hash) would slow the suite."""
    from argon2 import PasswordHasher

    from services.admin.adapters import passwords

    light = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", light)
    dummy = light.hash("no such account")
    monkeypatch.setattr(passwords, "_dummy_hash", lambda: dummy)
