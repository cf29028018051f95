"""Migration 0029: publisher tokens issued before it name no site (every site, ADR 0024); undone,
it revokes the live tokens that name sites, since the older schema would open every site to
them, and says so in the audit log. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from alembic import command

from shared.schema import upgrade
from tests.integration.test_audit_addresses_migration import _run, database_url
from varsel.schema import alembic_config

__all__ = ["database_url"]  # the fixture: a fresh SQLite file and PostgreSQL database

_TOKEN = (
    "INSERT INTO admin_publisher_tokens (name, token_hash, created_by, created_at{column})"
    " VALUES (:name, :hash, 'drift', CURRENT_TIMESTAMP{value})"
)


def _token(url: str, name: str, sites: str | None = None, *, with_column: bool = True) -> None:
    statement = _TOKEN.format(
        column=", sites" if with_column else "", value=", :sites" if with_column else ""
    )
    values: dict[str, object] = {"name": name, "hash": name.ljust(64, "0")}
    if with_column:
        values["sites"] = sites
    asyncio.run(_run(url, statement, **values))


def _tokens(url: str) -> list[tuple[object, ...]]:
    return asyncio.run(
        _run(url, "SELECT name, revoked_at IS NULL FROM admin_publisher_tokens ORDER BY id")
    )


def test_a_token_issued_before_keeps_every_site_and_undoing_it_revokes_scoped_ones(
    database_url: str,
) -> None:
    config = alembic_config(database_url)
    command.upgrade(config, "0028")
    _token(database_url, "Gammel CMS", with_column=False)

    upgrade(database_url)

    kept = asyncio.run(_run(database_url, "SELECT name, sites FROM admin_publisher_tokens"))
    assert kept == [("Gammel CMS", None)], "nothing derived: it opens every site, as before"
    _token(database_url, "FHI", "www.fhi.no\nhelsenorge.no")
    _token(database_url, "Bergen", "www.bergen.kommune.no")
    asyncio.run(
        _run(
            database_url,
            "UPDATE admin_publisher_tokens SET revoked_at = CURRENT_TIMESTAMP"
            " WHERE name = 'Bergen'",
        )
    )

    command.downgrade(config, "0028")

    assert _tokens(database_url) == [("Gammel CMS", True), ("FHI", False), ("Bergen", False)]
    audited = asyncio.run(
        _run(database_url, "SELECT actor, action, target, client FROM admin_audit_log")
    )
    assert audited == [("migration:0029", "publisher_token_revoked", "2", "migration")]
    columns = asyncio.run(_run(database_url, "SELECT * FROM admin_publisher_tokens"))
    assert len(columns[0]) == 7, "the column is gone"

    upgrade(database_url)  # and done again
    again = asyncio.run(_run(database_url, "SELECT sites FROM admin_publisher_tokens"))
    assert again == [(None,), (None,), (None,)]
