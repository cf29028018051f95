"""The language switch keeps what a person typed and ticked, in a real headless Chromium.

The switch stays a set of links in the header. With script, ``/static/language-switch.js``
carries the values of the page's forms to the page in the other language (sessionStorage,
deleted as soon as they are back); the form then posts that page's own hidden fields, so
consent is recorded for the wording the person read last. Enter still sends the form. Without
script the switch still switches and the form starts empty. Each state passes axe-core.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from services.subscriptions.entrypoints.wording import MANAGE_LINK_SENT
from tests.browser.checks import assert_accessible
from tests.browser.conftest import App
from tests.browser.journeys_support import TITLES, TOPIC, confirm, open_page, press, sign_up
from tests.support.words import page_text

pytestmark = pytest.mark.browser

# From each language to another, so every language is left once and reached once.
SWITCHES = [("nb", "en"), ("en", "nn"), ("nn", "nb")]
KEPT = "varsel.language-switch"
# Press a switch link but stay on the page, and return what the script kept for the next one.
_KEEP_AND_STAY = """([to, key]) => {
  const link = document.querySelector(`header a[hreflang=${to}]`);
  const stay = event => event.preventDefault();
  link.addEventListener("click", stay);
  link.click();
  link.removeEventListener("click", stay);
  return sessionStorage.getItem(key);
}"""


def switch(page: Page, to: str) -> None:
    """Follow the header's link to another language."""
    with page.expect_navigation():
        page.locator(f"header a[hreflang={to}]").click()
    expect(page.locator("html")).to_have_attribute("lang", to)


def kept(page: Page) -> str | None:
    """Return what the page keeps for the next one in this tab's sessionStorage."""
    value: str | None = page.evaluate("key => sessionStorage.getItem(key)", KEPT)
    return value


def keep_and_stay(page: Page, to: str) -> str:
    """Press the switch to ``to`` without leaving the page; return what was kept."""
    raw: str | None = page.evaluate(_KEEP_AND_STAY, [to, KEPT])
    assert raw is not None, "the switch kept nothing"
    return raw


@pytest.mark.parametrize(("before", "after"), SWITCHES)
def test_the_sign_up_form_keeps_its_values_across_the_switch(
    page: Page, app: App, before: str, after: str
) -> None:
    address = f"switch-{before}-{after}@example.no"
    open_page(page, f"{app.base_url}/subscribe/{TOPIC}?lang={before}")
    page.get_by_label(page_text(before, "Email address")).fill(address)
    page.get_by_label(TITLES[before]["vaksiner"]).check()
    page.get_by_label(page_text(before, "Daily"), exact=True).check()
    switch(page, after)

    heading = "Get alerts of updates about «%(topic)s»"
    expect(page.locator("h1")).to_have_text(page_text(after, heading, topic=TITLES[after][TOPIC]))
    email = page.get_by_label(page_text(after, "Email address"))
    expect(email).to_have_value(address)
    expect(page.get_by_label(TITLES[after]["vaksiner"])).to_be_checked()
    expect(page.get_by_label(TITLES[after]["smittevern"])).not_to_be_checked()
    expect(page.get_by_label(page_text(after, "Daily"), exact=True)).to_be_checked()
    expect(page.get_by_label(page_text(after, "Immediately"), exact=True)).not_to_be_checked()
    # The form posts the page now shown: its language, its own CSRF token.
    expect(page.locator("input[name=lang]")).to_have_value(after)
    assert kept(page) is None, "the values stay in the browser no longer than the switch"
    assert_accessible(page, after)

    # Enter in the address field sends the form; it does not switch the language.
    with page.expect_navigation():
        email.press("Enter")
    expect(page.locator("h1")).to_have_text(page_text(after, "Check your email"))
    assert app.ledger(address) == [
        ("requested", [TOPIC, "vaksiner"], "daily", f"{app.base_url}/subscribe/{TOPIC}")
    ]
    assert app.ledger_languages(address) == [after], "consent to the wording read last"


