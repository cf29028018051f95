"""Admin accounts: listed on the command line and on an operator page, disabled and enabled."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from services.admin.adapters.tables import AdminAuditEntry
from services.admin.entrypoints.cli import admin_cli
from tests.integration.admin.accounts_support import cli_env
from tests.integration.admin.harness import running, sign_in

__all__ = ["cli_env"]  # the fixture, used by name


async def test_disabled_account_is_locked_out_everywhere(
    database_url: str, tmp_path: Path, cli_env: CliRunner
) -> None:
    async with running(database_url, tmp_path) as h:
        await h.user("kari", "auditor")
        await h.user("ops", "operator")
        _, token = await h.token("kari")
        bearer = {"Authorization": f"Bearer {token}"}
        async with h.client() as browser, h.client() as operator:
            assert (await sign_in(browser, "kari")).status_code == 303
            assert (await browser.get("/admin")).status_code == 200
            assert (await browser.get("/api/v1/admin/audit", headers=bearer)).status_code == 200

            disabled = await asyncio.to_thread(cli_env.invoke, admin_cli, ["disable-user", "kari"])
            assert disabled.exit_code == 0, disabled.output
            assert "is now disabled" in disabled.output
            again = await asyncio.to_thread(cli_env.invoke, admin_cli, ["disable-user", "kari"])
            assert again.exit_code == 0 and "was already disabled" in again.output

            # The open session and the token stop working at once.
            assert (await browser.get("/admin")).status_code == 303
            assert (await browser.get("/api/v1/admin/audit", headers=bearer)).status_code == 401
            # The right password no longer signs in, with the same message as a wrong one.
            refused = await sign_in(browser, "kari")
            assert refused.status_code == 401
            assert "Feil brukernavn eller passord." in refused.text
            issued = await asyncio.to_thread(cli_env.invoke, admin_cli, ["create-token", "kari"])
            assert issued.exit_code == 1 and "disabled" in issued.output

            await sign_in(operator, "ops")
            page = await operator.get("/admin/users")
            assert page.status_code == 200
            assert '<th scope="row">kari</th>' in page.text
            assert "Deaktivert" in page.text

            enabled = await asyncio.to_thread(cli_env.invoke, admin_cli, ["enable-user", "kari"])
            assert enabled.exit_code == 0 and "is now enabled" in enabled.output
            assert (await sign_in(browser, "kari")).status_code == 303
            assert (await browser.get("/admin")).status_code == 200
            # Tokens were revoked on disabling: enabling does not bring them back.
            assert (await browser.get("/api/v1/admin/audit", headers=bearer)).status_code == 401

        missing = await asyncio.to_thread(cli_env.invoke, admin_cli, ["disable-user", "nobody"])
        assert missing.exit_code == 1 and "no admin called" in missing.output

        async with h.runtime.sessions() as session:
            entries = (
                await session.execute(select(AdminAuditEntry.action, AdminAuditEntry.target))
            ).all()
        assert ("user_disabled", "kari") in entries
        assert ("user_enabled", "kari") in entries
        assert ("users_listed", None) in entries
        assert [a for a, _ in entries].count("user_disabled") == 1


async def test_list_users_shows_role_created_last_login_and_state(
    database_url: str, tmp_path: Path, cli_env: CliRunner
) -> None:
    async with running(database_url, tmp_path) as h:
        await h.user("kari", "auditor")
        await h.user("ola", "operator")
        async with h.client() as client:
            await sign_in(client, "ola")
        await asyncio.to_thread(cli_env.invoke, admin_cli, ["disable-user", "kari"])
        listed = await asyncio.to_thread(cli_env.invoke, admin_cli, ["list-users"])
        assert listed.exit_code == 0, listed.output
        header, kari, ola = listed.stdout.strip().splitlines()
        assert header.split() == ["name", "role", "email", "created", "last", "login", "disabled"]
        assert kari.split()[:2] == ["kari", "auditor"]
        assert kari.count("UTC") == 2 and " - " in kari  # created, disabled; never signed in
        assert ola.split()[:2] == ["ola", "operator"]
        assert ola.count("UTC") == 2 and ola.rstrip().endswith("-")  # created, last login

        async with h.runtime.sessions() as session:
            actions = (await session.scalars(select(AdminAuditEntry.action))).all()
        assert "users_listed" in actions and "login" in actions
