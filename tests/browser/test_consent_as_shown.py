"""Consent is given to exactly what was shown: two sign-ups of one address before confirming.

The second sign-up makes a request and a mail of its own; the first mail's link still confirms
only what the first mail listed, its page says so before the button is pressed, and the consent
ledger records those topics and the page the person used.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

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
