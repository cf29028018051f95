"""``varsel admin``: accounts and tokens made on the command line work over HTTP."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import select, update
from typer.testing import CliRunner

from services.admin import publishing
from services.admin.adapters.tables import AdminAuditEntry, AdminSession
from services.admin.entrypoints.cli import admin_cli
from tests.integration.admin.harness import CATALOGUE, running, sign_in
from tests.integration.admin.publisher_support import SITES
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


WEAK = ["aaaaaaaaaaaa", "password1234", "Passord12345", "kari12345678", "qwertyuiopas"]
STRONG = "Fjelltur-i-tåke-med-17-geiter"


@pytest.fixture
def cli(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A command line pointed at a migrated database."""
    (tmp_path / "catalogue.toml").write_text(CATALOGUE, encoding="utf-8")
    monkeypatch.setenv("VARSEL_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("VARSEL_CONFIG", str(tmp_path / "catalogue.toml"))
    return CliRunner()


def _create(cli: CliRunner, password: str) -> Result:
    return cli.invoke(admin_cli, ["create-user", "kari", "--password-stdin"], input=password + "\n")


def _signs_in(sqlite_url: str, tmp_path: Path, password: str) -> bool:
    async def attempt() -> bool:
        async with running(sqlite_url, tmp_path) as h, h.client() as client:
            return (await sign_in(client, "kari", password)).status_code == 303

    return asyncio.run(attempt())


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("cli:root", "how the audit log and the consent ledger name"),
        ("CLI:drift", "how the audit log and the consent ledger name"),
        ("cli", "how the audit log and the consent ledger name"),
        ("system", "how the audit log and the consent ledger name"),
        ("System", "how the audit log and the consent ledger name"),
        ("publisher:CMS", "how the audit log and the consent ledger name"),
        ("migration:0029", "how the audit log and the consent ledger name"),
        ("Op", "an admin called 'Op' exists already (as 'op'"),
        ("op", "an admin called 'op' exists already"),
    ],
)
def test_a_name_the_logs_give_no_staff_or_another_account_but_for_case_is_refused(
    cli: CliRunner, name: str, why: str
) -> None:
    def create(name: str, role: str) -> Result:
        args = ["create-user", name, "--role", role, "--password-stdin"]
        return cli.invoke(admin_cli, args, input=STRONG + "\n")

    assert create("op", "operator").exit_code == 0
    refused = create(name, "auditor")
    assert refused.exit_code == 1 and why in refused.output, refused.output
    listed = cli.invoke(admin_cli, ["list-users"]).output
    assert "auditor" not in listed and "operator" in listed


@pytest.mark.parametrize("weak", WEAK)
def test_weak_and_common_passwords_are_refused_for_new_accounts(cli: CliRunner, weak: str) -> None:
    refused = _create(cli, weak)
    assert refused.exit_code == 1
    assert "password is too easy to guess" in refused.output
    assert "kari" not in cli.invoke(admin_cli, ["list-users"]).output


def test_a_strong_password_makes_the_account(
    cli: CliRunner, sqlite_url: str, tmp_path: Path
) -> None:
    assert _create(cli, STRONG).exit_code == 0
    assert _signs_in(sqlite_url, tmp_path, STRONG)


@pytest.mark.parametrize("weak", WEAK)
def test_a_new_password_must_be_strong_too(
    cli: CliRunner, sqlite_url: str, tmp_path: Path, weak: str
) -> None:
    assert _create(cli, STRONG).exit_code == 0
    refused = cli.invoke(admin_cli, ["set-password", "kari", "--password-stdin"], input=weak)
    assert refused.exit_code == 1
    assert "password is too easy to guess" in refused.output
    assert _signs_in(sqlite_url, tmp_path, STRONG)


