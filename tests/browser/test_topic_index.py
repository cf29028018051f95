"""The topic index in a real headless Chromium, in bokmål, nynorsk and English, checked by axe.

Every topic by section, the filter with JavaScript switched off, a bad filter, and one sign-up
for three topics: one mail lists all three, and confirming subscribes to all three.
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from tests.browser.checks import assert_accessible
from tests.browser.conftest import App
from tests.browser.journeys_support import TITLES, open_page, press, query
from tests.support.smtp import Received
from tests.support.words import page_text

pytestmark = pytest.mark.browser

LANGUAGES = ["nb", "nn", "en"]
SECTIONS = {
    "nb": ["Folkehelse", "Smittevern"],
    "nn": ["Folkehelse", "Smittevern"],
    "en": ["Public health", "Infection control"],
}
HEADING = "Topics you can get alerts about"


def _matching(language: str, shown: int, query: str) -> str:
    """Return what the filter's status says when ``shown`` of the three topics match."""
    message = "%(shown)s of %(total)s topics match «%(query)s»."
    return page_text(language, message, shown=shown, total=3, query=query)


def _mails_to(app: App, address: str) -> list[Received]:
    with app.mailbox.lock:
        return [m for m in app.mailbox.messages if address in m.recipients]


def _one_mail_to(app: App, address: str, timeout: float = 20.0) -> Received:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not _mails_to(app, address):
        time.sleep(0.05)
    mails = _mails_to(app, address)
    assert len(mails) == 1, (
        f"{len(mails)} mails to {address}; varsel's log ends:\n" + (app.varsel.log()[-3000:])
    )
    return mails[0]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_index_lists_every_topic_by_section(page: Page, app: App, language: str) -> None:
    assert open_page(page, f"{app.base_url}/{query(language)}").status == 200
    expect(page.locator("h1")).to_have_text(page_text(language, HEADING))
    expect(page.locator("fieldset.section legend")).to_have_text(SECTIONS[language])
    for title in TITLES[language].values():
        expect(page.get_by_role("checkbox", name=title, exact=True)).to_be_visible()
    description = {"en": "Norway's health work abroad."}.get(
        language, "Norges helsearbeid ute i verden."
    )
    expect(page.get_by_text(description)).to_be_visible()
    assert_accessible(page, language)
    # Every page's header leads back here.
    open_page(page, f"{app.base_url}/privacy{query(language)}")
    with page.expect_navigation():
        page.locator("header").get_by_role("link", name=page_text(language, "All topics")).click()
    expect(page.locator("h1")).to_have_text(page_text(language, HEADING))


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_filter_works_without_javascript(
    page_without_js: Page, app: App, language: str
) -> None:
    page = page_without_js
    open_page(page, f"{app.base_url}/{query(language)}")
    word = {"nb": "smittevern", "nn": "smittevern", "en": "infection"}[language]
    page.get_by_label(page_text(language, "Filter topics")).fill(word.upper())
    assert press(page, page_text(language, "Filter")).status == 200
    assert "q=" in page.url
    boxes = page.get_by_role("checkbox")
    # The section's name matches both of its topics; the other section is gone.
    expect(boxes).to_have_count(2)
    expect(page.locator("fieldset.section legend")).to_have_text([SECTIONS[language][1]])
    expect(page.get_by_role("status")).to_have_text(_matching(language, 2, word.upper()))
    with page.expect_navigation():
        page.get_by_role("link", name=page_text(language, "Show all topics")).first.click()
    expect(boxes).to_have_count(3)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_bad_filter_says_why(page: Page, app: App, language: str) -> None:
    response = open_page(page, f"{app.base_url}/?q={'x' * 101}&lang={language}")
    assert response.status == 400
    expect(page.locator(".error-summary")).to_contain_text(
        page_text(language, "The search text can be at most 100 characters long.")
    )
    expect(page.get_by_role("checkbox")).to_have_count(3)
    assert_accessible(page, language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_three_topics_one_mail_one_confirmation(page: Page, app: App, language: str) -> None:
    address = f"index-{language}@example.no"
    titles = TITLES[language]
    open_page(page, f"{app.base_url}/{query(language)}")
    # Nothing ticked first: the form says so, and nothing is sent.
    page.get_by_label(page_text(language, "Email address")).fill(address)
    assert press(page, page_text(language, "Subscribe")).status == 400
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.locator(".error-summary")).to_contain_text(
        page_text(language, "Choose at least one topic.")
    )
    assert_accessible(page, language)
    for title in titles.values():
        page.get_by_role("checkbox", name=title, exact=True).check()
    page.get_by_label(page_text(language, "Weekly"), exact=True).check()
    assert press(page, page_text(language, "Subscribe")).status == 200
    expect(page.locator("h1")).to_have_text(page_text(language, "Check your email"))
    assert_accessible(page, language)

    mail = _one_mail_to(app, address)
    body = mail.message.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    for title in titles.values():
        assert title in text, f"{title!r} is not in the confirmation mail:\n{text}"
    link = app.link_in_mail(address, "/confirm/")
    assert open_page(page, link).status == 200
    expect(page.locator("ul.topics li")).to_have_count(3)
    assert sorted(page.locator("ul.topics li").all_inner_texts()) == sorted(titles.values())
    assert_accessible(page, language)
    assert press(page, page_text(language, "Confirm sign-up")).status == 200
    expect(page.locator("main")).to_contain_text(
        page_text(language, "You have subscribed to alerts about:")
    )
    expect(page.locator("ul.topics li")).to_have_count(3)
    assert len(_mails_to(app, address)) == 1, "one sign-up, one mail"


@pytest.mark.parametrize("language", LANGUAGES)
def test_with_javascript_the_filter_keeps_what_was_ticked(
    page: Page, app: App, language: str
) -> None:
    titles = TITLES[language]
    url = f"{app.base_url}/{query(language)}"
    open_page(page, url)
    boxes = page.get_by_role("checkbox")
    field = page.get_by_label(page_text(language, "Filter topics"))
    field.fill(titles["vaksiner"][:4].upper())
    # Filtered in the page: no navigation, the status says how many match.
    assert page.url == url
    expect(boxes).to_have_count(1)
    expect(page.get_by_role("status")).to_have_text(
        _matching(language, 1, titles["vaksiner"][:4].upper())
    )
    expect(page.locator("fieldset.section:visible legend")).to_have_text([SECTIONS[language][1]])
    assert_accessible(page, language)
    page.get_by_role("checkbox", name=titles["vaksiner"], exact=True).check()
    # Pressing the filter button filters here too, rather than loading a page that forgets ticks.
    field.fill(titles["norge-i-verden"])
    page.get_by_role("button", name=page_text(language, "Filter"), exact=True).click()
    assert page.url == url
    expect(boxes).to_have_count(1)
    page.get_by_role("checkbox", name=titles["norge-i-verden"], exact=True).check()
    field.fill("")
    expect(boxes).to_have_count(3)
    expect(page.get_by_role("status")).to_have_text("")
    ticked = [b.get_attribute("value") for b in boxes.all() if b.is_checked()]
    assert sorted(ticked) == ["norge-i-verden", "vaksiner"]
