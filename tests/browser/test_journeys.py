"""Journeys 1–5 in a real headless Chromium, in bokmål and English, checked by axe-core.

Sign up (with a related topic and a wrong address first), confirm from the mail, change topics
and frequency, end all alerts, erase: every page state must pass WCAG 2.1 A/AA, carry the right
``lang``, label every control and load nothing from outside 127.0.0.1.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, Response, expect

from services.subscriptions.domain.texts import text
from shared.tokens import TokenSigner
from shared.vocabulary import Language
from tests.browser.checks import assert_accessible
from tests.browser.conftest import SECRET_KEY, App

pytestmark = pytest.mark.browser

LANGUAGES = [language.value for language in Language]
TOPIC = "norge-i-verden"
TITLES = {
    "nb": {"norge-i-verden": "Norge i verden", "vaksiner": "Vaksiner", "smittevern": "Smittevern"},
    "en": {
        "norge-i-verden": "Norway in the world",
        "vaksiner": "Vaccines",
        "smittevern": "Infection control",
    },
}
CONFIRMED = {
    "nb": "Du har meldt deg på nyhetsvarsel for:",
    "en": "You have subscribed to alerts about:",
}
SAVED = {"nb": "Endringene er lagret.", "en": "Your changes are saved."}


def query(language: str) -> str:
    """Return the query string that asks for a language (bokmål is the default)."""
    return "?lang=en" if language == "en" else ""


def press(page: Page, name: str) -> Response:
    """Press the button with this name and return the response of the page it leads to."""
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name=name, exact=True).click()
    response = navigation.value
    assert response is not None
    return response


def open_page(page: Page, url: str) -> Response:
    """Go to a URL and return its response."""
    response = page.goto(url)
    assert response is not None
    return response


def unsubscribe_url(app: App, manage_url: str) -> str:
    """Return the unsubscribe link the person's alert mails carry (signed with the test key)."""
    signer = TokenSigner(SECRET_KEY)
    now = datetime.now(UTC)
    claims = signer.verify(
        "manage", manage_url.rsplit("/", 1)[1].split("?")[0], now=now, max_age_days=1
    )
    assert claims is not None, "the manage link is not a valid manage token"
    return f"{app.base_url}/unsubscribe/{signer.sign('unsubscribe', claims.subject, now)}"


def sign_up(
    page: Page, app: App, language: str, address: str, *, related: str = "vaksiner"
) -> None:
    """Fill in and send the sign-up form with a related topic and daily alerts."""
    open_page(page, f"{app.base_url}/subscribe/{TOPIC}{query(language)}")
    page.get_by_label(text(language, "email_label")).fill(address)
    page.get_by_label(TITLES[language][related]).check()
    page.get_by_label(text(language, "frequency_daily"), exact=True).check()
    assert press(page, text(language, "subscribe_button")).status == 200
    expect(page.locator("h1")).to_have_text(text(language, "check_email_title"))


def confirm(page: Page, app: App, language: str, address: str) -> None:
    """Open the confirmation link from the mail and press the button."""
    assert open_page(page, app.link_in_mail(address, "/confirm/")).status == 200
    expect(page.locator("h1")).to_have_text(text(language, "confirm_title"))
    assert press(page, text(language, "confirm_button")).status == 200
    expect(page.locator("main")).to_contain_text(CONFIRMED[language])