def test_only_what_the_person_entered_is_kept_and_only_for_the_next_page(
    page: Page, app: App
) -> None:
    address = "kept-briefly@example.no"
    signup = f"{app.base_url}/subscribe/{TOPIC}"
    open_page(page, signup)
    page.get_by_label(page_text("nb", "Email address")).fill(address)
    page.get_by_label(TITLES["nb"]["vaksiner"]).check()
    page.get_by_label(page_text("nb", "Daily"), exact=True).check()
    raw = keep_and_stay(page, "en")
    # No hidden field (CSRF token, language, page) and no address of the page itself.
    assert json.loads(raw)["forms"] == {
        "signup": {
            "typed": {"email": address},
            "ticked": {"frequency": ["daily"], "related": ["vaksiner"]},
        }
    }
    csrf = page.locator("input[name=csrf_token]").input_value()
    assert csrf and csrf not in raw and "/subscribe" not in raw

    # Another page does not get them, and deletes them.
    open_page(page, f"{app.base_url}/subscribe/vaksiner?lang=en")
    expect(page.get_by_label(page_text("en", "Immediately"), exact=True)).to_be_checked()
    expect(page.get_by_label(page_text("en", "Email address"))).to_have_value("")
    assert kept(page) is None

    # Values older than a minute are stale: deleted, not put back.
    open_page(page, signup)
    page.get_by_label(page_text("nb", "Email address")).fill(address)
    stale = json.loads(keep_and_stay(page, "en"))
    stale["at"] -= 61_000
    page.evaluate("([key, value]) => sessionStorage.setItem(key, value)", [KEPT, json.dumps(stale)])
    open_page(page, f"{signup}?lang=en")
    expect(page.get_by_label(page_text("en", "Immediately"), exact=True)).to_be_checked()
    expect(page.get_by_label(page_text("en", "Email address"))).to_have_value("")
    assert kept(page) is None


def test_the_topic_index_keeps_ticks_address_and_filter(page: Page, app: App) -> None:
    address = "switch-index@example.no"
    open_page(page, f"{app.base_url}/?lang=nb")
    page.get_by_role("checkbox", name=TITLES["nb"]["vaksiner"], exact=True).check()
    page.get_by_role("checkbox", name=TITLES["nb"]["smittevern"], exact=True).check()
    page.get_by_label(page_text("nb", "Email address")).fill(address)
    page.get_by_label(page_text("nb", "Weekly"), exact=True).check()
    page.get_by_label(page_text("nb", "Filter topics")).fill("smittevern")
    switch(page, "en")

    expect(page.get_by_label(page_text("en", "Filter topics"))).to_have_value("smittevern")
    # The filter runs again in English: the third topic is hidden, not lost.
    message = "%(shown)s of %(total)s topics match «%(query)s»."
    expect(page.locator("#filter-status")).to_have_text(
        page_text("en", message, shown=2, total=3, query="smittevern")
    )
    expect(page.get_by_label(TITLES["en"][TOPIC])).to_be_hidden()
    expect(page.get_by_label(TITLES["en"]["vaksiner"])).to_be_checked()
    expect(page.get_by_label(TITLES["en"]["smittevern"])).to_be_checked()
    expect(page.get_by_label(page_text("en", "Weekly"), exact=True)).to_be_checked()
    email = page.get_by_label(page_text("en", "Email address"))
    expect(email).to_have_value(address)
    assert kept(page) is None
    assert_accessible(page, "en")

    with page.expect_navigation():
        email.press("Enter")
    expect(page.locator("h1")).to_have_text(page_text("en", "Check your email"))
    [(action, topics, frequency, _)] = app.ledger(address)
    assert (action, sorted(topics)) == ("requested", ["smittevern", "vaksiner"])
    assert frequency == "weekly"
    assert app.ledger_languages(address) == ["en"]


def test_the_confirm_page_answers_in_the_language_switched_to(page: Page, app: App) -> None:
    address = "switch-confirm@example.no"
    sign_up(page, app, "nb", address)
    assert open_page(page, app.link_in_mail(address, "/confirm/")).status == 200
    switch(page, "en")
    expect(page.locator("h1")).to_have_text(page_text("en", "Confirm your sign-up"))
    assert press(page, page_text("en", "Confirm sign-up")).status == 200
    # The answer to the press is in the language the page was read in, not the one signed up in.
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text(page_text("en", "Your sign-up is confirmed"))
    expect(page.locator("ul.topics li")).to_have_text(
        [TITLES["en"][TOPIC], TITLES["en"]["vaksiner"]]
    )
    assert_accessible(page, "en")


