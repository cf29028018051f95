"""Admin accounts' own email addresses: set from the CLI and the users page, validated, read by
the mailer through the admin's read_api, and never written to the audit log or a log line."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from services.admin import read_api
from services.admin.adapters.tables import AdminAuditEntry
from services.admin.entrypoints.cli import admin_cli
from tests.integration.admin.harness import CATALOGUE, Harness, running, sign_in
from tests.support.journey import hidden_fields
from tests.support.product_logs import product_logs

ADDRESS = "Redaktor@Example.NO"
STORED = "redaktor@example.no"


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """Point the CLI at the test database."""
    (tmp_path / "catalogue.toml").write_text(CATALOGUE, encoding="utf-8")
    monkeypatch.setenv("VARSEL_DATABASE_URL", database_url)
    monkeypatch.setenv("VARSEL_CONFIG", str(tmp_path / "catalogue.toml"))
    return CliRunner()


async def _audit_text(h: Harness) -> str:
    async with h.runtime.sessions() as session:
        rows = (await session.execute(select(AdminAuditEntry))).scalars().all()
    return " ".join(f"{r.action} {r.target} {r.details}" for r in rows)


async def test_cli_gives_and_removes_an_address_and_refuses_a_bad_one(
    database_url: str, tmp_path: Path, cli_env: CliRunner, caplog: pytest.LogCaptureFixture
) -> None:
    with product_logs(caplog) as lines:
        await _cli_journey(database_url, tmp_path, cli_env)
    assert len(lines) > 0
    assert [line for line in lines if STORED in line.lower()] == []


async def _cli_journey(database_url: str, tmp_path: Path, cli_env: CliRunner) -> None:
    async with running(database_url, tmp_path) as h:
        made = await asyncio.to_thread(
            cli_env.invoke,
            admin_cli,
            ["create-user", "rita", "--role", "editor", "--email", ADDRESS, "--password-stdin"],
            input="correct horse battery staple\n",
        )
        assert made.exit_code == 0, made.output
        async with h.runtime.sessions() as session:
            rita = (await read_api.staff_addressees(session, ("editor",)))[0]
            assert (rita.name, rita.role, rita.email) == ("rita", "editor", STORED)
            assert await read_api.staff_addressee(session, rita.user_id) == rita

        refused = await asyncio.to_thread(
            cli_env.invoke, admin_cli, ["set-email", "rita", "not an address"]
        )
        assert refused.exit_code == 1
        assert "not a valid email address" in refused.output
        bad_new = await asyncio.to_thread(
            cli_env.invoke,
            admin_cli,
            ["create-user", "per", "--role", "editor", "--email", "per@", "--password-stdin"],
            input="correct horse battery staple\n",
        )
        assert bad_new.exit_code == 1 and "not a valid email address" in bad_new.output
        missing = await asyncio.to_thread(cli_env.invoke, admin_cli, ["set-email", "nobody", ""])
        assert missing.exit_code == 1 and "no admin called" in missing.output

        listed = await asyncio.to_thread(cli_env.invoke, admin_cli, ["list-users"])
        assert STORED in listed.stdout

        removed = await asyncio.to_thread(cli_env.invoke, admin_cli, ["set-email", "rita", ""])
        assert removed.exit_code == 0 and "now has no address" in removed.output
        async with h.runtime.sessions() as session:
            assert await read_api.staff_addressee(session, rita.user_id) is None
            assert await read_api.staff_addressees(session, ("editor",)) == []

        audit = await _audit_text(h)
        assert "user_created rita" in audit and "user_email_set rita" in audit
        assert STORED not in audit.lower()


async def test_operator_sets_an_address_on_the_users_page(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with product_logs(caplog) as lines:
        await _page_journey(database_url, tmp_path)
    assert len(lines) > 0
    assert [line for line in lines if STORED in line.lower()] == []


async def _page_journey(database_url: str, tmp_path: Path) -> None:
    async with running(database_url, tmp_path) as h:
        await h.user("ola", "operator")
        await h.user("rita", "editor")
        async with h.client() as operator, h.client() as editor:
            await sign_in(operator, "ola")
            page = await operator.get("/admin/users")
            form = {**hidden_fields(page.text), "name": "rita"}

            saved = await operator.post("/admin/users/email", data={**form, "email": ADDRESS})
            assert saved.status_code == 200, saved.text
            assert "E-postadressen er lagret." in saved.text
            assert f'value="{STORED}"' in saved.text

            wrong = await operator.post("/admin/users/email", data={**form, "email": "rita@"})
            assert wrong.status_code == 422
            assert 'aria-invalid="true"' in wrong.text
            unknown = await operator.post(
                "/admin/users/email", data={**form, "name": "nobody", "email": ADDRESS}
            )
            assert unknown.status_code == 404
            no_csrf = await operator.post(
                "/admin/users/email", data={"name": "rita", "email": "x@example.no"}
            )
            assert no_csrf.status_code == 400

            # An editor may not give anyone an address, not even themself.
            await sign_in(editor, "rita")
            denied = await editor.post("/admin/users/email", data={**form, "email": ADDRESS})
            assert denied.status_code == 403

        async with h.runtime.sessions() as session:
            (rita,) = await read_api.staff_addressees(session, ("editor", "operator"))
            assert rita.email == STORED  # the bad and the refused attempts changed nothing
        audit = await _audit_text(h)
        assert audit.count("user_email_set rita") == 1
        assert STORED not in audit.lower()
