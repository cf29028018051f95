"""`varsel` commands given input that cannot be right say so in one line and exit non-zero (or,
where the input is merely odd, do the right thing): never a traceback, never another fault's
words."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import create_async_engine
from typer.testing import CliRunner, Result

from shared.db import session_factory
from tests.integration.admin import seed
from tests.support.databases import migrated_database, migrated_sqlite
from varsel.cli import app


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A migrated database of each kind, which the commands are pointed at."""
    with migrated_database(request.param, tmp_path) as url:
        monkeypatch.setenv("VARSEL_DATABASE_URL", url)
        yield url


def _one_line(result: Result, exit_code: int) -> str:
    assert result.exit_code == exit_code, result.output
    assert "Traceback" not in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    return result.output.strip()


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["admin", "revoke-token", "3000000000"], "varsel: no live token 3000000000"),
        (["admin", "revoke-token", "99999999999999999999"], "no live token 99999999999999999999"),
        (["admin", "revoke-token", "--", "-5"], "varsel: no live token -5"),
        (["admin", "publishers", "revoke", "3000000000"], "no live publisher token 3000000000"),
        (["admin", "publishers", "revoke", "0"], "varsel: no live publisher token 0"),
    ],
)
def test_a_token_number_no_token_can_have_is_no_live_token(
    database_url: str, argv: list[str], said: str
) -> None:
    # Before, SQLite's integers overflowed (a traceback) and PostgreSQL refused the number as
    # out of its range, which the command took for a database it could not use.
    assert said in _one_line(CliRunner().invoke(app, argv), 1)


def test_a_retention_longer_than_the_calendar_purges_nothing(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing ended before year 1. Before, the date could not be reckoned: a traceback, and
    # the same from the hourly job for as long as the setting stood.
    purge = ["admin", "purge-consent", "--quiet"]
    typed = CliRunner().invoke(app, [*purge, "--days", "99999999"])
    assert _one_line(typed, 0) == "varsel: deleted 0 consent ledger rows"
    monkeypatch.setenv("VARSEL_CONSENT_RETENTION_DAYS", "9999999999")
    assert _one_line(CliRunner().invoke(app, purge), 0) == "varsel: deleted 0 consent ledger rows"


def test_an_export_whose_reader_stops_reading_says_so(tmp_path: Path) -> None:
    url = migrated_sqlite(tmp_path / "varsel.db")
    asyncio.run(_seed(url, 2100))  # more than a pipe holds
    export = subprocess.Popen(
        [sys.executable, "-m", "varsel", "admin", "export-ledger", "--quiet"],
        cwd=tmp_path,
        env={**os.environ, "VARSEL_DATABASE_URL": url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert export.stdout is not None and export.stderr is not None
    assert export.stdout.read(100).startswith(b"id,occurred_at,")
    export.stdout.close()  # as `| head` does
    said = export.stderr.read().decode()
    assert export.wait(timeout=60) == 1
    # Before: "Broken pipe; is the server VARSEL_DATABASE_URL names reachable?"
    assert said == (
        "varsel: stopped: what read its output (head, a pager) closed it before the end\n"
    )


async def _seed(url: str, count: int) -> None:
    engine = create_async_engine(url)
    try:
        async with session_factory(engine)() as session, session.begin():
            await seed.ledger_steps(session, count, date(2026, 1, 1), ("norge-i-verden",))
    finally:
        await engine.dispose()


def test_a_demo_whose_ports_cannot_be_had_ends_in_one_line_before_it_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VARSEL_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("VARSEL_DATABASE_URL", raising=False)
    with (
        socket.create_server(("127.0.0.1", 0)) as taken,
        socket.create_server(("127.0.0.1", 0)) as free,
    ):
        port = taken.getsockname()[1]
        spare = free.getsockname()[1]
        free.close()  # a port nobody holds, for the other of the two
        demo = ["demo", "--change-every", "3600"]
        same = CliRunner().invoke(app, [*demo, "--port", str(spare), "--sample-port", str(spare)])
        site = CliRunner().invoke(app, [*demo, "--port", str(spare), "--sample-port", str(port)])
        pages = CliRunner().invoke(app, [*demo, "--port", str(port), "--sample-port", str(spare)])
    assert _one_line(same, 2) == "varsel: --port and --sample-port must differ"
    # Before, the sample site's port in use was told as a database server not answering.
    assert _one_line(site, 1) == (
        f"varsel: cannot serve the sample site on 127.0.0.1:{port}: Address already in use; "
        "choose another --sample-port"
    )
    # Before, every service started, then stopped again when uvicorn found the port taken.
    assert _one_line(pages, 1) == f"varsel: cannot serve HTTP on 127.0.0.1:{port}: " + (
        "Address already in use"
    )
    assert not (tmp_path / "var" / "varsel.db").exists()