def test_the_manage_page_keeps_its_ticks_and_saves_under_the_notice_shown(
    page: Page, app: App
) -> None:
    address = "switch-manage@example.no"
    sign_up(page, app, "nb", address)
    confirm(page, app, "nb", address)
    with page.expect_navigation():
        page.get_by_role("link", name=page_text("nb", "Your alerts")).click()
    token = page.url.rsplit("/", 1)[1].split("?")[0]
    page.get_by_label(TITLES["nb"]["vaksiner"]).uncheck()
    page.get_by_label(TITLES["nb"]["smittevern"]).check()
    page.get_by_label(page_text("nb", "Weekly"), exact=True).check()
    # The link's token is in the page's address; the browser does not keep it.
    assert token not in keep_and_stay(page, "en")
    switch(page, "en")

    expect(page.get_by_label(TITLES["en"][TOPIC])).to_be_checked()
    expect(page.get_by_label(TITLES["en"]["vaksiner"])).not_to_be_checked()
    expect(page.get_by_label(TITLES["en"]["smittevern"])).to_be_checked()
    expect(page.get_by_label(page_text("en", "Weekly"), exact=True)).to_be_checked()
    expect(page.locator("form[data-keep=manage] input[name=privacy_language]")).to_have_value("en")
    assert kept(page) is None
    assert_accessible(page, "en")

    assert press(page, page_text("en", "Save changes")).status == 200
    expect(page.get_by_role("status")).to_have_text(page_text("en", "Your changes are saved."))
    expect(page.get_by_label(TITLES["en"]["smittevern"])).to_be_checked()
    action, topics, frequency, _ = app.ledger(address)[-1]
    assert (action, sorted(topics), frequency) == (
        "preferences_changed",
        sorted([TOPIC, "smittevern"]),
        "weekly",
    )
    assert app.ledger_languages(address)[-1] == "en", "saved under the English notice shown"


def test_the_manage_link_form_keeps_the_address(page: Page, app: App) -> None:
    open_page(page, f"{app.base_url}/manage-link?lang=nn")
    page.get_by_label(page_text("nn", "Email address")).fill("switch-link@example.no")
    switch(page, "nb")
    email = page.get_by_label(page_text("nb", "Email address"))
    expect(email).to_have_value("switch-link@example.no")
    assert kept(page) is None
    with page.expect_navigation():
        email.press("Enter")
    expect(page.get_by_role("status")).to_have_text(page_text("nb", MANAGE_LINK_SENT))
    assert_accessible(page, "nb")


def test_without_javascript_the_switch_switches_and_the_form_still_sends(
    page_without_js: Page, app: App
) -> None:
    page = page_without_js
    address = "switch-no-js@example.no"
    open_page(page, f"{app.base_url}/subscribe/{TOPIC}")
    page.get_by_label(page_text("nb", "Email address")).fill(address)
    switch(page, "en")
    assert page.url == f"{app.base_url}/subscribe/{TOPIC}?lang=en"
    # Without script nothing carries the values: the form starts afresh, in English.
    email = page.get_by_label(page_text("en", "Email address"))
    expect(email).to_have_value("")
    email.fill(address)
    page.get_by_label(page_text("en", "Daily"), exact=True).check()
    with page.expect_navigation():
        email.press("Enter")
    expect(page.locator("h1")).to_have_text(page_text("en", "Check your email"))
    assert app.ledger_languages(address) == ["en"]


def test_a_browser_that_refuses_storage_still_switches(
    cookies_blocked: BrowserContext, app: App
) -> None:
    page = cookies_blocked.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    open_page(page, f"{app.base_url}/manage-link")
    assert page.evaluate("() => { try { sessionStorage; return false } catch { return true } }")
    page.get_by_label(page_text("nb", "Email address")).fill("refused@example.no")
    switch(page, "en")
    expect(page.locator("h1")).to_have_text(page_text("en", "Get a new link to your alerts"))
    assert errors == [], "the script failed where storage is refused"
    assert_accessible(page, "en")
