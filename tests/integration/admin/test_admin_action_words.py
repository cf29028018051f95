"""The consent ledger, a person's timeline and the audit log show each action in words of the
page's language; the CSV export and the JSON API keep the stable codes, and a code a later
release records is shown as it is."""

from __future__ import annotations

import csv
import html
import io
import re
from pathlib import Path

import pytest

from services.admin.adapters import audit_log
from services.subscriptions.adapters.tables import ConsentRecord
from tests.integration.admin.harness import TOPIC, csrf_token, running, sign_in
from tests.integration.admin.ledger_support import ADDRESS, cells, confirmed_person
from tests.support.csv_exports import csv_text
from tests.support.words import admin_text

SIGNED_UP = "Signed up, not yet confirmed"
CONFIRMED = "Confirmed the sign-up"


def options(page: str, select: str) -> dict[str, str]:
    """Return a select's options as {value: label}."""
    found = re.search(rf'<select id="{select}"[^>]*>(.*?)</select>', page, re.S)
    assert found, f"no select {select}"
    pairs = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', found.group(1))
    return {value: html.unescape(label) for value, label in pairs}


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
async def test_the_ledger_and_a_timeline_say_each_step_in_words(
    sqlite_url: str, tmp_path: Path, language: str
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await confirmed_person(h)
        async with h.client() as browser:
            await sign_in(browser, "aud")
            ledger = await browser.get(f"/admin/ledger?lang={language}")
            chosen = await browser.get(f"/admin/ledger?action=confirmed&lang={language}")
            form = await browser.get(f"/admin/consent?lang={language}")
            timeline = await browser.post(
                f"/admin/consent?lang={language}",
                data={"address": ADDRESS, "csrf_token": csrf_token(form.text)},
            )
    signed_up, confirmed = admin_text(language, SIGNED_UP), admin_text(language, CONFIRMED)
    assert ledger.status_code == 200
    assert confirmed in cells(ledger.text) and signed_up in cells(ledger.text)
    assert "requested" not in cells(ledger.text) and "confirmed" not in cells(ledger.text)
    # The filter offers words, and sends the code.
    offered = options(ledger.text, "action")
    assert offered["requested"] == signed_up and offered["confirmed"] == confirmed
    assert offered["erased"] == admin_text(language, "Address erased")
    assert cells(chosen.text).count(confirmed) == 1 and signed_up not in cells(chosen.text)
    assert re.search(r'<option value="confirmed" selected>', chosen.text)
    assert timeline.status_code == 200
    assert [c for c in cells(timeline.text) if c in (signed_up, confirmed)] == [
        signed_up,
        confirmed,
    ]


async def test_the_exports_and_the_api_keep_the_codes(sqlite_url: str, tmp_path: Path) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await confirmed_person(h)
        _, token = await h.token("aud")
        async with h.client(headers={"Authorization": f"Bearer {token}"}) as api:
            records = (await api.get("/api/v1/admin/ledger")).json()["records"]
            exported = csv_text((await api.get("/api/v1/admin/ledger.csv")).content)
            entries = (await api.get("/api/v1/admin/audit")).json()["entries"]
        async with h.client() as browser:
            await sign_in(browser, "aud")
            page_csv = csv_text((await browser.get("/admin/ledger.csv?action=confirmed")).content)
    assert sorted(r["action"] for r in records) == ["confirmed", "requested"]
    assert sorted(row["action"] for row in csv.DictReader(io.StringIO(exported))) == [
        "confirmed",
        "requested",
    ]
    assert [row["action"] for row in csv.DictReader(io.StringIO(page_csv))] == ["confirmed"]
    assert [e["action"] for e in entries] == ["audit_read", "ledger_export", "ledger_read"]


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
async def test_the_audit_log_says_what_was_done_in_words(
    sqlite_url: str, tmp_path: Path, language: str
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await h.user("aud", "auditor")
        async with h.client() as browser:
            await sign_in(browser, "aud")
            await browser.get("/admin/ledger")
            page = await browser.get(f"/admin/audit?lang={language}")
    shown = cells(page.text)
    for said in ("Signed in", "Read the consent ledger", "Read the audit log"):
        assert admin_text(language, said) in shown, said
    assert not {"login", "ledger_read", "audit_read"} & set(shown)


async def test_a_code_a_later_release_records_is_shown_as_it_is(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await confirmed_person(h)
        now = h.runtime.clock.now()
        async with h.runtime.sessions() as session, session.begin():
            audit_log.record(session, actor="system", action="archive_moved", client="cli", now=now)
            session.add(
                ConsentRecord(
                    subject_hash="0" * 64,
                    action="transferred",
                    topics=[TOPIC],
                    channel="api",
                    occurred_at=now,
                )
            )
        async with h.client() as browser:
            await sign_in(browser, "aud")
            ledger = await browser.get("/admin/ledger?lang=en")
            audit = await browser.get("/admin/audit?lang=en")
    assert ledger.status_code == 200 and "transferred" in cells(ledger.text)
    assert audit.status_code == 200 and "archive_moved" in cells(audit.text)
