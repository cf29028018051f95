"""A reason staff type holds no address in any spelling and no invisible direction control,
and is no longer than the ledger keeps; an address a publisher writes into a refused push's URL
is not kept in the audit log.

Before, ``--reason 'kontakt person4＠example.org'`` (a fullwidth ＠, U+FF20) was taken, and shown
whole on /admin/ledger, in the consent CSV and in the audit log, and a reason holding U+202E (a
right-to-left override) was kept and shown reversed; an 815-character reason was kept whole in
the audit log and cut to 500 characters in the consent ledger and its CSV. Real SQLite and
PostgreSQL.
"""

from __future__ import annotations

import asyncio
import csv
import html
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from services.admin.adapters.tables import AdminAuditEntry
from services.admin.entrypoints.wording import MESSAGES
from services.subscriptions.adapters.tables import ConsentRecord
from services.subscriptions.command_api import MAX_REASON
from tests.integration.admin.harness import (
    Harness,
    command_line_with_one_subscriber,
    csrf_token,
    running,
    sign_in,
)
from tests.integration.admin.publisher_support import CHANGE, bearer, publisher_token
from tests.support.csv_exports import csv_text
from tests.support.words import admin_text
from varsel.cli import app as varsel_cli

NORMAL = "ola.brev@example.org"
FULLWIDTH = "kontakt person4\uff20example.org"
SMALL = "kontakt person4\ufe6bexample\uff0eorg"
OVERRIDE = "Bedt om i brev \u202e7112/6202 kas"
ISOLATE = "Bedt om \u2067i brev\u2069"
LONG = ("Bedt om i brev 3. desember, sak 2026/1234. " * 20)[:815]
LONGEST = ("Bedt om i brev, sak 2026/1234. " * 20)[:MAX_REASON].strip()


async def _consent_steps(h: Harness) -> list[str]:
    async with h.runtime.sessions() as session:
        query = select(ConsentRecord.action).order_by(ConsentRecord.id)
        return list((await session.scalars(query)).all())


async def _audited(h: Harness, action: str) -> list[AdminAuditEntry]:
    async with h.runtime.sessions() as session:
        rows = await session.scalars(
            select(AdminAuditEntry).where(AdminAuditEntry.action == action)
        )
        return list(rows.all())


