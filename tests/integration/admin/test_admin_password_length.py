"""A password is never shown back, however long; and none is set that the forms cannot take."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tests.integration.admin.accounts_support import cli_env
from tests.integration.admin.harness import csrf_token, running, sign_in
from varsel.cli import app as varsel_cli

__all__ = ["cli_env"]  # the fixture, used by name

# A passphrase pasted twice over by mistake: words, so that it is no password that is easy to
# guess, and longer than the forms take.
LONG = "-".join(["fjellbjørk", "tåkelur", "sykkelpumpe", "kaffekopp"] * 30)


async def test_a_password_too_long_for_the_form_is_refused_and_not_shown_back(
    database_url: str, tmp_path: Path
) -> None:
    assert len(LONG) > 1000
    async with running(database_url, tmp_path) as h, h.client() as browser:
        await h.user("ops", "operator")
        page = await browser.get("/admin/login")
        refused = await browser.post(
            "/admin/login?lang=en",
            data={"name": "ops", "password": LONG, "csrf_token": csrf_token(page.text)},
        )
        assert refused.status_code == 400
        assert "it may hold at most 1000" in refused.text
        assert "fjellbjørk" not in refused.text and "<textarea" not in refused.text

        assert (await sign_in(browser, "ops")).status_code == 303
        form = await browser.get("/admin/password")
        changed = await browser.post(
            "/admin/password?lang=en",
            data={"current": LONG, "new": "x", "again": "x", "csrf_token": csrf_token(form.text)},
        )
        assert changed.status_code == 400
        assert "fjellbjørk" not in changed.text and "<textarea" not in changed.text


def test_the_command_line_sets_no_password_the_sign_in_form_cannot_take(
    cli_env: CliRunner,
) -> None:
    runner = cli_env
    args = ["admin", "create-user", "kari", "--role", "auditor", "--password-stdin"]

    refused = runner.invoke(varsel_cli, args, input=LONG + "\n")
    assert refused.exit_code == 1
    assert "at most 1000 characters" in refused.output and "fjellbjørk" not in refused.output

    made = runner.invoke(varsel_cli, args, input=LONG[:1000] + "\n")
    assert made.exit_code == 0, made.output
