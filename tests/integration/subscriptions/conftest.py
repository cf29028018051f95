"""Fixtures of the subscriptions HTTP tests: a temporary database on SQLite or PostgreSQL."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# tests/integration has no __init__.py, so pytest puts only that folder on sys.path; the shared
# test support package lives at the repository root.
_ROOT = str(Path(__file__).resolve().parents[3])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from tests.support.databases import migrated_postgres_database, migrated_sqlite  # noqa: E402


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh, migrated SQLite database."""
    return migrated_sqlite(tmp_path / "varsel.db")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database of each kind (the PostgreSQL one skips, or fails under CI)."""
    if request.param == "sqlite":
        yield migrated_sqlite(tmp_path / "varsel.db")
        return
    with migrated_postgres_database() as url:
        yield url
