"""Migration 0030: a source's rows keep their data when the column of the rules its stored text
was read under comes and goes (undone, a source changed since is judged by its new rules, as
before the column). On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from alembic import command

from shared.schema import upgrade
from tests.integration.test_audit_addresses_migration import _run, database_url
from varsel.schema import alembic_config

__all__ = ["database_url"]  # the fixture: a fresh SQLite file and PostgreSQL database

_SOURCE = (
    "INSERT INTO watch_sources (url, kind, topics, interval_seconds, selector, ignore, active,"
    " fingerprint, status, consecutive_failures{column}) VALUES ('https://fhi.example/p',"
    " 'page', '[\"tema\"]', 900, '#frister', '[]', true, 'abc', 'ok', 0{value})"
)


def test_the_rules_before_column_comes_and_goes_with_the_rows_kept(database_url: str) -> None:
    config = alembic_config(database_url)
    command.upgrade(config, "0029")
    asyncio.run(_run(database_url, _SOURCE.format(column="", value="")))

    upgrade(database_url)
    kept = "SELECT selector, fingerprint, rules_before FROM watch_sources"
    assert asyncio.run(_run(database_url, kept)) == [("#frister", "abc", None)]
    asyncio.run(
        _run(database_url, "UPDATE watch_sources SET rules_before = '[\"page\", null, []]'")
    )

    command.downgrade(config, "0029")
    kept = "SELECT selector, fingerprint FROM watch_sources"
    assert asyncio.run(_run(database_url, kept)) == [("#frister", "abc")]
