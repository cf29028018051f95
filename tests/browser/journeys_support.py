"""What a person does in the browser on varsel's public pages: open a page, press a button, sign
up for a topic and confirm from the mail, in each language, with the titles the pages show."""

from __future__ import annotations

from datetime import UTC, datetime

from playwright.sync_api import Page, Response, expect

from shared.tokens import TokenSigner
from shared.vocabulary import Language
from tests.browser.conftest import SECRET_KEY, App
from tests.support.words import page_text

LANGUAGES = [language.value for language in Language]


TOPIC = "norge-i-verden"


NORWEGIAN_TITLES = {
    "norge-i-verden": "Norge i verden",
    "vaksiner": "Vaksiner",
    "smittevern": "Smittevern",
}


# The test catalogue has bokmål and English titles; nynorsk pages fall back to bokmål's.
TITLES = {
    "nb": NORWEGIAN_TITLES,
    "nn": NORWEGIAN_TITLES,
    "en": {
        "norge-i-verden": "Norway in the world",
        "vaksiner": "Vaccines",
        "smittevern": "Infection control",
    },
}


def query(language: str) -> str:
    """Return the query string that asks for a language (bokmål is the default)."""
    return "" if language == "nb" else f"?lang={language}"


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
    page.get_by_label(page_text(language, "Email address")).fill(address)
    page.get_by_label(TITLES[language][related]).check()
    page.get_by_label(page_text(language, "Daily"), exact=True).check()
    assert press(page, page_text(language, "Subscribe")).status == 200
    expect(page.locator("h1")).to_have_text(page_text(language, "Check your email"))


def confirm(page: Page, app: App, language: str, address: str) -> None:
    """Open the confirmation link from the mail and press the button."""
    assert open_page(page, app.link_in_mail(address, "/confirm/")).status == 200
    expect(page.locator("h1")).to_have_text(page_text(language, "Confirm your sign-up"))
    assert press(page, page_text(language, "Confirm sign-up")).status == 200
    expect(page.locator("main")).to_contain_text(
        page_text(language, "You have subscribed to alerts about:")
    )
