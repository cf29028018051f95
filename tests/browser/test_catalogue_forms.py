"""The editor's topic and source forms in a real headless Chromium, every state checked by axe-core.

An editor creates a topic, is told beside the field what is wrong, edits it and ends it (its
sign-up page and feed then answer 410 in the running varsel, without a restart); tests a source
from the source form itself, on a page served on loopback, and saves it. An auditor can do none
of it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.admin_support import AUDITOR, EDITOR, AdminApp, admin_app, go, press, sign_in
from tests.browser.checks import assert_accessible
from tests.integration.admin.harness import OTHER, TOPIC
from tests.support.site import FixtureSite, Resource
from tests.support.words import admin_text

pytestmark = pytest.mark.browser
__all__ = ["admin_app"]  # the module's fixture, imported for pytest to find

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "watcher"
TITLES = {"nb": "Vaksiner", "nn": "Vaksinar", "en": "Vaccines"}


@pytest.fixture(scope="module")
def site() -> Iterator[FixtureSite]:
    served = FixtureSite()
    page = (FIXTURES / "pages" / "fhi_norge_i_verden.html").read_bytes()
    for language in ("nb", "en"):
        served.set(f"/side-{language}", Resource(page))
    feed = (FIXTURES / "feeds" / "regjeringen_nyheter.rss").read_bytes()
    served.set("/nyheter.rss", Resource(feed, "application/rss+xml"))
    served.start()
    yield served
    served.stop()


def _status_soon(url: str, status: int, seconds: float = 30) -> None:
    """Wait until a page answers ``status``: the running varsel reloads its catalogue itself."""
    deadline = time.monotonic() + seconds
    while (seen := httpx.get(url).status_code) != status:
        assert time.monotonic() < deadline, f"{url} answered {seen}, not {status}"
        time.sleep(0.25)


@pytest.mark.parametrize("language", ["nb", "en"])
def test_an_editor_creates_edits_and_ends_a_topic(
    page: Page, admin_app: AdminApp, language: str
) -> None:
    def t(message: str) -> str:
        return admin_text(language, message)

    query = "" if language == "nb" else f"?lang={language}"
    slug = f"vaksiner-{language}"
    sign_in(page, admin_app, EDITOR, language)
    go(page, f"{admin_app.base_url}/admin{query}")
    page.get_by_role("link", name=t("Topics"), exact=True).click()
    expect(page.locator("h1")).to_have_text(t("Topics"))
    assert_accessible(page, language)

    form = page.get_by_role("form", name=t("Add a topic"))
    form.get_by_label(t("Short name")).fill("Vaksiner og sånt")
    for code, title in TITLES.items():
        page.locator(f"#title_{code}").fill(title)
    page.locator("#section_nn").fill("Smittevern")
    page.locator("#description_nb").fill("Råd om vaksiner.")
    form.get_by_label(t("The page the topic is about (optional)")).fill("www.fhi.no/vaksiner")
    form.get_by_label("Helsenyheter" if language == "nb" else "Health news").check()
    assert press(page, t("Add the topic")).status == 400
    # Each refusal beside its field, linked from the summary; what was typed is kept.
    expect(page.locator("#slug-error")).to_contain_text(
        t(
            "The short name may hold only lower-case letters a–z, digits and single hyphens "
            "between them, at most 100 characters."
        )
    )
    expect(page.locator("#section_nb-error")).to_be_visible()
    expect(page.locator("#page-error")).to_be_visible()
    expect(page.get_by_role("alert").get_by_role("link")).to_have_count(3)
    expect(page.locator("#title_en")).to_have_value("Vaccines")
    assert_accessible(page, language)

    form.get_by_label(t("Short name")).fill(slug)
    page.locator("#section_nb").fill("Smittevern")
    form.get_by_label(t("The page the topic is about (optional)")).fill(
        "https://www.fhi.no/vaksiner/"
    )
    assert press(page, t("Add the topic")).status == 200
    row = page.get_by_role("row").filter(has_text=slug)
    expect(row).to_contain_text(TITLES[language])
    assert_accessible(page, language)
    _status_soon(f"{admin_app.base_url}/subscribe/{slug}", 200)

    page.get_by_role("link", name=f"{t('Edit')}: {TITLES[language]}").click()
    expect(
        page.get_by_role("heading", name=f"{t('Edit the topic')}: {TITLES[language]}")
    ).to_be_visible()
    expect(page.locator("#title_nn")).to_have_value("Vaksinar")
    assert_accessible(page, language)
    page.locator(f"#title_{language}").fill(f"{TITLES[language]} for alle")
    assert press(page, t("Save the topic")).status == 200
    expect(row).to_contain_text(f"{TITLES[language]} for alle")

    page.get_by_role("link", name=f"{t('Edit')}: {TITLES[language]} for alle").click()
    follow = "Norge i verden" if language == "nb" else "Norway in the world"
    page.get_by_label(t("What to follow instead (optional)")).select_option(label=follow)
    assert press(page, t("End the topic")).status == 400
    expect(page.locator("#confirm-error")).to_contain_text(
        t("Tick the box to confirm that the topic ends and its followers are told.")
    )
    # The choice made is kept; the box is ticked on purpose, never for the editor.
    expect(page.get_by_label(t("What to follow instead (optional)"))).to_have_value(TOPIC)
    assert_accessible(page, language)
    page.get_by_label(t("Yes, end this topic and tell its followers")).check()
    assert press(page, t("End the topic")).status == 200
    ended = page.get_by_role("table", name=t("Topics that have ended"))
    expect(ended).to_contain_text(slug)
    expect(ended).to_contain_text(follow)
    assert_accessible(page, language)
    # Every process follows: the sign-up page and the feed say the topic has ended.
    _status_soon(f"{admin_app.base_url}/subscribe/{slug}", 410)
    assert httpx.get(f"{admin_app.base_url}/topics/{slug}/feed.atom").status_code == 410


@pytest.mark.parametrize("language", ["nb", "en"])
def test_an_editor_tests_a_source_on_its_form_before_saving_it(
    page: Page, admin_app: AdminApp, site: FixtureSite, language: str
) -> None:
    def t(message: str) -> str:
        return admin_text(language, message)

    query = "" if language == "nb" else f"?lang={language}"
    address = f"{site.base_url}/side-{language}"
    sign_in(page, admin_app, EDITOR, language)
    go(page, f"{admin_app.base_url}/admin/sources{query}")
    form = page.get_by_role("form", name=t("Add a source"))
    form.get_by_label(t("Address (URL)")).fill(address)
    form.get_by_label(t("Web page"), exact=True).check()
    form.locator(f'input[name="topics"][value="{OTHER}"]').check()
    form.get_by_label(t("Interval (for example 15m or 1h)")).fill("1h")
    form.get_by_label(t("Ignore patterns (optional)")).fill("Sist oppdatert .*")
    assert press(page, t("Test this source")).status == 200
    seen = page.get_by_role("region", name=t("What varsel sees"))
    expect(seen).to_contain_text("Norge i verden")
    # The form as the editor left it, beside what varsel sees; nothing is saved yet.
    expect(form.get_by_label(t("Address (URL)"))).to_have_value(address)
    expect(form.locator(f'input[name="topics"][value="{OTHER}"]')).to_be_checked()
    expect(form.get_by_label(t("Interval (for example 15m or 1h)"))).to_have_value("1h")
    expect(form.get_by_label(t("Ignore patterns (optional)"))).to_have_value("Sist oppdatert .*")
    expect(page.get_by_role("row").filter(has_text=address)).to_have_count(0)
    assert_accessible(page, language)

    selector = form.get_by_label(t("CSS selector (pages only, optional)"))
    selector.fill("#finnes-ikke")
    assert press(page, t("Test this source")).status == 200
    expect(page.locator("#selector-error")).to_contain_text(
        t("The CSS selector matched nothing on the page. Check it against the page's HTML.")
    )
    expect(selector).to_have_attribute("aria-invalid", "true")
    assert_accessible(page, language)

    selector.fill("")
    form.get_by_label(t("Address (URL)")).fill(f"{site.base_url}/nyheter.rss")
    form.get_by_label(t("Feed (RSS or Atom)")).check()
    assert press(page, t("Test this source")).status == 200
    expect(seen.locator("ol.trial-items > li")).to_have_count(4)
    assert_accessible(page, language)

    form.get_by_label(t("Address (URL)")).fill(address)
    form.get_by_label(t("Web page"), exact=True).check()
    assert press(page, t("Add the source")).status == 200
    expect(page.get_by_role("row").filter(has_text=address)).to_contain_text(t("Active"))
    assert_accessible(page, language)


def test_an_auditor_changes_no_topic_and_no_source(page: Page, admin_app: AdminApp) -> None:
    sign_in(page, admin_app, AUDITOR, "en")
    nav = page.get_by_role("navigation", name=admin_text("en", "Administration"))
    expect(nav.get_by_role("link", name=admin_text("en", "Topics"), exact=True)).to_have_count(0)
    expect(nav.get_by_role("link", name=admin_text("en", "Sources"), exact=True)).to_have_count(0)
    for path in ("/admin/topics?lang=en", "/admin/sources?lang=en", "/admin/topics?edit=x"):
        answer = go(page, f"{admin_app.base_url}{path}")
        assert answer.status == 403, path
        expect(page.get_by_role("form", name=admin_text("en", "Add a topic"))).to_have_count(0)
    assert_accessible(page, "nb")
