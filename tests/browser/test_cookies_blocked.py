"""A browser that blocks every cookie: each link in its mail works; the sign-up form says why not.

The forms reached by a mail's link post to that link, whose signed token proves the post, so
they need no cookie (services/subscriptions/entrypoints/link_pages.py). The sign-up form carries
no such token and keeps its CSRF cookie; a browser that never sends it back is told so.

Chromium blocks every cookie by the profile preference
``profile.default_content_setting_values.cookies`` = 2 (the setting «Don't allow sites to save
data») in a persistent profile's ``Default/Preferences``, as test_embed.py switches third-party
cookies. Each run proves it took: after pages that set a cookie, the browser holds none.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from services.subscriptions.entrypoints.wording import ERASED_BODY, FORM_NEEDS_COOKIE
from tests.browser import journeys_support as journey
from tests.browser.checks import assert_accessible
from tests.browser.conftest import App
from tests.support.words import page_text

pytestmark = pytest.mark.browser


def confirmed_and_managed(page: Page, blocked: Page, app: App, language: str, address: str) -> str:
    """Sign up in a browser that keeps cookies, then confirm and open the manage page in the
    one that blocks them; return the manage page's address."""
    journey.sign_up(page, app, language, address)
    journey.confirm(blocked, app, language, address)
    assert_accessible(blocked, language)
    with blocked.expect_navigation():
        blocked.get_by_role("link", name=page_text(language, "Your alerts")).click()
    return blocked.url


@pytest.mark.parametrize("language", journey.LANGUAGES)
def test_a_browser_that_blocks_cookies_follows_every_link_in_its_mail(
    page: Page, cookies_blocked: BrowserContext, app: App, language: str
) -> None:
    blocked = cookies_blocked.new_page()
    address = f"no-cookies-{language}@example.no"
    t = journey.TITLES[language]

    # The sign-up form carries no link token: without its cookie it is refused, saying why.
    journey.open_page(blocked, f"{app.base_url}/subscribe/{journey.TOPIC}{journey.query(language)}")
    blocked.get_by_label(page_text(language, "Email address")).fill(address)
    assert journey.press(blocked, page_text(language, "Subscribe")).status == 400
    expect(blocked.locator(".error-summary")).to_be_focused()
    expect(blocked.locator(".error-summary")).to_contain_text(
        page_text(language, FORM_NEEDS_COOKIE)
    )
    assert_accessible(blocked, language)
    assert cookies_blocked.cookies() == [], "the browser saved a cookie: the setting did not apply"
    assert app.ledger(address) == []

    # Signed up in a browser that keeps cookies; every link from the mail in the one that does not.
    manage_url = confirmed_and_managed(page, blocked, app, language, address)
    expect(blocked.get_by_label(t["vaksiner"])).to_be_checked()
    blocked.get_by_label(t["smittevern"]).check()
    blocked.get_by_label(page_text(language, "Weekly"), exact=True).check()
    assert journey.press(blocked, page_text(language, "Save changes")).status == 200
    expect(blocked.get_by_role("status")).to_have_text(
        page_text(language, "Your changes are saved.")
    )
    expect(blocked.get_by_label(t["smittevern"])).to_be_checked()
    expect(blocked.get_by_label(page_text(language, "Weekly"), exact=True)).to_be_checked()
    saved = app.ledger(address)

    # The same form posted to the link with its token spoilt: refused, nothing changed.
    token = manage_url.rsplit("/", 1)[1].split("?")[0]
    spoilt = token[:-1] + ("A" if token[-1] != "A" else "B")
    blocked.evaluate(
        """([token, spoilt]) => {
            const form = document.querySelector("form[action^='/manage/']");
            form.action = form.getAttribute("action").replace(token, spoilt);
        }""",
        [token, spoilt],
    )
    blocked.get_by_label(t["smittevern"]).uncheck()
    assert journey.press(blocked, page_text(language, "Save changes")).status == 404
    expect(blocked.locator("h1")).to_have_text(page_text(language, "This link does not work"))
    assert app.ledger(address) == saved

    # The unsubscribe link: end all alerts, then the page offers only the erasure.
    unsubscribe = journey.unsubscribe_url(app, manage_url) + journey.query(language)
    assert journey.open_page(blocked, unsubscribe).status == 200
    assert journey.press(blocked, page_text(language, "End all alerts")).status == 200
    expect(blocked.locator("h1")).to_have_text(page_text(language, "Your alerts have ended"))
    assert journey.open_page(blocked, unsubscribe).status == 200
    expect(blocked.locator("h1")).to_have_text(page_text(language, "Delete your email address"))
    end_all = blocked.get_by_role("button", name=page_text(language, "End all alerts"))
    expect(end_all).to_have_count(0)
    assert_accessible(blocked, language)
    assert journey.press(blocked, page_text(language, "Delete my email address")).status == 200
    expect(blocked.locator("h1")).to_have_text(page_text(language, "Your email address is deleted"))
    expect(blocked.locator("main")).to_contain_text(page_text(language, ERASED_BODY))
    assert cookies_blocked.cookies() == []


@pytest.mark.parametrize("language", journey.LANGUAGES)
def test_the_manage_page_of_a_person_with_no_alerts_says_so(
    page: Page, cookies_blocked: BrowserContext, app: App, language: str
) -> None:
    blocked = cookies_blocked.new_page()
    address = f"no-alerts-{language}@example.no"
    manage_url = confirmed_and_managed(page, blocked, app, language, address)
    assert journey.press(blocked, page_text(language, "End all alerts")).status == 200

    assert journey.open_page(blocked, manage_url).status == 200
    expect(blocked.locator("legend").first).to_have_text(
        page_text(language, "You get no alerts now. Tick the topics you want alerts about:")
    )
    expect(blocked.locator("input[name=topics]:checked")).to_have_count(0)
    expect(blocked.locator("main h2")).to_have_text(
        page_text(language, "Delete your email address")
    )
    end_all = blocked.get_by_role("button", name=page_text(language, "End all alerts"))
    expect(end_all).to_have_count(0)
    assert_accessible(blocked, language)

    # Ticking a topic there starts alerts again, and the page words it as alerts once more.
    blocked.get_by_label(journey.TITLES[language]["vaksiner"]).check()
    assert journey.press(blocked, page_text(language, "Save changes")).status == 200
    expect(blocked.locator("legend").first).to_have_text(
        page_text(language, "You get alerts about:")
    )
