"""Each service's bootstrap registers its tables with the composition root, which hands them to
Alembic; a table nobody registered is refused rather than silently left out of the comparison."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, Table

from shared.db import Base
from shared.schema import alembic_config as bare_config
from varsel.schema import alembic_config, metadata, registered_tables


def test_every_declared_table_is_registered_by_exactly_one_part() -> None:
    owners: dict[str, list[str]] = {}
    for part, tables in registered_tables().items():
        for table in tables:
            owners.setdefault(table.__tablename__, []).append(part)
    assert set(owners) == set(metadata().tables)
    assert {name: parts for name, parts in owners.items() if len(parts) > 1} == {}
    # Each service's tables carry its prefix; the shared ones are the bus's and the limiter's.
    prefixes = {"subscriptions": "sub_", "watcher": "watch_", "mailer": "mail_", "admin": "admin_"}
    for part, prefix in prefixes.items():
        assert all(t.__tablename__.startswith(prefix) for t in registered_tables()[part]), part
    assert {t.__tablename__ for t in registered_tables()["shared"]} == {
        "outbox_events",
        "processed_events",
        "sub_rate_limits",
    }


def test_a_table_no_service_registered_is_refused() -> None:
    stray = Table("stray_notes", Base.metadata, Column("id", Integer, primary_key=True))
    try:
        with pytest.raises(RuntimeError, match="stray_notes"):
            metadata()
    finally:
        Base.metadata.remove(stray)
    assert "stray_notes" not in metadata().tables


def test_alembic_compares_with_every_table_only_when_the_root_says_which() -> None:
    url = "sqlite+aiosqlite:///unused.db"
    assert bare_config(url).attributes["target_metadata"] is None  # enough to apply migrations
    assert alembic_config(url).attributes["target_metadata"] is metadata()
