"""Migration 0028 undone: refused while a publisher's push is held on a source's row, since the
older schema has nowhere to keep it; done once none is."""

from __future__ import annotations

import asyncio

import pytest
from alembic import command

from tests.integration.test_audit_addresses_migration import _run, database_url
from varsel.schema import alembic_config

__all__ = ["database_url"]  # the fixture: a fresh SQLite file and PostgreSQL database

HELD = '[{"note": "Nytt om revebjelle."}]'  # what the column holds is not read, only counted


def _source(database_url: str, held: str | None) -> None:
    asyncio.run(
        _run(
            database_url,
            "INSERT INTO watch_sources (url, kind, topics, interval_seconds, ignore, active,"
            " status, consecutive_failures, held_pushes) VALUES ('https://fhi.example/p', 'page',"
            " '[]', 900, '[]', true, 'ok', 0, :held)",
            held=held,
        )
    )


def _columns(database_url: str) -> list[tuple[object, ...]]:
    return asyncio.run(_run(database_url, "SELECT * FROM watch_sources"))


def test_undoing_it_is_refused_while_a_push_is_held(database_url: str) -> None:
    command.upgrade(alembic_config(database_url), "0028")  # a later head is undone first
    _source(database_url, HELD)
    config = alembic_config(database_url)

    with pytest.raises(RuntimeError, match="1 source\\(s\\) hold pushed changes"):
        command.downgrade(config, "0027")

    held = asyncio.run(_run(database_url, "SELECT held_pushes FROM watch_sources"))
    assert held == [(HELD,)]
    version = asyncio.run(_run(database_url, "SELECT version_num FROM alembic_version"))
    assert version == [("0028",)]


def test_undoing_it_with_no_push_held_drops_the_column(database_url: str) -> None:
    command.upgrade(alembic_config(database_url), "0028")  # a later head is undone first
    _source(database_url, None)
    width = len(_columns(database_url)[0])

    command.downgrade(alembic_config(database_url), "0027")

    assert len(_columns(database_url)[0]) == width - 1
