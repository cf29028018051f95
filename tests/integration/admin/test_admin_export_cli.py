"""``varsel admin export-ledger`` and ``purge-consent``: exact output, bars only on terminals; an
export refuses a topic there is none of, keeps an earlier file, and never leaves half a file."""

from __future__ import annotations

import asyncio
import codecs
import io
import os
import resource
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine
from typer.testing import CliRunner, Result

from services.admin import catalogue
from services.admin.adapters.tables import AdminAuditEntry
from shared import progress
from shared.db import session_factory
from tests.integration.admin import seed
from tests.integration.admin.harness import CATALOGUE, OTHER, TOPIC, running
from tests.support.csv_exports import csv_text
from tests.support.databases import migrated_postgres_database
from varsel.cli import app as varsel_cli


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_progress_draws_only_on_a_terminal_and_not_when_quiet() -> None:
    drawn, piped, hushed = Terminal(), io.StringIO(), Terminal()
    for stream, quiet in ((drawn, False), (piped, False), (hushed, True)):
        with progress.progress("Counting", quiet=quiet, stream=stream) as tracker:
            tracker.total(4)
            tracker.advance(4)
    assert "Counting" in drawn.getvalue() and "4/4" in drawn.getvalue()
    assert piped.getvalue() == ""
    assert hushed.getvalue() == ""


