"""What several end-to-end modules share: the database each runs varsel on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.databases import empty_database


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Yield a SQLite file's URL, then a fresh PostgreSQL database's."""
    with empty_database(request.param, tmp_path) as url:
        yield url
