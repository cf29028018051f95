"""Migrations 0024, 0033 and 0034: failed sign-ins audited before them under an address typed as
the account's name (a look-alike at sign too, or spelt otherwise) keep the entry, not the
address; 0036: so does an entry whose target held an address spelt otherwise; every other
entry is left as it was."""

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
# Typed with an at sign NFKC folds to "@" (docs/privacy.md); 0024 looked for "@" alone.
LOOK_ALIKES = [
    ("login_failed", "ola\uff20example\uff0eno", "[address]"),
    ("login_limited", "per\ufe6bexample.no", "[address]"),
    ("login_failed", "per\ufe6b", "per\ufe6b"),
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


def _audited(
    url: str, before: str, entries: list[tuple[str, str, str]], column: str = "actor"
) -> list[tuple[str, str]]:
    """Migrate to ``before``, write ``entries`` (action, ``column``'s value, what is kept of it)
    as audited then, by ``ed`` where the actor is not the one written; upgrade; return what
    is kept."""
    command.upgrade(alembic_config(url), before)
    other = "target" if column == "actor" else "actor"
    for action, value, _ in entries:
        asyncio.run(
            _run(
                url,
                f"INSERT INTO admin_audit_log (occurred_at, {column}, {other}, action, client) "
                "VALUES (CURRENT_TIMESTAMP, :value, :other, :action, '127.0.0.1')",
                value=value,
                other=None if other == "target" else "ed",
                action=action,
            )
        )
    upgrade(url)
    rows = asyncio.run(_run(url, f"SELECT action, {column} FROM admin_audit_log ORDER BY id"))
    return [(str(action), str(kept)) for action, kept in rows]


def test_addresses_typed_as_names_of_failed_sign_ins_are_left_out(database_url: str) -> None:
    # Look-alikes too: a database upgraded from before 0024 has them redacted (0024 left them).
    entries = ENTRIES + LOOK_ALIKES
    assert _audited(database_url, "0023", entries) == [(a, after) for a, _, after in entries]


OTHER_SPELLINGS = [
    ("login_failed", "kari%40example.no", "[address]"),
    ("login_failed", '"kari"@example.no', "[address]"),
    ("login_limited", "kari@localhost", "[address]"),
    ("login_failed", "rita kari@[127.0.0.1]", "rita [address]"),
    ("bulletin_sent", "ola@localhost", "ola@localhost"),
]


def test_addresses_spelt_otherwise_left_by_0033_are_left_out(
    database_url: str,
) -> None:
    # Percent-encoded, quoted, at a host without a dot: the sign-in now redacts them (0034).
    entries = ENTRIES[2:] + OTHER_SPELLINGS
    assert _audited(database_url, "0033", entries) == [(a, after) for a, _, after in entries]


def test_addresses_with_look_alike_at_signs_left_by_0024_are_left_out(database_url: str) -> None:
    # A database already past 0024 kept them: 0033 redacts them.
    entries = ENTRIES[2:] + LOOK_ALIKES
    assert _audited(database_url, "0032", entries) == [(a, after) for a, _, after in entries]


TARGETS = [
    (
        "publisher_scope_refused",
        "http://x.example/x?epost=%22kari%22@fhi.no",
        "http://x.example/x?epost=[address]",
    ),
    ("access_denied", 'GET /admin/topics/"zed"@example.org', "GET /admin/topics/[address]"),
    ("access_denied", "GET /admin/topics/zed@example", "GET /admin/topics/[address]"),
    (
        "publisher_scope_refused",
        "http://x.example/?e=kari%2540fhi.no&p=2",
        "http://x.example/?e=[address]&p=2",
    ),
    ("access_denied", "GET /admin/topics/kari@[127.0.0.1]", "GET /admin/topics/[address]"),
    ("access_denied", "GET /admin/topics/norge-i-verden", "GET /admin/topics/norge-i-verden"),
]


def test_addresses_spelt_otherwise_in_targets_are_left_out(database_url: str) -> None:
    kept = _audited(database_url, "0035", TARGETS, column="target")

    assert kept == [(a, after) for a, _, after in TARGETS]
