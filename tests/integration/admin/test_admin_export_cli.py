"""``varsel admin export-ledger`` and ``purge-consent``: exact output, bars only on terminals."""

from __future__ import annotations

import asyncio
import io
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from services.admin.adapters.tables import AdminAuditEntry
from services.admin.entrypoints.cli import admin_cli
from shared import progress
from tests.integration.admin import seed
from tests.integration.admin.harness import CATALOGUE, OTHER, TOPIC, running
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

    # As if run in a terminal: the bar must go to stderr and never into the file or stdout.
    monkeypatch.setattr(progress, "_is_terminal", lambda stream: True)
    out = tmp_path / "ledger.csv"
    to_file = await asyncio.to_thread(
        runner.invoke, admin_cli, ["export-ledger", "--out", str(out)]
    )
    assert to_file.exit_code == 0, to_file.output
    assert out.read_bytes() == everything
    assert "Exporting the consent ledger" in to_file.stderr
    assert "exported 2102 consent ledger rows" in to_file.stderr
    assert to_file.stdout == ""

    args = ["export-ledger", "--topic", OTHER, "--action", "confirmed", "--from", "2026-01-10"]
    to_stdout = await asyncio.to_thread(runner.invoke, admin_cli, args)
    assert to_stdout.exit_code == 0, to_stdout.output
    assert to_stdout.stdout_bytes == narrowed
    assert "━" in to_stdout.stderr  # the bar was drawn, on stderr

    quiet = await asyncio.to_thread(runner.invoke, admin_cli, [*args, "--quiet"])
    assert quiet.stdout_bytes == narrowed
    assert "Exporting" not in quiet.stderr

    bad = await asyncio.to_thread(runner.invoke, admin_cli, ["export-ledger", "--action", "x"])
    assert bad.exit_code == 2 and "action must be one of" in bad.stderr


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
