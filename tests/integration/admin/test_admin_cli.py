"""``varsel admin``: accounts and tokens made on the command line work over HTTP."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.admin.entrypoints.cli import admin_cli
from tests.integration.admin.harness import CATALOGUE, running
from varsel.cli import app as varsel_cli


def test_create_user_token_and_revoke(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "catalogue.toml").write_text(CATALOGUE, encoding="utf-8")
    monkeypatch.setenv("VARSEL_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("VARSEL_CONFIG", str(tmp_path / "catalogue.toml"))
    runner = CliRunner()

    short = runner.invoke(
        admin_cli, ["create-user", "kari", "--role", "auditor", "--password-stdin"], input="short\n"
    )
    assert short.exit_code == 1 and "at least" in short.output
    wrong_role = runner.invoke(
        admin_cli, ["create-user", "kari", "--role", "root", "--password-stdin"], input="x" * 20
    )
    assert wrong_role.exit_code == 1
    made = runner.invoke(
        admin_cli,
        ["create-user", "kari", "--role", "operator", "--password-stdin"],
        input="a long enough password\n",
    )
    assert made.exit_code == 0, made.output
    issued = runner.invoke(admin_cli, ["create-token", "kari"])
    assert issued.exit_code == 0
    token = issued.stdout.strip().splitlines()[-1]
    assert token.startswith("varsel_")
    assert runner.invoke(admin_cli, ["create-token", "nobody"]).exit_code == 1

    async def status() -> int:
        async with running(sqlite_url, tmp_path) as h, h.client() as client:
            headers = {"Authorization": f"Bearer {token}"}
            return (await client.get("/api/v1/admin/operations", headers=headers)).status_code

    assert asyncio.run(status()) == 200
    assert runner.invoke(admin_cli, ["revoke-token", "1"]).exit_code == 0
    assert runner.invoke(admin_cli, ["revoke-token", "1"]).exit_code == 1
    assert asyncio.run(status()) == 401
    purged = runner.invoke(varsel_cli, ["admin", "purge-consent", "--days", "30"])
    assert purged.exit_code == 0 and "deleted 0" in purged.output
