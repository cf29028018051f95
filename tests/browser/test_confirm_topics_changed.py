"""The confirm page's button starts what the page showed: a topic ended or brought back by the
catalogue between the page being shown and the button being pressed, in a real Chromium.

The catalogue changes as an operator changes it, with ``varsel catalogue apply`` beside the
running process, which follows it without a restart; the test waits until it has.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.checks import assert_accessible
from tests.browser.conftest import App
from tests.browser.journeys_support import LANGUAGES, TITLES, TOPIC, open_page, press, sign_up
from tests.support.varsel_process import varsel_command, wait_until
from tests.support.words import page_text

pytestmark = pytest.mark.browser

ENDED_SINCE_SHOWN = (
    "These topics have ended since the page was opened, so you are not signed up for them:"
)


def _catalogue(app: App, tmp_path: Path, *, ended: str | None) -> None:
    """Apply the test catalogue with ``ended`` ended (None: every topic offered), and wait until
    the running process serves it."""
    site = app.varsel.environment["VARSEL_CONFIG"]
    text = Path(site).read_text(encoding="utf-8")
    if ended is not None:
        # Ended, and named by no topic's related list nor any source, as an editor ends one.
        text = text.replace(f'slug = "{ended}"\n', f'slug = "{ended}"\nretired = true\n')
        text = text.replace(f'"{ended}", ', "").replace(f', "{ended}"', "")
        assert text.count(f'"{ended}"') == 1, "only its own slug is left to name it"
    file = tmp_path / f"catalogue-{ended or 'all'}.toml"
    file.write_text(text, encoding="utf-8")
    varsel_command(app.varsel.environment, tmp_path, "catalogue", "apply", str(file))
    offered = {"vaksiner": 200, "smittevern": 200} | ({ended: 410} if ended else {})

    def served() -> bool:
        with httpx.Client(base_url=app.base_url) as http:
            return all(http.get(f"/subscribe/{t}").status_code == s for t, s in offered.items())

    wait_until(served, "the running process to follow the catalogue", within=30)


def test_a_topic_brought_back_after_the_page_was_shown_is_not_started(
    page: Page, app: App, tmp_path: Path
) -> None:
    address = "brought-back@example.no"
    t = TITLES["nb"]
    sign_up(page, app, "nb", address, related="vaksiner")
    _catalogue(app, tmp_path, ended="vaksiner")
    try:
        assert open_page(page, app.link_in_mail(address, "/confirm/")).status == 200
        expect(page.locator("ul.topics li")).to_have_text([t[TOPIC]])
    finally:
        _catalogue(app, tmp_path, ended=None)  # back before the button is pressed

    assert press(page, page_text("nb", "Confirm sign-up")).status == 200
    expect(page.locator("ul.topics li")).to_have_text([t[TOPIC]])
    assert_accessible(page, "nb")
    assert app.open_topics(address) == {TOPIC}
    assert app.ledger(address)[-1][:2] == ("confirmed", [TOPIC])


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_topic_the_page_showed_that_ended_before_the_press_is_not_started_and_said(
    page: Page, app: App, tmp_path: Path, language: str
) -> None:
    address = f"ended-meanwhile-{language}@example.no"
    t = TITLES[language]
    sign_up(page, app, language, address, related="smittevern")
    assert open_page(page, app.link_in_mail(address, "/confirm/")).status == 200
    expect(page.locator("ul.topics li")).to_have_text([t[TOPIC], t["smittevern"]])
    _catalogue(app, tmp_path, ended="smittevern")
    try:
        assert press(page, page_text(language, "Confirm sign-up")).status == 200
        expect(page.locator("ul.topics:not(.ended) li")).to_have_text([t[TOPIC]])
        expect(page.locator("main")).to_contain_text(page_text(language, ENDED_SINCE_SHOWN))
        expect(page.locator("ul.ended li")).to_have_text([t["smittevern"]])
        assert_accessible(page, language)
        assert app.open_topics(address) == {TOPIC}
        assert app.ledger(address)[-1][:2] == ("confirmed", [TOPIC])
    finally:
        _catalogue(app, tmp_path, ended=None)
