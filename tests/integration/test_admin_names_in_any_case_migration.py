"""Migration 0032: admin account names are unique whatever their case, in the database itself,
so two `create-user` commands at once cannot both make «Op» and «op»; an installation that
holds such names already is told which to rename, and nothing changes. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from alembic import command
from typer.testing import CliRunner

from services.admin.adapters import accounts
from services.admin.domain.accounts import AdminError
from shared.db import create_engine, session_factory
from shared.schema import upgrade
from tests.integration.test_audit_addresses_migration import _run, database_url
from varsel.cli import app
from varsel.schema import alembic_config

__all__ = ["database_url"]  # the fixture: a fresh SQLite file and PostgreSQL database

_ACCOUNT = (
    "INSERT INTO admin_users (name, role, password_hash, created_at)"
    " VALUES (:name, 'operator', 'x', CURRENT_TIMESTAMP)"
)


async def _add(url: str, name: str) -> None:
    """Store an account as a create-user that checked before another committed would."""
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session, session.begin():
            await accounts.add_user(session, name, "operator", "x", datetime.now(UTC))
    finally:
        await engine.dispose()


def _names(url: str) -> list[object]:
    return [row[0] for row in asyncio.run(_run(url, "SELECT name FROM admin_users ORDER BY id"))]


def test_a_second_name_differing_only_by_case_is_refused_by_the_database(
    database_url: str,
) -> None:
    upgrade(database_url)
    asyncio.run(_add(database_url, "Op"))
    # Before, the database took it: only the handler's look beforehand refused it.
    with pytest.raises(AdminError, match="exists already"):
        asyncio.run(_add(database_url, "OP"))
    asyncio.run(_add(database_url, "ops"))
    assert _names(database_url) == ["Op", "ops"]


def test_an_installation_holding_such_names_is_told_which_to_rename(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    command.upgrade(alembic_config(database_url), "0031")
    for name in ("kari", "Op", "op"):
        asyncio.run(_run(database_url, _ACCOUNT, name=name))
    monkeypatch.setenv("VARSEL_DATABASE_URL", database_url)

    refused = CliRunner().invoke(app, ["migrate"])
    assert refused.exit_code == 1, refused.output
    assert refused.output.strip().splitlines()[-1] == (
        "varsel: cannot migrate the database: admin accounts whose names differ only by case: "
        "'Op', 'op'; rename all but one with `varsel admin rename-user Op NEW`, then run "
        "`varsel migrate` again"
    )
    assert _names(database_url) == ["kari", "Op", "op"], "nothing changed"

    asyncio.run(_run(database_url, "UPDATE admin_users SET name = 'op-2' WHERE name = 'Op'"))
    done = CliRunner().invoke(app, ["migrate"])
    assert done.exit_code == 0, done.output
    with pytest.raises(AdminError):
        asyncio.run(_add(database_url, "OP-2"))
