"""Consent is given to exactly what was shown: two sign-ups of one address before confirming.

The second sign-up makes a request and a mail of its own; the first mail's link still confirms
only what the first mail listed, its page says so before the button is pressed, and the consent
ledger records those topics and the page the person used. Ending alerts and erasing are recorded
under the privacy notice the page named, in the language the person switched the page to; a
page from before its form named a notice (a tab left open, a cached copy) ends them at the first
press all the same, recorded as not shown.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser import journeys_support as journey
from tests.browser.checks import assert_accessible
from tests.browser.conftest import App
from tests.browser.journeys_support import LANGUAGES, TITLES, TOPIC, open_page, press, sign_up
from tests.support.words import page_text

pytestmark = pytest.mark.browser


def mail_texts(app: App, address: str) -> list[str]:
    """Return the plain-text part of every mail to an address, oldest first."""
    with app.mailbox.lock:
        mails = [m for m in app.mailbox.messages if address in m.recipients]
    texts = []
    for mail in mails:
        body = mail.message.get_body(preferencelist=("plain",))
        texts.append(body.get_content() if body is not None else "")
    return texts


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_first_mails_link_confirms_only_what_the_first_mail_listed(
    page: Page, app: App, language: str
) -> None:
    address = f"twice-{language}@example.no"
    t = TITLES[language]
    sign_up(page, app, language, address, related="vaksiner")
    sign_up(page, app, language, address, related="smittevern")
    first, second = app.links_in_mails(address, "/confirm/", count=2)
    assert first != second, "each sign-up has a mail and a link of its own"
    texts = mail_texts(app, address)
    assert t["vaksiner"] in texts[0] and t["smittevern"] not in texts[0]
    assert t["smittevern"] in texts[1] and t["vaksiner"] not in texts[1]

    # The first mail's link: its page lists exactly the first sign-up's choices.
    assert open_page(page, first).status == 200
    expect(page.locator("h1")).to_have_text(page_text(language, "Confirm your sign-up"))
    expect(page.locator("ul.topics li")).to_have_text([t[TOPIC], t["vaksiner"]])
    expect(page.locator("dl.summary")).to_contain_text(page_text(language, "Daily"))
    assert_accessible(page, language)
    assert press(page, page_text(language, "Confirm sign-up")).status == 200
    expect(page.locator("ul.topics li")).to_have_text([t[TOPIC], t["vaksiner"]])
    assert_accessible(page, language)

    # The ledger holds what the person saw: two requests, then consent to the first one's topics,
    # each on the sign-up page it was given on.
    signup_page = f"{app.base_url}/subscribe/{TOPIC}"
    assert app.ledger(address) == [
        ("requested", [TOPIC, "vaksiner"], "daily", signup_page),
        ("requested", [TOPIC, "smittevern"], "daily", signup_page),
        ("confirmed", [TOPIC, "vaksiner"], "daily", signup_page),
    ]

    # The second mail's link still shows only its own choices; nothing was merged into it.
    assert open_page(page, second).status == 200
    expect(page.locator("ul.topics li")).to_have_text([t[TOPIC], t["smittevern"]])
    assert_accessible(page, language)


def _switch_to(page: Page, language: str) -> None:
    """Switch the page's language with the switch at its top, as a person does."""
    with page.expect_navigation():
        page.locator(f"ul.languages a[hreflang={language}]").click()
    expect(page.locator("html")).to_have_attribute("lang", language)


def _version_named(page: Page, language: str) -> str:
    """Return the privacy notice version the page names beside its buttons."""
    link = page.locator("main a[href^='/privacy?lang=']")
    expect(link).to_have_attribute("href", f"/privacy?lang={language}")
    return link.inner_text().rsplit(" ", 1)[1]


@pytest.mark.parametrize(("read_in", "then"), [("en", "nn"), ("nn", "en")])
def test_ending_and_erasing_are_recorded_in_the_language_the_page_was_read_in(
    page: Page, app: App, read_in: str, then: str
) -> None:
    address = f"ending-{read_in}@example.no"
    sign_up(page, app, "nb", address)
    journey.confirm(page, app, "nb", address)
    with page.expect_navigation():
        page.get_by_role("link", name=page_text("nb", "Your alerts")).click()
    manage_url = page.url

    # The unsubscribe link opens in bokmål, the person's language; they switch it and end.
    assert open_page(page, journey.unsubscribe_url(app, manage_url)).status == 200
    _switch_to(page, read_in)
    shown = _version_named(page, read_in)
    assert_accessible(page, read_in)
    assert press(page, page_text(read_in, "End all alerts")).status == 200
    expect(page.locator("h1")).to_have_text(page_text(read_in, "Your alerts have ended"))
    assert app.ledger_notices(address)[-1] == ("unsubscribed", read_in, shown)

    # The manage page, switched to another language: erased under that page's notice.
    assert open_page(page, manage_url).status == 200
    _switch_to(page, then)
    shown_then = _version_named(page, then)
    assert shown_then != shown, "each language's text is a version of its own"
    assert press(page, page_text(then, "Delete my email address")).status == 200
    expect(page.locator("h1")).to_have_text(page_text(then, "Your email address is deleted"))
    assert app.ledger_notices(address)[-1] == ("erased", then, shown_then)
    assert [language for _, language, _ in app.ledger_notices(address)][:2] == ["nb", "nb"]


def _as_an_old_page(page: Page) -> None:
    """Make the open page's end-alerts form the one pages had before forms named a notice."""
    page.evaluate(
        "document.querySelectorAll('form.end-alerts input[name^=\"privacy_\"]')"
        ".forEach((field) => field.remove())"
    )
    expect(page.locator("form.end-alerts input[name^='privacy_']")).to_have_count(0)


def test_a_page_from_before_forms_named_a_notice_ends_and_erases_at_the_first_press(
    page: Page, app: App
) -> None:
    address = "old-page@example.no"
    sign_up(page, app, "nb", address)
    journey.confirm(page, app, "nb", address)
    with page.expect_navigation():
        page.get_by_role("link", name=page_text("nb", "Your alerts")).click()
    manage_url = page.url
    (_, _, in_force), *_ = app.ledger_notices(address)

    # The unsubscribe page, left open from before: «End all alerts» ends them, no second press.
    assert open_page(page, journey.unsubscribe_url(app, manage_url)).status == 200
    _switch_to(page, "en")
    _as_an_old_page(page)
    assert press(page, page_text("en", "End all alerts")).status == 200
    expect(page.locator("h1")).to_have_text(page_text("en", "Your alerts have ended"))
    assert app.ledger_notices(address)[-1] == ("unsubscribed", "nb", in_force)
    assert app.ledger_details(address)[-1] == {"notice_shown": False}

    # The manage page, likewise: the address is deleted at once.
    assert open_page(page, manage_url).status == 200
    _as_an_old_page(page)
    assert press(page, page_text("nb", "Delete my email address")).status == 200
    expect(page.locator("h1")).to_have_text(page_text("nb", "Your email address is deleted"))
    assert app.ledger_notices(address)[-1] == ("erased", "nb", in_force)
    assert app.ledger_details(address)[-1] == {"notice_shown": False}