def test_set_password_replaces_the_password_and_ends_sessions(
    cli: CliRunner, sqlite_url: str, tmp_path: Path
) -> None:
    assert _create(cli, STRONG).exit_code == 0
    new = "Syv-svaner-over-Mjøsa-i-mars"

    async def session_cookie() -> str:
        async with running(sqlite_url, tmp_path) as h, h.client() as client:
            return (await sign_in(client, "kari", STRONG)).cookies["varsel_admin"]

    async def afterwards(cookie: str) -> tuple[int, bool, bool, list[str]]:
        async with running(sqlite_url, tmp_path) as h, h.client() as client:
            client.cookies.set("varsel_admin", cookie)
            kept = (await client.get("/admin")).status_code
            old = await sign_in(client, "kari", STRONG)
            fresh = await sign_in(client, "kari", new)
            async with h.runtime.sessions() as session:
                actions = list((await session.scalars(select(AdminAuditEntry.action))).all())
            return kept, old.status_code == 401, fresh.status_code == 303, actions

    cookie = asyncio.run(session_cookie())
    changed = cli.invoke(admin_cli, ["set-password", "kari", "--password-stdin"], input=new)
    assert changed.exit_code == 0, changed.output
    kept, old_refused, new_accepted, actions = asyncio.run(afterwards(cookie))
    assert kept == 303  # to the sign-in page: the session ended with the old password
    assert old_refused and new_accepted
    assert "password_changed" in actions
    missing = cli.invoke(admin_cli, ["set-password", "nobody", "--password-stdin"], input=new)
    assert missing.exit_code == 1 and "no admin called 'nobody'" in missing.output


