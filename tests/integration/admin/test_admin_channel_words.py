"""The consent ledger and a person's timeline say where each step came from, how often the person
chose to hear and in which language in words of the page's language; the CSV export, the JSON
export and the API keep the codes, and a code a later release records is shown as it is."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from services.subscriptions.adapters.tables import ConsentRecord
from tests.integration.admin.harness import TOPIC, csrf_token, running, sign_in
from tests.integration.admin.ledger_support import ADDRESS, cells, confirmed_person
from tests.support.csv_exports import csv_text
from tests.support.words import admin_text

FORM = "A sign-up form"
LINK = "The link in the confirmation mail"
CODES = {"web", "email-link", "daily"}


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
async def test_the_ledger_and_a_timeline_say_the_channel_and_frequency_in_words(
    sqlite_url: str, tmp_path: Path, language: str
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await confirmed_person(h)  # a daily person, signed up on a topic page
        async with h.client() as browser:
            await sign_in(browser, "aud")
            ledger = await browser.get(f"/admin/ledger?lang={language}")
            form = await browser.get(f"/admin/consent?lang={language}")
            timeline = await browser.post(
                f"/admin/consent?lang={language}",
                data={"address": ADDRESS, "csrf_token": csrf_token(form.text)},
            )
    form_words, link_words = admin_text(language, FORM), admin_text(language, LINK)
    assert [c for c in cells(ledger.text) if c in (form_words, link_words)] == [
        link_words,  # newest first
        form_words,
    ]
    shown = cells(timeline.text)
    assert [c for c in shown if c in (form_words, link_words)] == [form_words, link_words]
    assert shown.count(admin_text(language, "Daily")) == 2
    assert not CODES & (set(cells(ledger.text)) | set(shown))


async def test_the_exports_and_the_api_keep_the_codes(sqlite_url: str, tmp_path: Path) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await confirmed_person(h)
        _, token = await h.token("aud")
        async with h.client(headers={"Authorization": f"Bearer {token}"}) as api:
            records = (await api.get("/api/v1/admin/ledger")).json()["records"]
        async with h.client() as browser:
            await sign_in(browser, "aud")
            exported = csv_text((await browser.get("/admin/ledger.csv")).content)
            form = await browser.get("/admin/consent")
            held = await browser.post(
                "/admin/consent/export",
                data={"address": ADDRESS, "csrf_token": csrf_token(form.text)},
            )
    assert sorted(r["channel"] for r in records) == ["email-link", "web"]
    assert sorted(row["channel"] for row in csv.DictReader(io.StringIO(exported))) == [
        "email-link",
        "web",
    ]
    assert "email-link" in held.text and '"daily"' in held.text
    json.loads(held.text)


async def test_a_channel_or_frequency_a_later_release_records_is_shown_as_it_is(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await confirmed_person(h)
        async with h.runtime.sessions() as session, session.begin():
            subject = await session.scalar(select(ConsentRecord.subject_hash).limit(1))
            assert subject is not None
            session.add(
                ConsentRecord(
                    subject_hash=subject,
                    action="confirmed",
                    topics=[TOPIC],
                    frequency="monthly",
                    channel="fax",
                    occurred_at=h.runtime.clock.now(),
                )
            )
        async with h.client() as browser:
            await sign_in(browser, "aud")
            ledger = await browser.get("/admin/ledger?lang=en")
            form = await browser.get("/admin/consent?lang=en")
            timeline = await browser.post(
                "/admin/consent?lang=en",
                data={"address": ADDRESS, "csrf_token": csrf_token(form.text)},
            )
    assert ledger.status_code == 200 and "fax" in cells(ledger.text)
    assert timeline.status_code == 200
    assert {"fax", "monthly"} <= set(cells(timeline.text))


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
async def test_a_timeline_names_the_language_of_each_step_and_notice_in_words(
    sqlite_url: str, tmp_path: Path, language: str
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await confirmed_person(h)  # signed up on the bokmål page
        async with h.client() as browser:
            await sign_in(browser, "aud")
            form = await browser.get(f"/admin/consent?lang={language}")
            timeline = await browser.post(
                f"/admin/consent?lang={language}",
                data={"address": ADDRESS, "csrf_token": csrf_token(form.text)},
            )
    bokmal = admin_text(language, "Norwegian bokmål")
    assert bokmal != "nb"
    shown = cells(timeline.text)
    assert shown.count(bokmal) == 2 and "nb" not in shown
    notices = re.findall(r'<a href="/admin/privacy/[^"]+">([^<]*)</a>', timeline.text)
    assert len(notices) == 2
    assert all(html.unescape(n).endswith(f"({bokmal})") for n in notices), notices
