"""The admin pages in a real headless Chromium, every page state checked by axe-core.

Sign in (a wrong password first), look a person up after erasure, filter and page the ledger,
download the CSV and JSON exports, read the charts, and the operator's views: operations,
snapshot diffs and admin accounts.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from playwright.sync_api import Page, expect

from services.admin.entrypoints.action_wording import LEDGER_ACTIONS
from services.admin.entrypoints.wording import MESSAGES
from tests.browser.admin_support import (
    AUDITOR,
    BEFORE_SITES,
    CALLERS,
    DPO,
    ERASED,
    OPERATOR,
    AdminApp,
    admin_app,
    go,
    press,
    sign_in,
)
from tests.browser.checks import assert_accessible
from tests.integration.admin.harness import PASSWORD, TOPIC
from tests.support.csv_exports import csv_text
from tests.support.words import admin_text

pytestmark = pytest.mark.browser
__all__ = ["admin_app"]  # the module's fixture, imported for pytest to find


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
def test_sign_in_wrong_password_then_right(page: Page, admin_app: AdminApp, language: str) -> None:
    query = "" if language == "nb" else f"?lang={language}"
    # A page asked for before signing in leads to the form and back afterwards.
    go(page, f"{admin_app.base_url}/admin/ledger{query}")
    assert "/admin/login?next=" in page.url
    assert_accessible(page, language)

    page.get_by_label(admin_text(language, "User name")).fill(AUDITOR)
    page.get_by_label(admin_text(language, "Password")).fill("not the password")
    assert press(page, admin_text(language, "Sign in")).status == 401
    # The error summary, which takes the focus, holds the refusal.
    expect(page.get_by_role("alert")).to_contain_text(
        admin_text(language, "Wrong user name or password.")
    )
    expect(page.get_by_role("alert")).to_be_focused()
    assert_accessible(page, language)

    page.get_by_label(admin_text(language, "User name")).fill(AUDITOR)
    page.get_by_label(admin_text(language, "Password")).fill(PASSWORD)
    assert press(page, admin_text(language, "Sign in")).status == 200
    assert page.url.startswith(f"{admin_app.base_url}/admin/ledger")
    expect(page.locator("h1")).to_have_text(admin_text(language, "Consent ledger"))
    go(page, f"{admin_app.base_url}/admin{query}")
    expect(page.locator("h1")).to_have_text(admin_text(language, "Overview"))
    assert_accessible(page, language)


def test_consent_timeline_after_erasure_and_json_export(page: Page, admin_app: AdminApp) -> None:
    sign_in(page, admin_app, AUDITOR)
    go(page, f"{admin_app.base_url}/admin/consent")
    assert_accessible(page, "nb")

    page.get_by_label(admin_text("nb", "Email address")).fill("ikke en adresse")
    # The browser's own check would stop a wrong address; the server's answer is tested too.
    page.locator("#address").evaluate("e => e.removeAttribute('type')")
    assert press(page, admin_text("nb", "Look up")).status == 422
    expect(page.get_by_role("alert")).to_contain_text(
        admin_text("nb", "This is not a valid email address.")
    )
    assert_accessible(page, "nb")

    page.get_by_label(admin_text("nb", "Email address")).fill(ERASED.upper())
    assert press(page, admin_text("nb", "Look up")).status == 200
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(4)
    actions = [rows.nth(i).locator("td").nth(1).inner_text() for i in range(4)]
    # In words (the JSON export below keeps the codes).
    steps = ("requested", "confirmed", "unsubscribed", "erased")
    assert actions == [admin_text("nb", LEDGER_ACTIONS[step]) for step in steps]
    # Each step names the privacy text the person was shown, linked to its exact words.
    notice = rows.first.get_by_role("link")
    expect(notice).to_contain_text(f"({admin_text('nb', 'Norwegian bokmål')})")
    assert_accessible(page, "nb")

    with page.expect_download() as download_info:
        page.get_by_role("button", name=admin_text("nb", "Download as JSON")).click()
    download = download_info.value
    assert download.suggested_filename.startswith("varsel-")
    data = json.loads(download_info.value.path().read_text(encoding="utf-8"))
    assert data["subscriber"] is None, "the erased person's row must be gone"
    assert [s["action"] for s in data["consent_history"]][-1] == "erased"
    assert ERASED not in json.dumps(data)

    notice.click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_contain_text(admin_text("nb", "Privacy notice"))
    assert_accessible(page, "nb")


def test_ledger_filters_paging_and_csv(page: Page, admin_app: AdminApp) -> None:
    sign_in(page, admin_app, AUDITOR, "en")
    go(page, f"{admin_app.base_url}/admin/ledger?lang=en")
    assert_accessible(page, "en")
    page.get_by_label(admin_text("en", "Topic"), exact=True).select_option(TOPIC)
    # The officer picks the words; the address carries the code.
    signed_up = admin_text("en", LEDGER_ACTIONS["requested"])
    page.get_by_label(admin_text("en", "Action"), exact=True).select_option(label=signed_up)
    page.get_by_label(admin_text("en", "From (date)")).fill("2026-01-01")
    page.get_by_label(admin_text("en", "To, inclusive (date)")).fill("2026-01-05")
    assert press(page, admin_text("en", "Filter")).status == 200
    # Five days of hourly steps, every other one a sign-up to the topic: 60 rows, 50 a page.
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(50)
    first_page = rows.first.locator("td").first.inner_text()
    assert first_page.startswith("2026-01-05T22:00")
    assert "action=requested" in page.url
    expect(rows.first.locator("td").nth(2)).to_have_text(signed_up)
    assert_accessible(page, "en")

    with page.expect_download() as download_info:
        page.get_by_role("link", name=admin_text("en", "Download as CSV")).click()
    exported = csv_text(download_info.value.path().read_bytes())
    records = list(csv.DictReader(io.StringIO(exported)))
    assert len(records) == 60
    assert {r["action"] for r in records} == {"requested"}
    assert {r["topics"] for r in records} == {TOPIC}
    assert records[0]["occurred_at"].startswith("2026-01-01T00:00")

    page.get_by_role("link", name=admin_text("en", "Next page")).click()
    page.wait_for_load_state()
    expect(rows).to_have_count(10)
    assert rows.last.locator("td").first.inner_text().startswith("2026-01-01T00:00")
    expect(page.get_by_label(admin_text("en", "Topic"), exact=True)).to_have_value(TOPIC)
    expect(page.get_by_role("link", name=admin_text("en", "Next page"))).to_have_count(0)
    assert_accessible(page, "en")


def test_topic_chart_has_a_text_alternative_and_a_table(page: Page, admin_app: AdminApp) -> None:
    sign_in(page, admin_app, AUDITOR)
    go(page, f"{admin_app.base_url}/admin/topics/{TOPIC}")
    chart = page.locator("figure svg[role=img]")
    expect(chart).to_have_count(1)
    labelled = (chart.get_attribute("aria-labelledby") or "").split()
    assert [page.locator(f"#{i}").count() for i in labelled] == [1, 1]
    expect(page.locator("table").last.locator("tbody tr")).to_have_count(30)
    assert_accessible(page, "nb")


def test_auditor_is_kept_out_of_operations(page: Page, admin_app: AdminApp) -> None:
    sign_in(page, admin_app, AUDITOR)
    assert go(page, f"{admin_app.base_url}/admin/operations").status == 403
    expect(page.locator("h1")).to_have_text(
        admin_text("nb", "You do not have access to this page.")
    )
    assert_accessible(page, "nb")


@pytest.mark.parametrize("language", ["nb", "en"])
def test_an_unknown_address_keeps_the_signed_in_menu(
    page: Page, admin_app: AdminApp, language: str
) -> None:
    query = "" if language == "nb" else f"?lang={language}"
    sign_in(page, admin_app, AUDITOR, language)
    assert go(page, f"{admin_app.base_url}/admin/finnes-ikke{query}").status == 404
    expect(page.locator("h1")).to_have_text(admin_text(language, MESSAGES["page_not_found"]))
    menu = page.get_by_role("navigation", name=admin_text(language, "Administration"))
    ledger = menu.get_by_role("link", name=admin_text(language, "Consent ledger"))
    expect(ledger).to_be_visible()
    # What the role allows, as on every other page: an auditor is offered no operations.
    expect(menu.get_by_role("link", name=admin_text(language, "Operations"))).to_have_count(0)
    sign_out = f"{admin_text(language, 'Sign out')} ({AUDITOR})"
    expect(menu.get_by_role("button", name=sign_out, exact=True)).to_be_visible()
    assert_accessible(page, language)

    ledger.click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text(admin_text(language, "Consent ledger"))
    go(page, f"{admin_app.base_url}/admin/finnes-ikke{query}")
    assert press(page, sign_out).status == 200
    assert "/admin/login" in page.url
    assert go(page, f"{admin_app.base_url}/admin/finnes-ikke{query}").status == 404
    expect(page.get_by_role("navigation")).to_have_count(0)
    assert_accessible(page, language)


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
def test_operations_diff_and_accounts(page: Page, admin_app: AdminApp, language: str) -> None:
    query = "" if language == "nb" else f"?lang={language}"
    sign_in(page, admin_app, OPERATOR, language)
    go(page, f"{admin_app.base_url}/admin/operations{query}")
    mail_chart = page.locator("figure svg[role=img]")
    expect(mail_chart).to_have_count(1)
    expect(mail_chart.locator("title")).to_have_text(admin_text(language, "Mail per day"))
    expect(page.get_by_role("table", name=admin_text(language, "Mail per day"))).to_be_visible()
    # The running mailer has made its own digest runs by now; the table shows the newest.
    digests = page.get_by_role("table", name=admin_text(language, "Digests"))
    expect(digests.get_by_role("row", name=admin_text(language, "Daily"))).to_contain_text("07:00")
    expect(digests).to_contain_text("daily:")
    assert_accessible(page, language)

    page.get_by_role("link", name=admin_text(language, "Compare snapshots")).click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/admin/sources/{admin_app.source_id}/diff{query}")
    assert_accessible(page, language)
    first, _, third = admin_app.snapshot_ids
    page.get_by_label(admin_text(language, "From (older)")).select_option(str(first))
    page.get_by_label(admin_text(language, "To (newer)")).select_option(str(third))
    assert press(page, admin_text(language, "Show differences")).status == 200
    expect(page.locator("ol.diff ins")).to_have_count(2)
    expect(page.locator("ol.diff del")).to_have_count(1)
    expect(page.locator("ol.diff del")).to_contain_text(admin_text(language, "Removed"))
    assert_accessible(page, language)

    base = f"{admin_app.base_url}/admin/sources/{admin_app.source_id}/diff"
    separator = "&" if query else "?"
    assert go(page, f"{base}{query}{separator}from={first}&to=987654").status == 404
    expect(page.get_by_role("alert")).to_have_text(
        admin_text(language, "One of the snapshots does not exist for this source.")
    )
    assert_accessible(page, language)

    go(page, f"{admin_app.base_url}/admin/users{query}")
    expect(page.get_by_role("row", name=OPERATOR)).to_contain_text(admin_text(language, "Active"))
    assert_accessible(page, language)
    go(page, f"{admin_app.base_url}/admin/audit{query}")
    assert_accessible(page, language)


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
def test_a_weak_new_password_is_refused_on_an_accessible_page(
    page: Page, admin_app: AdminApp, language: str
) -> None:
    query = "" if language == "nb" else f"?lang={language}"
    sign_in(page, admin_app, AUDITOR, language)
    go(page, f"{admin_app.base_url}/admin{query}")
    page.get_by_role("link", name=admin_text(language, "Change password")).click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text(admin_text(language, "Change password"))
    assert_accessible(page, language)

    page.get_by_label(admin_text(language, "Current password")).fill(PASSWORD)
    page.get_by_label(admin_text(language, "New password"), exact=True).fill("aaaaaaaaaaaa")
    page.get_by_label(admin_text(language, "New password again")).fill("aaaaaaaaaaaa")
    assert press(page, admin_text(language, "Change password")).status == 400
    expect(page.get_by_role("alert")).to_have_text(admin_text(language, MESSAGES["password_weak"]))
    assert_accessible(page, language)


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
def test_a_dpo_erases_a_person_who_asked_by_phone(
    page: Page, admin_app: AdminApp, language: str
) -> None:
    query = "" if language == "nb" else f"?lang={language}"
    sign_in(page, admin_app, DPO, language)
    go(page, f"{admin_app.base_url}/admin{query}")
    page.get_by_role("link", name=admin_text(language, "End alerts or erase")).click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text(admin_text(language, "End alerts or erase"))
    assert_accessible(page, language)

    page.get_by_label(admin_text(language, "Email address")).fill(CALLERS[language])
    # The browser's own check would stop an empty reason; the server's answer is tested too.
    page.locator("#reason").evaluate("e => e.removeAttribute('required')")
    assert press(page, admin_text(language, "Erase the address")).status == 400
    expect(page.get_by_role("alert")).to_contain_text(
        admin_text(
            language, "Write why: the reason is kept in the consent ledger and the audit log."
        )
    )
    assert_accessible(page, language)

    page.get_by_label(admin_text(language, "Reason")).fill("Ringte 3. desember, sak 2026/88")
    assert press(page, admin_text(language, "Erase the address")).status == 200
    expect(page.get_by_role("status")).to_contain_text(
        admin_text(
            language,
            "The address is erased: every alert has ended and the address is deleted. "
            "The consent ledger keeps the history under the keyed code.",
        )
    )
    expect(page.get_by_label(admin_text(language, "Email address"))).to_have_value("")
    assert_accessible(page, language)

    # The ledger tells the story: the organisation ended the alerts and erased the address.
    go(page, f"{admin_app.base_url}/admin/consent{query}")
    page.get_by_label(admin_text(language, "Email address")).fill(CALLERS[language])
    assert press(page, admin_text(language, "Look up")).status == 200
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(4)
    staff = admin_text(language, "Staff, for the organisation")  # the channel "admin"
    assert [rows.nth(i).locator("td").nth(5).inner_text() for i in (2, 3)] == [staff, staff]

    # The ledger page names who erased the address and why, in the reader's words.
    go(page, f"{admin_app.base_url}/admin/ledger?action=erased&lang={language}")
    newest = page.locator("table tbody tr").first.locator("td").last
    terms = newest.locator("dt").all_inner_texts()
    assert terms == [admin_text(language, word) for word in ("Who", "Reason", "By")]
    assert newest.locator("dd").all_inner_texts() == [DPO, "Ringte 3. desember, sak 2026/88", staff]
    assert_accessible(page, language)


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
def test_an_operator_issues_a_publisher_token_sees_it_once_and_revokes_it(
    page: Page, admin_app: AdminApp, language: str
) -> None:
    query = "" if language == "nb" else f"?lang={language}"
    sign_in(page, admin_app, OPERATOR, language)
    go(page, f"{admin_app.base_url}/admin{query}")
    page.get_by_role("link", name=admin_text(language, "Publisher tokens")).click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text(admin_text(language, "Publisher tokens"))
    assert_accessible(page, language)

    # The browser's own check would stop an empty name; the server's answer is tested too.
    page.locator("#name").evaluate("e => e.removeAttribute('required')")
    page.locator("#sites").evaluate("e => e.removeAttribute('required')")
    assert press(page, admin_text(language, "Issue the token")).status == 400
    expect(page.get_by_role("alert")).to_have_text(admin_text(language, MESSAGES["token_name"]))
    assert_accessible(page, language)

    name = f"WordPress {language}"
    page.get_by_label(admin_text(language, "Name"), exact=True).fill(name)
    sites = page.get_by_label(admin_text(language, "Sites"), exact=True)
    sites.fill("https://www.example.no/nyheter")
    assert press(page, admin_text(language, "Issue the token")).status == 400
    refused = admin_text(language, MESSAGES["site_path"], site="https://www.example.no/nyheter")
    expect(page.get_by_role("alert")).to_have_text(refused)
    expect(sites).to_have_attribute("aria-invalid", "true")
    expect(sites).to_have_value("https://www.example.no/nyheter")
    assert_accessible(page, language)

    sites.fill("https://www.example.no\nnyheter.example.no")
    assert press(page, admin_text(language, "Issue the token")).status == 200
    token = page.get_by_label(admin_text(language, "The new token")).input_value()
    assert token.startswith("varsel_pub_")
    assert_accessible(page, language)

    go(page, f"{admin_app.base_url}/admin/publishers{query}")
    assert token not in page.content(), "the list never shows a token"
    before = page.get_by_role("row", name=BEFORE_SITES)
    expect(before).to_contain_text(
        admin_text(language, "All sites (issued before tokens had sites)")
    )
    assert_accessible(page, language)
    row = page.get_by_role("row", name=name)
    expect(row).to_contain_text(admin_text(language, "Never"))
    expect(row.get_by_role("listitem")).to_have_text(["www.example.no", "nyheter.example.no"])
    revoke = admin_text(language, "Revoke the token %(name)s", name=name)
    assert press(page, revoke).status == 200
    expect(page.get_by_role("status")).to_contain_text(
        admin_text(language, MESSAGES["token_revoked"])
    )
    expect(page.get_by_role("row", name=name)).to_contain_text(admin_text(language, "Revoked"))
    assert_accessible(page, language)
