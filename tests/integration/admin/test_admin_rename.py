"""``varsel admin rename-user``: an account named before names could not be addresses gets a
name that is none, and goes on working under it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from services.admin import catalogue, publishing
from services.admin import read_api as staff
from services.admin.adapters import accounts, passwords
from services.admin.adapters.tables import AdminAuditEntry
from services.admin.entrypoints.cli import admin_cli
from tests.integration.admin.accounts_support import cli_env
from tests.integration.admin.harness import CATALOGUE, PASSWORD, TOPIC, Harness, running, sign_in

__all__ = ["cli_env"]  # the fixture, used by name
OLD = "kari.nordmann@example.no"  # made before a name could not be an address


async def _old_account(h: Harness, tmp_path: Path) -> None:
    """Store an account named by an address, as create-user once allowed, as one of TOPIC's
    editors, with the catalogue stored as start-up stores it."""
    config = tmp_path / "catalogue.toml"
    named = CATALOGUE.replace(
        f'slug = "{TOPIC}"\n', f'slug = "{TOPIC}"\neditors = ["{OLD}", "ola"]\n'
    )
    config.write_text(named, encoding="utf-8")
    now = h.runtime.clock.now()
    await catalogue.apply_at_start(h.runtime.sessions, config, now, allow_private=True)
    async with h.runtime.sessions() as session, session.begin():
        hashed = await passwords.hash_password(PASSWORD)
        await accounts.add_user(session, OLD, "operator", hashed, now)


async def test_a_renamed_account_keeps_its_sessions_tokens_and_topics(
    cli_env: CliRunner, database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h:
        await _old_account(h, tmp_path)
        await h.user("ola", "editor")
        _, token = await h.token(OLD)
        bearer = {"Authorization": f"Bearer {token}"}
        async with h.client() as browser, h.client() as other:
            assert (await sign_in(browser, OLD)).status_code == 303

            renamed = await asyncio.to_thread(
                cli_env.invoke, admin_cli, ["rename-user", OLD, "kari"]
            )
            assert renamed.exit_code == 0, renamed.output
            assert "is now 'kari'" in renamed.output
            assert f"the topics {TOPIC} name 'kari' as their editor now" in renamed.output

            # The browser signed in before and the token go on working, under the new name.
            assert (await browser.get("/admin/users")).status_code == 200
            assert (await browser.get(f"/api/v1/admin/topics/{TOPIC}", headers=bearer)).is_success
            assert (await sign_in(other, OLD)).status_code == 401
            assert (await sign_in(other, "kari")).status_code == 303

        async with h.runtime.sessions() as session:
            assert (await staff.editors_by_topic(session))[TOPIC] == ("kari", "ola")
            entries = (
                await session.execute(
                    select(
                        AdminAuditEntry.actor,
                        AdminAuditEntry.action,
                        AdminAuditEntry.details,
                    ).order_by(AdminAuditEntry.id)
                )
            ).all()
        # The topics' new editor is a catalogue change of its own, in the same transaction.
        first = next(i for i, e in enumerate(entries) if e.action == "user_renamed") - 1
        applied, renaming, *after = entries[first:]
        assert applied.action == "catalogue_applied"
        assert renaming.action == "user_renamed"
        # The old name was an address: the entry that ends its use does not write it again.
        assert renaming.details["from"] == "[address]"
        assert renaming.details["to"] == "kari"
        assert all(OLD not in str(tuple(e)) for e in (applied, renaming, *after))
        assert any(e.actor == "kari" and e.action == "topic_stats_read" for e in after)


async def test_a_renamed_account_is_still_the_issuer_of_its_publisher_tokens(
    cli_env: CliRunner, database_url: str, tmp_path: Path
) -> None:
    # A reset lists the publisher tokens the account issued; a rename must not hide them.
    async with running(database_url, tmp_path) as h:
        await _old_account(h, tmp_path)
        async with h.runtime.sessions() as session, session.begin():
            number, _ = await publishing.issue(
                session, "WordPress", OLD, h.runtime.clock.now(), sites=("example.org",)
            )
        renamed = await asyncio.to_thread(cli_env.invoke, admin_cli, ["rename-user", OLD, "kari"])
        assert renamed.exit_code == 0, renamed.output
        async with h.runtime.sessions() as session:
            (token,) = await publishing.listed(session)
        assert token.created_by == "kari"
        reset = await asyncio.to_thread(
            cli_env.invoke,
            admin_cli,
            ["set-password", "kari", "--password-stdin"],
            input="Syv-svaner-over-Mjøsa-i-mars",
        )
        assert reset.exit_code == 0, reset.output
        assert f"varsel admin publishers revoke {number}" in reset.output


async def test_rename_user_refuses_what_create_user_refuses(
    cli_env: CliRunner, database_url: str, tmp_path: Path
) -> None:

    def rename(*args: str) -> tuple[int, str]:
        result = cli_env.invoke(admin_cli, ["rename-user", *args])
        return result.exit_code, result.output

    async with running(database_url, tmp_path) as h:
        for name in ("kari", "ola"):
            await h.user(name, "auditor")

        refusals = {
            ("kari", "kari@example.no"): "must not be an email address",
            ("kari", "ola"): "an admin called 'ola' exists already",
            ("kari", "Ola"): "an admin called 'Ola' exists already (as 'ola'",
            ("kari", "cli:root"): "how the audit log and the consent ledger name",
            ("kari", "System"): "how the audit log and the consent ledger name",
            ("kari", "publisher:CMS"): "how the audit log and the consent ledger name",
            ("kari", "kari"): "is called 'kari' already",
            ("kari", " kari "): "without surrounding spaces",
            ("kari", ""): "1-100 printable characters",
            ("nobody", "someone"): "no admin called 'nobody'",
        }
        for args, why in refusals.items():
            code, output = await asyncio.to_thread(rename, *args)
            assert code == 1 and why in output, (args, output)
        code, output = await asyncio.to_thread(rename, "ola", "Ola")  # its own name, recased
        assert code == 0, output
        code, output = await asyncio.to_thread(rename, "kari", "Kari N.")
        assert code == 0, output
        assert "topics" not in output  # no topic named her
        async with h.runtime.sessions() as session:
            names = (await session.scalars(select(AdminAuditEntry.details))).all()
        assert [d for d in names if d and "from" in d] == [
            {"from": "ola", "to": "Ola", "user_id": 2},
            {"from": "kari", "to": "Kari N.", "user_id": 1},
        ]