@pytest.fixture
def runner(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """Point the CLI at the test database."""
    (tmp_path / "catalogue.toml").write_text(CATALOGUE, encoding="utf-8")
    monkeypatch.setenv("VARSEL_DATABASE_URL", database_url)
    monkeypatch.setenv("VARSEL_CONFIG", str(tmp_path / "catalogue.toml"))
    return CliRunner()


def export(runner: CliRunner, *args: str) -> Result:
    """Run ``varsel admin export-ledger ARGS``."""
    return runner.invoke(varsel_cli, ["admin", "export-ledger", *args])


async def test_export_file_matches_the_http_export_with_the_bar_on(
    database_url: str, tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running(database_url, tmp_path) as h:
        await h.user("aud", "auditor")
        _, token = await h.token("aud")
        await h.sign_up("kari@example.no")
        await h.confirm("kari@example.no")
        async with h.runtime.sessions() as session, session.begin():
            # More than one export batch (1000 rows), with a topic on half of them.
            await seed.ledger_steps(session, 2100, date(2026, 1, 1), (TOPIC, OTHER))
        async with h.client(headers={"Authorization": f"Bearer {token}"}) as client:
            everything = (await client.get("/api/v1/admin/ledger.csv")).content
            narrowed = (
                await client.get(
                    "/api/v1/admin/ledger.csv",
                    params={"topic": OTHER, "action": "confirmed", "from": "2026-01-10"},
                )
            ).content
    assert everything.count(b"\r\n") == 2100 + 2 + 1  # rows, kari's two steps, header
    # Excel opened by a double click reads UTF-8 (æ, ø, å) only after its byte order mark: one,
    # before the header, however many batches follow.
    assert everything.startswith(codecs.BOM_UTF8 + b"id,occurred_at,")
    assert everything.count(codecs.BOM_UTF8) == 1

    # As if run in a terminal: the bar must go to stderr and never into the file or stdout.
    monkeypatch.setattr(progress, "_is_terminal", lambda stream: True)
    out = tmp_path / "ledger.csv"
    to_file = await asyncio.to_thread(export, runner, "--out", str(out))
    assert to_file.exit_code == 0, to_file.output
    assert out.read_bytes() == everything
    assert "Exporting the consent ledger" in to_file.stderr
    assert "exported 2102 consent ledger rows" in to_file.stderr
    assert to_file.stdout == ""

    args = ["--topic", OTHER, "--action", "confirmed", "--from", "2026-01-10"]
    to_stdout = await asyncio.to_thread(export, runner, *args)
    assert to_stdout.exit_code == 0, to_stdout.output
    assert to_stdout.stdout_bytes == narrowed
    assert "━" in to_stdout.stderr  # the bar was drawn, on stderr

    quiet = await asyncio.to_thread(export, runner, *args, "--quiet")
    assert quiet.stdout_bytes == narrowed
    assert "Exporting" not in quiet.stderr

    bad = await asyncio.to_thread(export, runner, "--action", "x")
    assert bad.exit_code == 2 and "action must be one of" in bad.stderr


async def test_a_topic_there_is_none_of_is_refused_and_no_file_is_written(
    database_url: str, tmp_path: Path, runner: CliRunner
) -> None:
    async with running(database_url, tmp_path) as h:
        await catalogue.apply_at_start(
            h.runtime.sessions,
            tmp_path / "catalogue.toml",
            h.runtime.clock.now(),
            allow_private=True,
        )
        async with h.runtime.sessions() as session, session.begin():
            # A topic that left the catalogue long ago; the ledger keeps its rows.
            await seed.ledger_steps(session, 3, date(2026, 1, 1), ("avviklet-tema",))
    folder = tmp_path / "exports"
    folder.mkdir()
    out = folder / "ledger.csv"

    typo = await asyncio.to_thread(export, runner, "--topic", "norge-i-verdne", "--out", str(out))
    assert typo.exit_code == 2
    assert typo.stdout == ""
    assert typo.stderr == (
        "varsel: no topic 'norge-i-verdne' in the catalogue or the consent ledger (did you mean "
        f"{TOPIC!r}?); `varsel catalogue export` lists the topics; nothing was exported\n"
    )
    assert list(folder.iterdir()) == []
    unlike = await asyncio.to_thread(export, runner, "--topic", "zzz")
    assert unlike.exit_code == 2 and unlike.stdout == ""
    assert "no topic 'zzz'" in unlike.stderr and "did you mean" not in unlike.stderr

    # Nobody followed it: a real answer of no rows. Nor is a topic gone from the catalogue
    # refused while the ledger names it.
    unfollowed = await asyncio.to_thread(export, runner, "--topic", OTHER, "--out", str(out))
    assert unfollowed.exit_code == 0, unfollowed.output
    assert out.read_bytes().count(b"\r\n") == 1  # the header
    ended = await asyncio.to_thread(export, runner, "--topic", "avviklet-tema", "--quiet")
    assert ended.exit_code == 0, ended.output
    assert ended.stdout_bytes.count(b"\r\n") == 1 + 3


async def test_an_earlier_export_is_kept_unless_forced(
    database_url: str, tmp_path: Path, runner: CliRunner
) -> None:
    async with running(database_url, tmp_path) as h:
        await h.sign_up("kari@example.no")
    out = tmp_path / "ledger.csv"
    out.write_bytes(b"the export the inspector asked for\r\n")

    kept = await asyncio.to_thread(export, runner, "--out", str(out), "--quiet")
    assert kept.exit_code == 1
    assert kept.stderr == (
        f"varsel: {out} exists; give --force to replace it, or another --out; "
        "nothing was exported\n"
    )
    assert out.read_bytes() == b"the export the inspector asked for\r\n"

    forced = await asyncio.to_thread(export, runner, "--out", str(out), "--quiet", "--force")
    assert forced.exit_code == 0, forced.output
    assert forced.stderr == f"varsel: exported 1 consent ledger row to {out}\n"
    assert csv_text(out.read_bytes()).startswith("id,occurred_at,subject_hash")
    assert out.stat().st_mode & 0o777 == 0o600  # keyed hashes: readable by varsel's user only
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.postgres
def test_a_disk_that_fills_midway_leaves_the_earlier_export_whole(tmp_path: Path) -> None:
    # The export's process may write no file past 64 KiB, as a disk that fills up would stop
    # it; PostgreSQL, whose server writes the database, is not held to that.
    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an error to handle, not a kill

    (tmp_path / "catalogue.toml").write_text(CATALOGUE, encoding="utf-8")
    out = tmp_path / "exports" / "ledger.csv"
    out.parent.mkdir()
    earlier = b"id,occurred_at\r\n1,2026-01-01\r\n"
    out.write_bytes(earlier)
    with migrated_postgres_database() as url:
        asyncio.run(_seed(url, 2100))
        done = subprocess.run(
            [sys.executable, "-m", "varsel", "admin", "export-ledger", *forced_into(out)],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env={
                **os.environ,
                "VARSEL_DATABASE_URL": url,
                "VARSEL_CONFIG": str(tmp_path / "catalogue.toml"),
                "PYTHONDONTWRITEBYTECODE": "1",
            },
            preexec_fn=small_files,
            timeout=120,
            check=False,
        )
    assert done.returncode == 1, done.stderr
    assert done.stderr == (
        f"varsel: cannot write {out}: File too large; {out} is as it was; nothing was exported\n"
    )
    assert out.read_bytes() == earlier
    assert list(out.parent.iterdir()) == [out]


def forced_into(out: Path) -> list[str]:
    """Return the arguments that export the whole ledger into ``out``, replacing it."""
    return ["--out", str(out), "--force", "--quiet"]


async def _seed(url: str, count: int) -> None:
    engine = create_async_engine(url)
    try:
        async with session_factory(engine)() as session, session.begin():
            await seed.ledger_steps(session, count, date(2026, 1, 1), (TOPIC,))
    finally:
        await engine.dispose()


async def test_purge_consent_shows_progress_on_a_terminal(
    database_url: str, tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with (
        running(database_url, tmp_path) as h,
        h.runtime.sessions() as session,
        session.begin(),
    ):
        # Requested long ago and never confirmed: every one of them has ended.
        await seed.ledger_steps(session, 10, date(2020, 1, 1), (TOPIC,))
    monkeypatch.setattr(progress, "_is_terminal", lambda stream: True)
    purged = await asyncio.to_thread(
        runner.invoke, varsel_cli, ["admin", "purge-consent", "--days", "30"]
    )
    assert purged.exit_code == 0, purged.output
    # Half the made-up subjects "confirmed" (and so still subscribe); the rest are purged.
    assert purged.stdout == "varsel: deleted 5 consent ledger rows\n"
    assert "Purging consent history" in purged.stderr and "5/5" in purged.stderr


async def test_purge_consent_reaches_the_audit_log_through_the_admin(
    database_url: str, tmp_path: Path, runner: CliRunner
) -> None:
    async with running(database_url, tmp_path) as h:
        async with h.runtime.sessions() as session, session.begin():
            await seed.ledger_steps(session, 10, date(2020, 1, 1), (TOPIC,))
        purged = await asyncio.to_thread(
            runner.invoke, varsel_cli, ["admin", "purge-consent", "--days", "30", "--quiet"]
        )
        assert purged.exit_code == 0, purged.output
        nothing = await asyncio.to_thread(
            runner.invoke, varsel_cli, ["admin", "purge-consent", "--days", "30", "--quiet"]
        )
        assert nothing.stdout == "varsel: deleted 0 consent ledger rows\n"
        # The subscriptions service may not write the admin's table: it records an event,
        # which the admin writes down when the relay of any running process delivers it.
        async with h.runtime.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(AdminAuditEntry)) == 0
        while await h.runtime.relay.publish_pending():
            pass
        async with h.runtime.sessions() as session:
            runs = (
                await session.scalars(select(AdminAuditEntry).order_by(AdminAuditEntry.id))
            ).all()
    # A command someone ran is recorded even when it removed nothing.
    assert [(r.action, r.client, r.target, r.details) for r in runs] == [
        ("retention_run", "cli", "subscriptions", {"consent_records": 5}),
        ("retention_run", "cli", "subscriptions", {"consent_records": 0}),
    ]
    assert all(r.actor.startswith("cli") for r in runs)
