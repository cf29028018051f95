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
from tests.integration.admin.accounts_support import cli_env
from tests.integration.admin.harness import Harness, running, sign_in
from tests.support.journey import hidden_fields
from tests.support.product_logs import product_logs

__all__ = ["cli_env"]  # the fixture, used by name

ADDRESS = "Redaktor@Example.NO"
STORED = "redaktor@example.no"


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


NOT_ASCII = "åse@example.no"  # only a relay that speaks SMTPUTF8 takes it


async def test_an_address_the_relay_cannot_take_is_refused_as_at_sign_up(
    database_url: str, tmp_path: Path, cli_env: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    def run(*args: str) -> tuple[int, str]:
        result = cli_env.invoke(admin_cli, list(args), input="correct horse battery staple\n")
        return result.exit_code, result.output

    why = "cannot hold letters such as æ, ø or å"
    async with running(database_url, tmp_path) as h:
        code, output = await asyncio.to_thread(
            run, "create-user", "åse", "--email", NOT_ASCII, "--password-stdin"
        )
        assert code == 1 and why in output and NOT_ASCII not in output
        await h.user("rita", "editor")
        code, output = await asyncio.to_thread(run, "set-email", "rita", NOT_ASCII)
        assert code == 1 and why in output and "VARSEL_SMTP_UTF8" in output
        # A domain beyond ASCII leaves in its IDNA form: no relay needs more for it.
        code, output = await asyncio.to_thread(run, "set-email", "rita", "rita@blåbær.no")
        assert code == 0, output
        monkeypatch.setenv("VARSEL_SMTP_UTF8", "true")
        code, output = await asyncio.to_thread(run, "set-email", "rita", NOT_ASCII)
        assert code == 0 and "now has an address" in output, output
        async with h.runtime.sessions() as session:
            (rita,) = await read_api.staff_addressees(session, ("editor",))
        assert rita.email == NOT_ASCII


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("nb", "Delen før @ kan ikke ha bokstaver som æ, ø eller å"),
        ("nn", "Delen før @ kan ikkje ha bokstavar som æ, ø eller å"),
        ("en", "The part before the @ cannot contain letters such as æ, ø or å"),
    ],
)
async def test_the_users_page_says_why_such_an_address_is_refused(
    sqlite_url: str, tmp_path: Path, language: str, words: str
) -> None:
    for smtp_utf8 in (False, True):
        rita = f"rita{int(smtp_utf8)}"
        async with running(sqlite_url, tmp_path, smtp_utf8=smtp_utf8) as h:
            await h.user(f"ola{int(smtp_utf8)}", "operator")
            await h.user(rita, "editor")
            async with h.client() as operator:
                await sign_in(operator, f"ola{int(smtp_utf8)}")
                page = await operator.get("/admin/users")
                answer = await operator.post(
                    f"/admin/users/email?lang={language}",
                    data={**hidden_fields(page.text), "name": rita, "email": NOT_ASCII},
                )
            if smtp_utf8:
                assert answer.status_code == 200, answer.text
                assert f'value="{NOT_ASCII}"' in answer.text
            else:
                assert answer.status_code == 422
                assert words in answer.text
