"""Migration 0024: failed sign-ins audited before it under an address typed as the account's
name keep the entry, not the address; every other entry is left as it was."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from shared.db import create_engine
from shared.schema import upgrade
from tests.support.databases import empty_database
from varsel.schema import alembic_config

ENTRIES = [
    ("login_failed", "kari.nordmann@example.no", "[address]"),
    ("login_limited", "rita rita@fhi.example", "rita [address]"),
    ("login_failed", "rita", "rita"),
    # Written cut to the column's 100 characters; «[address]» is longer than «a@b.no».
    ("login_failed", "x" * 93 + " a@b.no", "x" * 93 + " [addre"),
    # Not a sign-in: the name is an account's, written by the code, and stays.
    ("bulletin_sent", "ola@example.no", "ola@example.no"),
]


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with empty_database(request.param, tmp_path) as url:
        yield url


async def _run(url: str, statement: str, **values: object) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            result = await connection.execute(text(statement), values)
            return [tuple(row) for row in result.all()] if result.returns_rows else []
    finally:
        await engine.dispose()


def test_addresses_typed_as_names_of_failed_sign_ins_are_left_out(database_url: str) -> None:
    config = alembic_config(database_url)
    command.upgrade(config, "0023")
    for action, actor, _ in ENTRIES:
        asyncio.run(
            _run(
                database_url,
                "INSERT INTO admin_audit_log (occurred_at, actor, action, client) "
                "VALUES (CURRENT_TIMESTAMP, :actor, :action, '127.0.0.1')",
                actor=actor,
                action=action,
            )
        )

    upgrade(database_url)

    rows = asyncio.run(_run(database_url, "SELECT action, actor FROM admin_audit_log ORDER BY id"))
    assert rows == [(action, after) for action, _, after in ENTRIES]