@pytest.mark.parametrize(
    ("reason", "said"),
    [
        (FULLWIDTH, "must not contain an email address"),
        (SMALL, "must not contain an email address"),
        (OVERRIDE, "holds U+202E, an invisible direction control"),
        (ISOLATE, "holds U+2067, an invisible direction control"),
    ],
)
def test_the_command_line_refuses_such_a_reason_and_changes_nothing(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reason: str, said: str
) -> None:
    command_line_with_one_subscriber(monkeypatch, sqlite_url, tmp_path, NORMAL)
    refused = CliRunner().invoke(varsel_cli, ["admin", "unsubscribe", NORMAL, "--reason", reason])
    assert refused.exit_code == 1, refused.output
    assert said in refused.output

    async def check() -> None:
        async with running(sqlite_url, tmp_path) as h:
            assert await _consent_steps(h) == ["requested", "confirmed"]
            assert await _audited(h, "organisation_unsubscribe") == []

    asyncio.run(check())


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
async def test_the_erasure_page_refuses_such_a_reason_saying_why(
    sqlite_url: str, tmp_path: Path, language: str
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await h.sign_up(NORMAL)
        await h.confirm(NORMAL)
        await h.user("personvern", "dpo")
        answers = []
        async with h.client() as browser:
            await sign_in(browser, "personvern")
            for reason in (FULLWIDTH, OVERRIDE):
                page = await browser.get(f"/admin/erasure?lang={language}")
                data = {"address": NORMAL, "reason": reason, "action": "unsubscribe"}
                answers.append(
                    await browser.post(
                        f"/admin/erasure?lang={language}",
                        data={**data, "csrf_token": csrf_token(page.text)},
                    )
                )
        assert await _consent_steps(h) == ["requested", "confirmed"]
    with_address, with_override = answers
    assert with_address.status_code == with_override.status_code == 400
    shown = html.unescape(with_address.text)
    assert admin_text(language, MESSAGES["reason_has_address"]) in shown
    shown = html.unescape(with_override.text)
    assert admin_text(language, MESSAGES["reason_has_bidi_control"]) in shown
    assert "\u202e" not in with_override.text, "the field comes back without it"
    assert "Bedt om i brev 7112/6202 kas" in shown


async def test_an_address_in_compatibility_characters_is_shown_nowhere(
    database_url: str, tmp_path: Path
) -> None:
    # No form lets one in now; a reason kept before must still not come out on a page or in
    # a file passed from hand to hand.
    async with running(database_url, tmp_path) as h:
        async with h.runtime.sessions() as session, session.begin():
            session.add(
                ConsentRecord(
                    subject_hash="0" * 64,
                    action="unsubscribed",
                    topics=[],
                    channel="admin",
                    occurred_at=datetime(2026, 12, 3, 10, 15, tzinfo=UTC),
                    details={"by": "organisation", "actor": "drift", "reason": SMALL},
                )
            )
        await h.user("revisor", "auditor")
        _, token = await h.token("revisor")
        async with h.client(headers={"Authorization": f"Bearer {token}"}) as api:
            text = csv_text((await api.get("/api/v1/admin/ledger.csv")).content)
        async with h.client() as browser:
            await sign_in(browser, "revisor")
            page = html.unescape((await browser.get("/admin/ledger?lang=en")).text)
    (step,) = csv.DictReader(io.StringIO(text))
    assert step["reason"] == "kontakt [address]"
    assert "person4" not in text and "person4" not in page
    assert "kontakt [address]" in page


async def test_an_address_in_a_refused_push_s_url_is_not_kept_in_the_audit_log(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h:
        token = await publisher_token(h, "FHI", ("www.fhi.no",))
        pushed = (
            "http://evil.example/?epost=kari.nordmann@fhi.no&b=ola\uff20fhi\uff0eno&c=per%40fhi.no"
        )
        async with h.client() as client:
            answer = await client.post(
                "/api/v1/changes", json={**CHANGE, "url": pushed}, headers=bearer(token)
            )
        assert answer.status_code == 403, answer.text
        [entry] = await _audited(h, "publisher_scope_refused")
    assert entry.target == "http://evil.example/?epost=[address]&b=[address]&c=[address]"


def test_the_command_line_refuses_a_reason_too_long_and_changes_nothing(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    command_line_with_one_subscriber(monkeypatch, sqlite_url, tmp_path, NORMAL)
    for command in ("unsubscribe", "erase"):
        refused = CliRunner().invoke(varsel_cli, ["admin", command, NORMAL, "--reason", LONG])
        assert refused.exit_code == 1, refused.output
        assert f"longer than the {MAX_REASON} kept" in refused.output

    async def check() -> None:
        async with running(sqlite_url, tmp_path) as h:
            assert await _consent_steps(h) == ["requested", "confirmed"]
            assert await _audited(h, "organisation_unsubscribe") == []
            assert await _audited(h, "organisation_erase") == []

    asyncio.run(check())


async def test_the_erasure_page_refuses_a_reason_too_long_and_keeps_one_at_the_limit_whole(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h:
        await h.sign_up(NORMAL)
        await h.confirm(NORMAL)
        await h.user("personvern", "dpo")
        async with h.client() as browser:
            await sign_in(browser, "personvern")
            for language in ("nb", "nn", "en"):
                page = await browser.get(f"/admin/erasure?lang={language}")
                assert f'maxlength="{MAX_REASON}"' in page.text
                data = {"address": NORMAL, "reason": LONG, "action": "unsubscribe"}
                answer = await browser.post(
                    f"/admin/erasure?lang={language}",
                    data={**data, "csrf_token": csrf_token(page.text)},
                )
                assert answer.status_code == 400, language
                shown = html.unescape(answer.text)
                said = admin_text(language, MESSAGES["reason_too_long"], limit=MAX_REASON)
                assert said in shown and LONG in shown, language  # kept in the field, to shorten
            assert await _consent_steps(h) == ["requested", "confirmed"]
            assert await _audited(h, "organisation_unsubscribe") == []

            page = await browser.get("/admin/erasure")
            data = {"address": NORMAL, "reason": LONGEST, "action": "unsubscribe"}
            done = await browser.post(
                "/admin/erasure", data={**data, "csrf_token": csrf_token(page.text)}
            )
        assert done.status_code == 200, done.text
        async with h.runtime.sessions() as session:
            step = (await session.scalars(select(ConsentRecord).order_by(ConsentRecord.id))).all()[
                -1
            ]
        (entry,) = await _audited(h, "organisation_unsubscribe")
    assert step.details is not None and entry.details is not None
    assert step.details["reason"] == entry.details["reason"] == LONGEST
