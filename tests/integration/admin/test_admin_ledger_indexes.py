"""The ledger's keyset indexes carry the topics on PostgreSQL, as the model declares.

Alembic's comparison does not look at INCLUDE columns, so this checks them itself.
"""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy import text

from services.subscriptions.adapters.tables import ConsentRecord
from shared.db import Base, create_engine
from tests.support.databases import migrated_postgres_database

pytestmark = pytest.mark.postgres


async def _index_definitions(url: str) -> dict[str, str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = :t"),
                {"t": "sub_consent_ledger"},
            )
            return {name: definition for name, definition in rows.all()}
    finally:
        await engine.dispose()


def test_keyset_indexes_include_the_topics() -> None:
    declared = {
        str(index.name): list(index.dialect_options["postgresql"]["include"])
        for index in Base.metadata.tables[ConsentRecord.__tablename__].indexes
        if index.dialect_options["postgresql"]["include"]
    }
    assert set(declared) == {
        "ix_sub_consent_ledger_occurred_at_id",
        "ix_sub_consent_ledger_action_occurred_at_id",
    }
    with migrated_postgres_database() as url:
        built = asyncio.run(_index_definitions(url))
    for name, include in declared.items():
        found = re.search(r"INCLUDE \((.*)\)", built[name])
        assert found is not None, f"{name} has no INCLUDE"
        assert found.group(1).split(", ") == include