async def test_a_new_role_holds_for_a_browser_already_signed_in_and_is_audited(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VARSEL_DATABASE_URL", sqlite_url)
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(admin_cli, list(args))

    async with running(sqlite_url, tmp_path) as h, h.client() as browser:
        await h.user("kari", "editor")
        assert (await sign_in(browser, "kari")).status_code == 303
        assert (await browser.get("/admin/sources")).status_code == 200
        assert (await browser.get("/admin/consent")).status_code == 403

        moved = await asyncio.to_thread(run, "set-role", "kari", "auditor")
        assert moved.exit_code == 0, moved.output
        assert "now auditor (was editor)" in moved.output
        # The same browser, not signed in again: the editor's pages close, the auditor's open.
        assert (await browser.get("/admin/sources")).status_code == 403
        assert (await browser.get("/admin/consent")).status_code == 200

        again = await asyncio.to_thread(run, "set-role", "kari", "auditor")
        assert again.exit_code == 0 and "already auditor" in again.output
        unknown = await asyncio.to_thread(run, "set-role", "kari", "root")
        assert unknown.exit_code == 1 and "auditor, dpo, editor, operator" in unknown.output
        nobody = await asyncio.to_thread(run, "set-role", "nobody", "dpo")
        assert nobody.exit_code == 1

        async with h.runtime.sessions() as session:
            changes = (
                await session.execute(
                    select(AdminAuditEntry.target, AdminAuditEntry.details).where(
                        AdminAuditEntry.action == "role_changed"
                    )
                )
            ).all()
        assert [tuple(c) for c in changes] == [("kari", {"from": "editor", "to": "auditor"})]


async def test_a_password_reset_revokes_the_accounts_api_tokens_and_says_so(
    cli: CliRunner, sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        for name in ("kari", "ola"):
            await h.user(name, "auditor")
        (first, kari_token), (second, spare) = [await h.token("kari") for _ in range(2)]
        _, ola_token = await h.token("ola")
        async with h.client() as browser:
            assert (await sign_in(browser, "kari")).status_code == 303
        # A sign-in that ended already (left unused): its row is kept a day to say why, and a
        # reset does not count it among the sessions it ended.
        async with h.client() as browser:
            assert (await sign_in(browser, "kari")).status_code == 303
        async with h.runtime.sessions() as session, session.begin():
            one = await session.scalar(select(AdminSession.id_hash).limit(1))
            await session.execute(
                update(AdminSession)
                .where(AdminSession.id_hash == one)
                .values(expires_at=datetime(2000, 1, 1, tzinfo=UTC))
            )

        async def status(token: str) -> int:
            async with h.client(headers={"Authorization": f"Bearer {token}"}) as api:
                return (await api.get("/api/v1/admin/audit")).status_code

        assert await status(kari_token) == 200
        reset = await asyncio.to_thread(
            cli.invoke, admin_cli, ["set-password", "kari", "--password-stdin"], input=STRONG
        )
        assert reset.exit_code == 0, reset.output
        # The tokens made before the reset stop working; another account's does not.
        assert await status(kari_token) == 401
        assert await status(spare) == 401
        assert await status(ola_token) == 200
        assert f"API tokens {first}, {second} are revoked" in reset.output
        assert "its 1 browser session has ended" in reset.output

        again = await asyncio.to_thread(
            cli.invoke,
            admin_cli,
            ["set-password", "kari", "--password-stdin"],
            input="Syv-svaner-over-Mjøsa-i-mars",
        )
        assert again.exit_code == 0 and "it had no API tokens" in again.output
        async with h.runtime.sessions() as session:
            details = (
                await session.scalars(
                    select(AdminAuditEntry.details)
                    .where(AdminAuditEntry.action == "password_changed")
                    .order_by(AdminAuditEntry.id)
                )
            ).all()
        assert details == [
            {"sessions_ended": 1, "tokens_revoked": [first, second], "publisher_tokens_live": []},
            {"sessions_ended": 0, "tokens_revoked": [], "publisher_tokens_live": []},
        ]


async def test_a_password_reset_lists_the_publisher_tokens_the_account_issued(
    cli: CliRunner, sqlite_url: str, tmp_path: Path
) -> None:
    # Whoever had the password may have issued a publisher token and push alerts with it. A CMS
    # pushes with each, so the reset names them (never the secret) and how to revoke each.
    async with running(sqlite_url, tmp_path) as h:
        for name in ("kari", "ola"):
            await h.user(name, "operator")
        async with h.runtime.sessions() as session, session.begin():
            now = h.runtime.clock.now()
            cms, cms_secret = await publishing.issue(session, "WordPress", "kari", now, sites=SITES)
            odd, _ = await publishing.issue(session, "Ukjent CMS", "kari", now, sites=SITES)
            gone, _ = await publishing.issue(session, "Gammel", "kari", now, sites=SITES)
            await publishing.revoke(session, gone, now)
            await publishing.issue(session, "Olas CMS", "ola", now, sites=SITES)
            await publishing.issue(session, "Drupal", "cli:root", now, sites=SITES)
        reset = await asyncio.to_thread(
            cli.invoke, admin_cli, ["set-password", "kari", "--password-stdin"], input=STRONG
        )
        assert reset.exit_code == 0, reset.output
        assert "2 publisher tokens 'kari' issued still work" in reset.output
        assert f"  {cms} 'WordPress': varsel admin publishers revoke {cms}" in reset.output
        assert f"  {odd} 'Ukjent CMS': varsel admin publishers revoke {odd}" in reset.output
        for other in ("Gammel", "Olas CMS", "Drupal"):
            assert other not in reset.output
        assert cms_secret not in reset.output
        async with h.runtime.sessions() as session:
            details = await session.scalar(
                select(AdminAuditEntry.details).where(AdminAuditEntry.action == "password_changed")
            )
        assert details is not None
        assert details["publisher_tokens_live"] == [
            {"number": cms, "name": "WordPress"},
            {"number": odd, "name": "Ukjent CMS"},
        ]
        # They keep working: the operator revokes what they did not ask for.
        async with h.runtime.sessions() as session, session.begin():
            assert await publishing.revoke(session, cms, h.runtime.clock.now()) == "WordPress"
