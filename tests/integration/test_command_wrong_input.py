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
from tests.support.varsel_process import free_port
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


def test_a_consent_retention_longer_than_a_hundred_years_is_refused(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As every other period is: the date so long ago cannot be reckoned (before year 1).
    purge = ["admin", "purge-consent", "--quiet"]
    typed = CliRunner().invoke(app, [*purge, "--days", "99999999"])
    assert _one_line(typed, 2) == (
        "varsel: --days must be from 30 to 36500, as VARSEL_CONSENT_RETENTION_DAYS must; "
        "nothing was deleted"
    )
    monkeypatch.setenv("VARSEL_CONSENT_RETENTION_DAYS", "9999999999")
    assert _one_line(CliRunner().invoke(app, purge), 2) == (
        "varsel: invalid setting VARSEL_CONSENT_RETENTION_DAYS: must be from 30 to 36500 days"
    )


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["admin", "revoke-token", "abc"], "varsel: a token's number is a whole number"),
        (["admin", "revoke-token", "1.5"], "varsel: a token's number is a whole number"),
        (["admin", "publishers", "revoke", "abc"], "varsel: a token's number is a whole number"),
    ],
)
def test_a_token_number_that_is_no_number_is_said_in_one_line(
    argv: list[str], said: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: Typer's usage error, a box of eight lines drawn around «Invalid value for
    # 'TOKEN_ID': 'abc' is not a valid integer».
    monkeypatch.setenv("VARSEL_VAR_DIR", str(tmp_path / "var"))
    line = _one_line(CliRunner().invoke(app, argv), 2)
    assert line.startswith(said) and repr(argv[-1]) in line, line


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
    # UTF-8's byte order mark first, for a spreadsheet opened by a double click (docs/privacy.md).
    assert export.stdout.read(100).startswith(b"\xef\xbb\xbfid,occurred_at,")
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
    # Before, every service started, then stopped again when uvicorn found the port taken;
    # then the line said what was wrong and not, as for the sample site's port, what to do.
    assert _one_line(pages, 1) == f"varsel: cannot serve HTTP on 127.0.0.1:{port}: " + (
        "Address already in use; choose another --port"
    )
    assert not (tmp_path / "var" / "varsel.db").exists()


def _run_apart(
    argv: list[str], env: dict[str, str], workdir: Path
) -> subprocess.CompletedProcess[str]:
    """Run ``varsel ARGV`` as its own process, ended by the timeout if it starts serving."""
    return subprocess.run(
        [sys.executable, "-m", "varsel", *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=workdir,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("every", ["0", "-5"])
def test_a_demo_that_would_change_its_page_without_pause_is_refused_before_it_starts(
    every: str, tmp_path: Path
) -> None:
    # Before, `--change-every 0` (or a negative number) rewrote the sample page as fast as the
    # disk allowed, thousands of times a second, each a change to alert on, until stopped: run
    # apart, so that such a demo is ended by the timeout.
    ports = [str(free_port()) for _ in range(2)]
    env = {**os.environ, "VARSEL_VAR_DIR": str(tmp_path / "var")}
    env.pop("VARSEL_DATABASE_URL", None)
    argv = ["demo", "--change-every", every, "--port", ports[0], "--sample-port", ports[1]]
    result = _run_apart(argv, env, tmp_path)
    assert result.returncode == 2, result.stderr
    assert "--change-every" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "var").exists()


@pytest.mark.parametrize("address", ["", "bounces@varsel.example.no"])
def test_the_bounces_service_without_a_way_in_is_refused_before_it_says_it_starts(
    address: str, tmp_path: Path
) -> None:
    # Before, `varsel run bounces --migrate` migrated the database, logged «varsel: starting
    # bounces on http://…; mail goes to …» and only then refused to start, with status 2.
    env = {**os.environ, "VARSEL_VAR_DIR": str(tmp_path / "var"), "VARSEL_BOUNCE_ADDRESS": address}
    for unset in ("VARSEL_DATABASE_URL", "VARSEL_BOUNCE_SMTP_PORT", "VARSEL_BOUNCE_WEBHOOK_SECRET"):
        env.pop(unset, None)
    argv = ["run", "bounces", "--migrate", "--port", str(free_port())]
    result = _run_apart(argv, env, tmp_path)
    assert result.returncode == 2, result.stderr
    assert (result.stdout + result.stderr).strip() == (
        "varsel: the bounces service needs VARSEL_BOUNCE_ADDRESS and VARSEL_BOUNCE_SMTP_PORT "
        "or VARSEL_BOUNCE_WEBHOOK_SECRET"
    )
    assert not (tmp_path / "var").exists()


def test_a_bounce_listener_whose_port_is_taken_ends_run_in_one_line(tmp_path: Path) -> None:
    # Before, the process started every service, then failed its start-up on the taken port in
    # a traceback and exited with status 3, where a taken HTTP port is said in one line.
    env = {
        **os.environ,
        "VARSEL_DATABASE_URL": migrated_sqlite(tmp_path / "varsel.db"),
        "VARSEL_VAR_DIR": str(tmp_path / "var"),
        "VARSEL_BOUNCE_ADDRESS": "bounces@varsel.example.no",
    }
    with socket.create_server(("127.0.0.1", 0)) as taken:
        env["VARSEL_BOUNCE_SMTP_PORT"] = str(taken.getsockname()[1])
        result = _run_apart(["run", "bounces", "--port", str(free_port())], env, tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip() == (
        f"varsel: cannot take bounce reports on 127.0.0.1:{env['VARSEL_BOUNCE_SMTP_PORT']}: "
        "Address already in use; check VARSEL_BOUNCE_SMTP_HOST and VARSEL_BOUNCE_SMTP_PORT"
    ), result.stderr
