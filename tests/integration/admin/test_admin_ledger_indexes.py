"""The ledger's keyset indexes on PostgreSQL hold their keys only, as the model declares.

They carried the topics once (0003), and a ledger row naming many topics could then not be
written (0035). Alembic's comparison does not look at INCLUDE columns, so this checks them itself.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from services.subscriptions.adapters.tables import ConsentRecord
from shared.db import Base, create_engine
from tests.support.databases import migrated_postgres_database

pytestmark = pytest.mark.postgres

PAGING = {
    "ix_sub_consent_ledger_occurred_at_id": "(occurred_at, id)",
    "ix_sub_consent_ledger_action_occurred_at_id": "(action, occurred_at, id)",
}


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


def test_keyset_indexes_hold_their_keys_only() -> None:
    indexes = Base.metadata.tables[ConsentRecord.__tablename__].indexes
    declared = {str(index.name): index for index in indexes if str(index.name) in PAGING}
    assert set(declared) == set(PAGING)
    assert all(not index.dialect_options["postgresql"]["include"] for index in declared.values())
    with migrated_postgres_database() as url:
        built = asyncio.run(_index_definitions(url))
    for name, columns in PAGING.items():
        assert built[name].endswith(f"USING btree {columns}"), built[name]
        assert "INCLUDE" not in built[name]
