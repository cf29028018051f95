"""A failed statement's error never carries the statement's values: they include addresses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from shared.db import create_engine
from tests.support.databases import migrated_database

ADDRESS = "kari.nordmann@example.no"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with migrated_database(request.param, tmp_path) as url:
        yield url


async def test_an_error_names_the_statement_but_not_its_values(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            with pytest.raises(DBAPIError) as failure:
                await connection.execute(
                    text("SELECT email FROM no_such_table WHERE email = :email"),
                    {"email": ADDRESS},
                )
    finally:
        await engine.dispose()
    message = str(failure.value)
    assert "no_such_table" in message
    assert ADDRESS not in message and "example.no" not in message
