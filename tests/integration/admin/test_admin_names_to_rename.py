"""Accounts named before such names were refused (229278f) are shown on the accounts page, with
what to do: a name that reads as no staff account, or one differing from another only by case."""

from __future__ import annotations

from pathlib import Path

from services.admin.adapters import accounts
from services.admin.domain.accounts import names_to_rename
from tests.integration.admin.harness import running, sign_in


def test_only_reserved_names_and_case_twins_are_flagged() -> None:
    names = ["ops", "CLI:root", "Åse", "åse", "kari", "system", "publisher-team"]
    assert names_to_rename(names) == [
        ("CLI:root", None),
        ("Åse", "åse"),
        ("åse", "Åse"),
        ("system", None),
    ]


async def test_the_accounts_page_names_each_account_to_rename_and_how(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await h.user("ops", "operator")
        async with h.client() as operator:
            await sign_in(operator, "ops")
            clean = await operator.get("/admin/users", params={"lang": "en"})
            assert "rename-user" not in clean.text
            # As stored by a release before create-user refused them.
            async with h.runtime.sessions() as session, session.begin():
                now = h.runtime.clock.now()
                await accounts.add_user(session, "cli:root", "operator", "x", now)
                await accounts.add_user(session, "Åse", "auditor", "x", now)
                await accounts.add_user(session, "åse", "auditor", "x", now)
            page = await operator.get("/admin/users", params={"lang": "en"})
            bokmål = await operator.get("/admin/users")
    # Before, the page listed them as any other account, without a word.
    assert "varsel admin rename-user OLD NEW" in page.text
    assert "cli:root reads in the audit log and the consent ledger as what no staff" in page.text
    assert "Åse differs from åse only by case" in page.text
    assert "åse differs from Åse only by case" in page.text
    assert "ops reads" not in page.text
    assert "varsel admin rename-user GAMMELT NYTT" in bokmål.text
