"""Journeys 1–5 in a real headless Chromium, in bokmål, nynorsk and English, checked by axe-core.

Sign up (with a related topic and a wrong address first), confirm from the mail, change topics
and frequency, end all alerts, erase: every page state must pass WCAG 2.1 A/AA, carry the right
``lang``, label every control and load nothing from outside 127.0.0.1.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from services.subscriptions.entrypoints.wording import (
    ERASED_BODY,
    ERASED_KEPT,
    MANAGE_LINK_SENT,
    TOPIC_NOT_OFFERED,
)
from shared.vocabulary import Language
from tests.browser.checks import assert_accessible
from tests.browser.conftest import App
from tests.browser.journeys_support import (
    LANGUAGES,
    TITLES,
    TOPIC,
    confirm,
    open_page,
    press,
    query,
    sign_up,
    unsubscribe_url,
)
from tests.support.words import page_text

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("language", LANGUAGES)
def test_sign_up_confirm_manage_and_erase(page: Page, app: App, language: str) -> None:
    address = f"journey-{language}@example.no"
    t = TITLES[language]
    # 1: the sign-up page, its language switch, and a wrong address first.
    response = open_page(page, f"{app.base_url}/subscribe/{TOPIC}{query(language)}")
    assert response.status == 200
    expect(page.locator("h1")).to_have_text(
        page_text(language, "Get alerts of updates about «%(topic)s»", topic=t["norge-i-verden"])
    )
    # The switch offers every other language, each named in itself.
    others = [x.value for x in Language if x != language]
    switch = page.locator("header a[hreflang]")
    expect(switch).to_have_count(len(others))
    for other in others:
        link = page.locator(f"header a[hreflang={other}]")
        assert link.get_attribute("lang") == other
        assert link.get_attribute("href") == f"/subscribe/{TOPIC}?lang={other}"
    names = {"nb": "Norsk bokmål", "nn": "Norsk nynorsk", "en": "English"}
    for other in others:
        expect(page.locator(f"header a[hreflang={other}]")).to_have_text(names[other])
    assert_accessible(page, language)

    page.get_by_label(page_text(language, "Email address")).fill("not-an-address")
    assert press(page, page_text(language, "Subscribe")).status == 400
    assert page.title().startswith(page_text(language, "Error") + ": ")
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    email = page.get_by_label(page_text(language, "Email address"))
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_value("not-an-address")
    described = (email.get_attribute("aria-describedby") or "").split()
    assert "email-error" in described
    expect(page.locator("#email-error")).to_contain_text(
        page_text(language, "Enter a valid email address, for example name@example.com.")
    )
    assert_accessible(page, language)
    summary.get_by_role(
        "link",
        name=page_text(language, "Enter a valid email address, for example name@example.com."),
    ).click()
    expect(email).to_be_focused()

    page.get_by_label(page_text(language, "Email address")).fill(address)
    page.get_by_label(t["vaksiner"]).check()
    page.get_by_label(page_text(language, "Daily"), exact=True).check()
    assert press(page, page_text(language, "Subscribe")).status == 200
    expect(page.locator("h1")).to_have_text(page_text(language, "Check your email"))
    assert_accessible(page, language)

    # 2: confirm from the mail; the page lists both topics.
    assert open_page(page, app.link_in_mail(address, "/confirm/")).status == 200
    expect(page.locator("h1")).to_have_text(page_text(language, "Confirm your sign-up"))
    assert_accessible(page, language)
    assert press(page, page_text(language, "Confirm sign-up")).status == 200
    expect(page.locator("main")).to_contain_text(
        page_text(language, "You have subscribed to alerts about:")
    )
    expect(page.locator("ul.topics li")).to_have_text([t["norge-i-verden"], t["vaksiner"]])
    # A GET of /confirm/{token} would not show this page again, so it offers no language switch.
    assert page.locator("header a[hreflang]").count() == 0
    assert_accessible(page, language)

    # 3: manage from the confirmed page: swap a topic, go weekly, save.
    with page.expect_navigation():
        page.get_by_role("link", name=page_text(language, "Your alerts")).click()
    manage_url = page.url
    expect(page.locator("h1")).to_have_text(page_text(language, "Your alerts"))
    expect(page.get_by_label(t["norge-i-verden"])).to_be_checked()
    expect(page.get_by_label(t["vaksiner"])).to_be_checked()
    expect(page.get_by_label(t["smittevern"])).not_to_be_checked()
    expect(page.get_by_label(page_text(language, "Daily"), exact=True)).to_be_checked()
    assert_accessible(page, language)
    page.get_by_label(t["vaksiner"]).uncheck()
    page.get_by_label(t["smittevern"]).check()
    page.get_by_label(page_text(language, "Weekly"), exact=True).check()
    assert press(page, page_text(language, "Save changes")).status == 200
    expect(page.get_by_role("status")).to_have_text(page_text(language, "Your changes are saved."))
    expect(page.get_by_label(t["vaksiner"])).not_to_be_checked()
    expect(page.get_by_label(t["smittevern"])).to_be_checked()
    expect(page.get_by_label(page_text(language, "Weekly"), exact=True)).to_be_checked()
    assert_accessible(page, language)

    # 4b: a topic not offered (a page opened before it ended) saves nothing and says so.
    page.evaluate(
        """() => {
            const box = document.querySelector("input[name=topics]").cloneNode();
            Object.assign(box, {id: "gone", value: "gammelt-tema", checked: true, hidden: true});
            document.querySelector("input[name=topics]").form.append(box);
        }"""
    )
    assert press(page, page_text(language, "Save changes")).status == 400
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.locator("#topics-error")).to_contain_text(page_text(language, TOPIC_NOT_OFFERED))
    expect(page.get_by_label(t["smittevern"])).to_be_checked()
    assert_accessible(page, language)

    # The confirmation link opened again says so, and leads to no one's alerts.
    assert open_page(page, app.link_in_mail(address, "/confirm/")).status == 200
    expect(page.locator("h1")).to_have_text(
        page_text(language, "Your sign-up is already confirmed")
    )
    assert page.locator("main a[href*='/manage/']").count() == 0
    assert_accessible(page, language)

    # 5: erase from the unsubscribe page; the page says what went and what is kept.
    assert open_page(page, unsubscribe_url(app, manage_url)).status == 200
    expect(page.locator("h1")).to_have_text(page_text(language, "End alerts"))
    assert_accessible(page, language)
    assert (
        press(page, page_text(language, "End all alerts and delete my email address")).status == 200
    )
    expect(page.locator("h1")).to_have_text(page_text(language, "Your email address is deleted"))
    expect(page.locator("main")).to_contain_text(page_text(language, ERASED_BODY))
    expect(page.locator("main")).to_contain_text(page_text(language, ERASED_KEPT))
    assert_accessible(page, language)

    # The erased person's links manage nothing more: the manage link of an older mail says
    # there is nothing left, and shows no form.
    assert open_page(page, manage_url + query(language)).status == 200
    expect(page.locator("h1")).to_have_text(page_text(language, "There is nothing left to end"))
    assert page.locator("main form").count() == 0
    assert_accessible(page, language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_manage_link_then_end_all_alerts(page: Page, app: App, language: str) -> None:
    address = f"manage-{language}@example.no"
    sign_up(page, app, language, address, related="smittevern")
    confirm(page, app, language, address)

    # 3 via a fresh link: /manage-link, a wrong address first.
    assert open_page(page, f"{app.base_url}/manage-link{query(language)}").status == 200
    expect(page.locator("h1")).to_have_text(page_text(language, "Get a new link to your alerts"))
    assert_accessible(page, language)
    email = page.get_by_label(page_text(language, "Email address"))
    email.fill("nobody@")
    assert press(page, page_text(language, "Send me a link")).status == 400
    expect(page.locator(".error-summary")).to_be_focused()
    expect(email).to_have_attribute("aria-invalid", "true")
    assert_accessible(page, language)
    email.fill(address)
    assert press(page, page_text(language, "Send me a link")).status == 200
    expect(page.get_by_role("status")).to_have_text(page_text(language, MANAGE_LINK_SENT))
    assert_accessible(page, language)

    manage_url = app.link_in_mail(address, "/manage/")
    assert open_page(page, manage_url).status == 200
    expect(page.get_by_label(TITLES[language]["smittevern"])).to_be_checked()
    page.get_by_label(page_text(language, "Immediately"), exact=True).check()
    assert press(page, page_text(language, "Save changes")).status == 200
    expect(page.get_by_role("status")).to_have_text(page_text(language, "Your changes are saved."))
    expect(page.get_by_label(page_text(language, "Immediately"), exact=True)).to_be_checked()

    # 4: the unsubscribe page's "end all alerts".
    assert open_page(page, unsubscribe_url(app, manage_url)).status == 200
    assert press(page, page_text(language, "End all alerts")).status == 200
    expect(page.locator("h1")).to_have_text(page_text(language, "Your alerts have ended"))
    expect(page.get_by_role("status")).to_have_text(
        page_text(language, "You will get no more alerts from us.")
    )
    assert_accessible(page, language)

    # The confirmation link opened again now says no alerts go out, and how to get them again.
    assert open_page(page, app.link_in_mail(address, "/confirm/")).status == 200
    expect(page.locator("h1")).to_have_text(page_text(language, "You get no alerts from us now"))
    again = page.get_by_role("link", name=page_text(language, "Choose topics and sign up again"))
    expect(again).to_have_attribute("href", f"/?lang={language}")
    assert_accessible(page, language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_sign_up_and_confirm_without_javascript(
    page_without_js: Page, app: App, language: str
) -> None:
    page = page_without_js
    address = f"nojs-{language}@example.no"
    open_page(page, f"{app.base_url}/subscribe/{TOPIC}{query(language)}")
    assert page.get_attribute("html", "lang") == language
    page.get_by_label(page_text(language, "Email address")).fill("")
    assert press(page, page_text(language, "Subscribe")).status == 400
    # Focus moves to the error summary by the autofocus attribute, not by script.
    expect(page.locator(".error-summary")).to_be_focused()
    sign_up(page, app, language, address)
    confirm(page, app, language, address)
    expect(page.locator("ul.topics li")).to_have_text(
        [TITLES[language]["norge-i-verden"], TITLES[language]["vaksiner"]]
    )
    # Where consent was given reaches the ledger in a real browser, whose pages send no Referer.
    assert app.ledger_pages(address) == [f"{app.base_url}/subscribe/{TOPIC}"] * 2


@pytest.mark.parametrize("language", LANGUAGES)
def test_other_pages(page: Page, app: App, language: str) -> None:
    base, q = app.base_url, query(language)
    assert open_page(page, f"{base}/embed/subscribe/{TOPIC}{q}").status == 200
    expect(page.locator("h1")).to_have_text(
        page_text(
            language, "Get alerts of updates about «%(topic)s»", topic=TITLES[language][TOPIC]
        )
    )
    assert page.locator("header").count() == 0, "the embedded form shows no site header"
    assert_accessible(page, language)

    assert open_page(page, f"{base}/subscribe/no-such-topic{q}").status == 404
    expect(page.locator("h1")).to_have_text(page_text(language, "Page not found"))
    assert_accessible(page, language)

    assert open_page(page, f"{base}/confirm/not-a-token{q}").status == 404
    expect(page.locator("h1")).to_have_text(page_text(language, "This link does not work"))
    assert_accessible(page, language)

    assert open_page(page, f"{base}/privacy{q}").status == 200
    expect(page.locator("h1")).to_have_text(page_text(language, "Privacy for email alerts"))
    assert_accessible(page, language)

    # Every page's footer: the topic index, the privacy notice and the accessibility statement.
    footer = page.locator("footer")
    expect(footer.get_by_role("link", name=page_text(language, "All topics"))).to_have_attribute(
        "href", f"/?lang={language}"
    )
    expect(footer.get_by_role("link", name=page_text(language, "Privacy"))).to_be_visible()
    statement = footer.get_by_role("link", name=page_text(language, "Accessibility statement"))
    with page.expect_navigation():
        statement.click()
    expect(page.locator("h1")).to_have_text(page_text(language, "Accessibility statement"))
    expect(page.locator(".statement h2")).not_to_have_count(0)
    expect(page.locator(".statement a[href='https://www.uutilsynet.no/']")).to_have_count(1)
    assert_accessible(page, language)

    # Two sign-ups per address are allowed here (VARSEL_SIGNUP_LIMIT_PER_ADDRESS=2).
    address = f"often-{language}@example.no"
    statuses = []
    for _ in range(3):
        open_page(page, f"{base}/subscribe/{TOPIC}{q}")
        page.get_by_label(page_text(language, "Email address")).fill(address)
        statuses.append(press(page, page_text(language, "Subscribe")).status)
    assert statuses == [200, 200, 429]
    expect(page.locator("h1")).to_have_text(page_text(language, "Too many attempts"))
    assert_accessible(page, language)