@pytest.mark.parametrize("language", LANGUAGES)
def test_sign_up_confirm_manage_and_erase(page: Page, app: App, language: str) -> None:
    address = f"journey-{language}@example.no"
    t = TITLES[language]
    # 1: the sign-up page, its language switch, and a wrong address first.
    response = open_page(page, f"{app.base_url}/subscribe/{TOPIC}{query(language)}")
    assert response.status == 200
    expect(page.locator("h1")).to_have_text(
        text(language, "subscribe_heading", topic=t["norge-i-verden"])
    )
    other = "en" if language == "nb" else "nb"
    switch = page.locator(f"header a[hreflang={other}]")
    assert switch.get_attribute("lang") == other
    assert switch.get_attribute("href") == f"/subscribe/{TOPIC}?lang={other}"
    assert_accessible(page, language)

    page.get_by_label(text(language, "email_label")).fill("not-an-address")
    assert press(page, text(language, "subscribe_button")).status == 400
    assert page.title().startswith(text(language, "error_prefix") + ": ")
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    email = page.get_by_label(text(language, "email_label"))
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_value("not-an-address")
    described = (email.get_attribute("aria-describedby") or "").split()
    assert "email-error" in described
    expect(page.locator("#email-error")).to_contain_text(text(language, "error_email_invalid"))
    assert_accessible(page, language)
    summary.get_by_role("link", name=text(language, "error_email_invalid")).click()
    expect(email).to_be_focused()

    page.get_by_label(text(language, "email_label")).fill(address)
    page.get_by_label(t["vaksiner"]).check()
    page.get_by_label(text(language, "frequency_daily"), exact=True).check()
    assert press(page, text(language, "subscribe_button")).status == 200
    expect(page.locator("h1")).to_have_text(text(language, "check_email_title"))
    assert_accessible(page, language)

    # 2: confirm from the mail; the page lists both topics.
    assert open_page(page, app.link_in_mail(address, "/confirm/")).status == 200
    expect(page.locator("h1")).to_have_text(text(language, "confirm_title"))
    assert_accessible(page, language)
    assert press(page, text(language, "confirm_button")).status == 200
    expect(page.locator("main")).to_contain_text(CONFIRMED[language])
    expect(page.locator("ul.topics li")).to_have_text([t["norge-i-verden"], t["vaksiner"]])
    # A GET of /confirm/{token} would not show this page again, so it offers no language switch.
    assert page.locator("header a[hreflang]").count() == 0
    assert_accessible(page, language)

    # 3: manage from the confirmed page: swap a topic, go weekly, save.
    with page.expect_navigation():
        page.get_by_role("link", name=text(language, "manage_title")).click()
    manage_url = page.url
    expect(page.locator("h1")).to_have_text(text(language, "manage_title"))
    expect(page.get_by_label(t["norge-i-verden"])).to_be_checked()
    expect(page.get_by_label(t["vaksiner"])).to_be_checked()
    expect(page.get_by_label(t["smittevern"])).not_to_be_checked()
    expect(page.get_by_label(text(language, "frequency_daily"), exact=True)).to_be_checked()
    assert_accessible(page, language)
    page.get_by_label(t["vaksiner"]).uncheck()
    page.get_by_label(t["smittevern"]).check()
    page.get_by_label(text(language, "frequency_weekly"), exact=True).check()
    assert press(page, text(language, "manage_save")).status == 200
    expect(page.get_by_role("status")).to_have_text(SAVED[language])
    expect(page.get_by_label(t["vaksiner"])).not_to_be_checked()
    expect(page.get_by_label(t["smittevern"])).to_be_checked()
    expect(page.get_by_label(text(language, "frequency_weekly"), exact=True)).to_be_checked()
    assert_accessible(page, language)

    # 5: erase from the unsubscribe page; the page says what went and what is kept.
    assert open_page(page, unsubscribe_url(app, manage_url)).status == 200
    expect(page.locator("h1")).to_have_text(text(language, "unsubscribe_title"))
    assert_accessible(page, language)
    assert press(page, text(language, "erase_button")).status == 200
    expect(page.locator("h1")).to_have_text(text(language, "erased_title"))
    expect(page.locator("main")).to_contain_text(text(language, "erased_body"))
    expect(page.locator("main")).to_contain_text(text(language, "erased_kept"))
    assert_accessible(page, language)

    # The erased person's links no longer work.
    assert open_page(page, manage_url + query(language)).status == 404
    expect(page.locator("h1")).to_have_text(text(language, "link_invalid_title"))
    assert_accessible(page, language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_manage_link_then_end_all_alerts(page: Page, app: App, language: str) -> None:
    address = f"manage-{language}@example.no"
    sign_up(page, app, language, address, related="smittevern")
    confirm(page, app, language, address)

    # 3 via a fresh link: /manage-link, a wrong address first.
    assert open_page(page, f"{app.base_url}/manage-link{query(language)}").status == 200
    expect(page.locator("h1")).to_have_text(text(language, "manage_link_title"))
    assert_accessible(page, language)
    email = page.get_by_label(text(language, "email_label"))
    email.fill("nobody@")
    assert press(page, text(language, "manage_link_button")).status == 400
    expect(page.locator(".error-summary")).to_be_focused()
    expect(email).to_have_attribute("aria-invalid", "true")
    assert_accessible(page, language)
    email.fill(address)
    assert press(page, text(language, "manage_link_button")).status == 200
    expect(page.get_by_role("status")).to_have_text(text(language, "manage_link_sent"))
    assert_accessible(page, language)

    manage_url = app.link_in_mail(address, "/manage/")
    assert open_page(page, manage_url).status == 200
    expect(page.get_by_label(TITLES[language]["smittevern"])).to_be_checked()
    page.get_by_label(text(language, "frequency_immediate"), exact=True).check()
    assert press(page, text(language, "manage_save")).status == 200
    expect(page.get_by_role("status")).to_have_text(SAVED[language])
    expect(page.get_by_label(text(language, "frequency_immediate"), exact=True)).to_be_checked()

    # 4: the unsubscribe page's "end all alerts".
    assert open_page(page, unsubscribe_url(app, manage_url)).status == 200
    assert press(page, text(language, "unsubscribe_all_button")).status == 200
    expect(page.locator("h1")).to_have_text(text(language, "unsubscribed_title"))
    expect(page.get_by_role("status")).to_have_text(text(language, "unsubscribed_body"))
    assert_accessible(page, language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_sign_up_and_confirm_without_javascript(
    page_without_js: Page, app: App, language: str
) -> None:
    page = page_without_js
    address = f"nojs-{language}@example.no"
    open_page(page, f"{app.base_url}/subscribe/{TOPIC}{query(language)}")
    assert page.get_attribute("html", "lang") == language
    page.get_by_label(text(language, "email_label")).fill("")
    assert press(page, text(language, "subscribe_button")).status == 400
    # Focus moves to the error summary by the autofocus attribute, not by script.
    expect(page.locator(".error-summary")).to_be_focused()
    sign_up(page, app, language, address)
    confirm(page, app, language, address)
    expect(page.locator("ul.topics li")).to_have_text(
        [TITLES[language]["norge-i-verden"], TITLES[language]["vaksiner"]]
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_other_pages(page: Page, app: App, language: str) -> None:
    base, q = app.base_url, query(language)
    assert open_page(page, f"{base}/embed/subscribe/{TOPIC}{q}").status == 200
    expect(page.locator("h1")).to_have_text(
        text(language, "subscribe_heading", topic=TITLES[language][TOPIC])
    )
    assert page.locator("header").count() == 0, "the embedded form shows no site header"
    assert_accessible(page, language)

    assert open_page(page, f"{base}/subscribe/no-such-topic{q}").status == 404
    expect(page.locator("h1")).to_have_text(text(language, "not_found_title"))
    assert_accessible(page, language)

    assert open_page(page, f"{base}/confirm/not-a-token{q}").status == 404
    expect(page.locator("h1")).to_have_text(text(language, "link_invalid_title"))
    assert_accessible(page, language)

    assert open_page(page, f"{base}/privacy{q}").status == 200
    expect(page.locator("h1")).to_have_text(text(language, "privacy_heading"))
    assert_accessible(page, language)

    # Two sign-ups per address are allowed here (VARSEL_SIGNUP_LIMIT_PER_ADDRESS=2).
    address = f"often-{language}@example.no"
    statuses = []
    for _ in range(3):
        open_page(page, f"{base}/subscribe/{TOPIC}{q}")
        page.get_by_label(text(language, "email_label")).fill(address)
        statuses.append(press(page, text(language, "subscribe_button")).status)
    assert statuses == [200, 200, 429]
    expect(page.locator("h1")).to_have_text(text(language, "rate_limited_title"))
    assert_accessible(page, language)
