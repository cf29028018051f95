"""The editor's pages in a real headless Chromium, every state checked by axe-core.

An editor tries a page served on loopback, narrows it with a selector, sees a feed's items,
and is told plainly when a selector matches nothing; the auditor's pages stay closed to them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.admin_support import EDITOR, AdminApp, admin_app, go, press, sign_in
from tests.browser.checks import assert_accessible
from tests.support.site import FixtureSite, Resource
from tests.support.words import admin_text

pytestmark = pytest.mark.browser
__all__ = ["admin_app"]  # the module's fixture, imported for pytest to find

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "watcher"


@pytest.fixture(scope="module")
def site() -> Iterator[FixtureSite]:
    served = FixtureSite()
    served.set("/side", Resource((FIXTURES / "pages" / "fhi_norge_i_verden.html").read_bytes()))
    feed = (FIXTURES / "feeds" / "regjeringen_nyheter.rss").read_bytes()
    served.set("/nyheter.rss", Resource(feed, "application/rss+xml"))
    served.start()
    yield served
    served.stop()


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
def test_an_editor_tests_a_page_a_selector_and_a_feed(
    page: Page, admin_app: AdminApp, site: FixtureSite, language: str
) -> None:
    query = "" if language == "nb" else f"?lang={language}"
    sign_in(page, admin_app, EDITOR, language)
    go(page, f"{admin_app.base_url}/admin{query}")
    page.get_by_role("link", name=admin_text(language, "Test a source")).click()
    expect(page.locator("h1")).to_have_text(admin_text(language, "Test a source"))
    assert page.url == f"{admin_app.base_url}/admin/sources/test{query}"
    assert_accessible(page, language)

    page.get_by_label(admin_text(language, "Address (URL)")).fill(f"{site.base_url}/side")
    assert press(page, admin_text(language, "Test this source")).status == 200
    seen = page.get_by_role("region", name=admin_text(language, "What varsel sees"))
    expect(seen).to_contain_text("Norge i verden")
    assert_accessible(page, language)

    label = admin_text(language, "CSS selector (pages only, optional)")
    page.get_by_label(label).fill("#finnes-ikke")
    assert press(page, admin_text(language, "Test this source")).status == 200
    expect(page.get_by_role("alert")).to_contain_text(
        admin_text(
            language,
            "The CSS selector matched nothing on the page. Check it against the page's HTML.",
        )
    )
    # What the editor typed is kept, to be fixed rather than typed again.
    expect(page.get_by_label(label)).to_have_value("#finnes-ikke")
    assert_accessible(page, language)

    page.get_by_label(label).fill("")
    page.get_by_label(admin_text(language, "Address (URL)")).fill(f"{site.base_url}/nyheter.rss")
    page.get_by_label(admin_text(language, "Feed (RSS or Atom)")).check()
    assert press(page, admin_text(language, "Test this source")).status == 200
    expect(page.locator("ol.trial-items > li")).to_have_count(4)
    assert_accessible(page, language)


def test_an_editor_sees_no_consent_records(page: Page, admin_app: AdminApp) -> None:
    sign_in(page, admin_app, EDITOR)
    expect(page.get_by_role("link", name=admin_text("nb", "Consent ledger"))).to_have_count(0)
    assert go(page, f"{admin_app.base_url}/admin/ledger").status == 403
    assert_accessible(page, "nb")


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
def test_an_editor_previews_each_mail_in_a_sandboxed_frame(
    page: Page, admin_app: AdminApp, language: str
) -> None:
    query = "" if language == "nb" else f"?lang={language}"
    sign_in(page, admin_app, EDITOR, language)
    go(page, f"{admin_app.base_url}/admin{query}")
    page.get_by_role("link", name=admin_text(language, "Mail previews")).click()
    expect(page.locator("h1")).to_have_text(admin_text(language, "Mail previews"))
    assert_accessible(page, language)

    names = [
        ("confirm", "Confirmation of a sign-up"),
        ("digest", "Digest of changes"),
        ("operator_failing", "Notice to operators: a source fails"),
        ("page_removed", "Notice that a watched page was removed"),
    ]
    for kind, name in names:
        go(page, f"{admin_app.base_url}/admin/previews{query}")
        link = page.locator(f'a[href^="/admin/previews/{kind}/{language}"]')
        link.click()
        expect(page.locator("h1")).to_contain_text(admin_text(language, name))
        frame = page.frame_locator("iframe.mail-preview")
        # The mail's own page is shown, with the styles mail clients honour.
        expect(frame.locator("body")).not_to_be_empty()
        background = frame.locator("body").evaluate("b => getComputedStyle(b).backgroundColor")
        assert background == "rgb(255, 255, 255)"
        # No script runs in the frame: the sandbox gives it no scripts and its own origin.
        assert page.locator("iframe.mail-preview").get_attribute("sandbox") == ""
        expect(page.locator("pre.mail-text")).not_to_be_empty()
        assert_accessible(page, language)


def test_an_editor_adds_pauses_and_removes_a_source(page: Page, admin_app: AdminApp) -> None:
    sign_in(page, admin_app, EDITOR, "en")
    go(page, f"{admin_app.base_url}/admin?lang=en")
    page.get_by_role("link", name=admin_text("en", "Sources"), exact=True).click()
    expect(page.locator("h1")).to_have_text(admin_text("en", "Sources"))
    assert_accessible(page, "en")

    form = page.get_by_role("form", name=admin_text("en", "Add a source"))
    form.get_by_label(admin_text("en", "Address (URL)")).fill("https://example.org/ny")
    form.get_by_label(admin_text("en", "Feed (RSS or Atom)")).check()
    assert press(page, admin_text("en", "Add the source")).status == 400
    expect(page.get_by_role("alert")).to_contain_text("topics")
    assert_accessible(page, "en")

    form.get_by_label(admin_text("en", "Feed (RSS or Atom)")).check()
    form.locator('input[name="topics"]').first.check()
    assert press(page, admin_text("en", "Add the source")).status == 200
    row = page.get_by_role("row").filter(has_text="https://example.org/ny")
    expect(row).to_contain_text(admin_text("en", "Active"))
    pause = f"{admin_text('en', 'Pause')}: https://example.org/ny"
    assert press(page, pause).status == 200
    expect(row).to_contain_text(admin_text("en", "Paused"))
    assert_accessible(page, "en")
    page.get_by_role("link", name=f"{admin_text('en', 'Edit')}: https://example.org/ny").click()
    expect(page.get_by_role("heading", name=admin_text("en", "Edit the source"))).to_be_visible()
    page.get_by_label(admin_text("en", "Interval (for example 15m or 1h)")).fill("2h")
    assert press(page, admin_text("en", "Save the source")).status == 200
    expect(row).to_contain_text(admin_text("en", "Paused"))
    assert_accessible(page, "en")
    assert press(page, f"{admin_text('en', 'Remove')}: https://example.org/ny").status == 200
    expect(page.get_by_role("row").filter(has_text="https://example.org/ny")).to_have_count(0)
