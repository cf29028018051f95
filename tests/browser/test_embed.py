"""The sign-up form inside a publisher's page on another site, with and without third-party cookies.

The publisher's page is ``http://localhost:<port>``, the form ``http://127.0.0.1:<port>``: two
sites, so the browser sends the frame no ``SameSite=Lax`` cookie, and none at all when it blocks
third-party cookies. The form must work either way.

How third-party cookies are switched in Chromium 156 (Debian's build), found by trying: the
``--test-third-party-cookie-phaseout`` flag and CDP's ``Network.setCookieControls`` changed
nothing a frame could observe, and Playwright's ordinary contexts are off-the-record profiles,
which block third-party cookies already. What works is the profile preference
``profile.cookie_controls_mode`` (0: allow all cookies, 1: block third-party ones) in a
persistent profile's ``Default/Preferences``. Each run proves the mode it claims with
``document.hasStorageAccess()`` inside the frame, which is true only when the frame may use its
cookies.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Frame, Page, expect

from tests.browser.checks import assert_accessible
from tests.browser.conftest import App, Requests, checked_context, profile_context
from tests.support.words import page_text

pytestmark = pytest.mark.browser

# None: the context as Playwright makes it, nothing changed (the run a visitor's defaults stand
# for); otherwise the profile's cookie_controls_mode.
COOKIE_MODES = {"default": None, "third-party cookies allowed": 0, "third-party cookies blocked": 1}


@pytest.fixture(params=list(COOKIE_MODES))
def cookie_mode(request: pytest.FixtureRequest) -> str:
    """Name the cookie settings of the run."""
    return str(request.param)


@pytest.fixture
def host_context(
    browser: Browser, cookie_mode: str, requests_seen: Requests, tmp_path: Path
) -> Iterator[BrowserContext]:
    """A Norwegian browser context with axe-core in every frame, under the run's cookie mode."""
    mode = COOKIE_MODES[cookie_mode]
    if mode is None:
        context = browser.new_context(locale="nb-NO")
    else:
        preferences = {"profile": {"cookie_controls_mode": mode}}
        context = profile_context(browser, tmp_path / "profile", preferences)
    yield from checked_context(context, requests_seen)


def _form_frame(page: Page) -> Frame:
    frame = page.frame(url=lambda url: "/embed/subscribe/" in url)
    assert frame is not None, "the host page shows no embedded form"
    return frame


def test_sign_up_inside_a_cross_site_iframe(
    host_context: BrowserContext, app: App, cookie_mode: str
) -> None:
    page = host_context.new_page()
    assert "localhost" in app.host_page and "127.0.0.1" in app.base_url
    response = page.goto(app.host_page)
    assert response is not None and response.status == 200
    form = page.frame_locator("iframe")
    expect(form.locator("h1")).to_have_text(
        page_text("nb", "Get alerts of updates about «%(topic)s»", topic="Norge i verden")
    )
    frame = _form_frame(page)
    may_use_cookies = frame.evaluate("document.hasStorageAccess()")
    if COOKIE_MODES[cookie_mode] is not None:
        assert may_use_cookies is (COOKIE_MODES[cookie_mode] == 0), "the cookie mode did not apply"
    assert_accessible(frame, "nb")

    address = f"iframe-{cookie_mode.split()[-1]}@example.no"
    form.get_by_label(page_text("nb", "Email address")).fill(address)
    form.get_by_label(page_text("nb", "Daily"), exact=True).check()
    form.get_by_role("button", name=page_text("nb", "Subscribe"), exact=True).click()
    expect(form.locator("h1")).to_have_text(page_text("nb", "Check your email"))
    assert page.url == app.host_page, "the answer stays inside the publisher's page"
    assert_accessible(_form_frame(page), "nb")

    # The confirmation mail arrives, and its link confirms in a tab of the person's own.
    confirm = app.link_in_mail(address, "/confirm/")
    person = host_context.new_page()
    assert (opened := person.goto(confirm)) is not None and opened.status == 200
    with person.expect_navigation():
        person.get_by_role("button", name=page_text("nb", "Confirm sign-up"), exact=True).click()
    expect(person.locator("main")).to_contain_text(
        page_text("nb", "You have subscribed to alerts about:")
    )
    # The ledger knows where: the publisher's page, for the request and its confirmation.
    host_origin = app.host_page.rsplit("/", 1)[0]
    assert app.ledger_pages(address) == [host_origin, host_origin]


def test_a_page_the_operator_has_not_allowed_cannot_show_the_form(page: Page, app: App) -> None:
    # The same host page served from another origin (127.0.0.1 instead of localhost) still asks
    # for the allowed origin's form; the form's frame-ancestors names only that origin, so the
    # browser itself refuses to show it.
    elsewhere = app.host_page.replace("//localhost:", "//127.0.0.1:")
    with page.expect_response(lambda r: "/embed/subscribe/" in r.url) as framed:
        response = page.goto(elsewhere)
    assert response is not None and response.status == 200
    assert framed.value.status == 200
    page.wait_for_load_state("load")
    expect(page.frame_locator("iframe").locator("form")).to_have_count(0)
    assert all("/embed/subscribe/" not in frame.url for frame in page.frames[1:]), [
        frame.url for frame in page.frames
    ]
