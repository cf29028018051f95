"""The manage page open in two windows, in a real Chromium: the one saved later does not undo,
unseen, what the first saved; it ends what was unticked on it and shows the page again."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from services.subscriptions.entrypoints.wording import CHANGED_MEANWHILE
from tests.browser import journeys_support as journey
from tests.browser.checks import assert_accessible
from tests.browser.conftest import App
from tests.browser.journeys_support import LANGUAGES, TITLES, TOPIC, open_page, press, sign_up
from tests.support.words import page_text

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_window_left_open_does_not_start_again_what_the_other_ended(
    page: Page, app: App, language: str
) -> None:
    address = f"two-windows-{language}@example.no"
    t = TITLES[language]
    sign_up(page, app, language, address, related="vaksiner")
    journey.confirm(page, app, language, address)
    with page.expect_navigation():
        page.get_by_role("link", name=page_text(language, "Your alerts")).click()
    manage_url = page.url
    other = page.context.new_page()
    assert open_page(other, manage_url).status == 200

    # The first window ends the vaccines alerts.
    page.get_by_label(t["vaksiner"]).uncheck()
    assert press(page, page_text(language, "Save changes")).status == 200
    assert app.open_topics(address) == {TOPIC}
    steps = len(app.ledger(address))

    # The other window, opened before, still shows them ticked; a topic is added there.
    expect(other.get_by_label(t["vaksiner"])).to_be_checked()
    other.get_by_label(t["smittevern"]).check()
    assert press(other, page_text(language, "Save changes")).status == 409
    expect(other.locator(".error-summary")).to_contain_text(page_text(language, CHANGED_MEANWHILE))
    assert_accessible(other, language)
    assert app.open_topics(address) == {TOPIC}
    assert len(app.ledger(address)) == steps
    expect(other.get_by_label(t["vaksiner"])).not_to_be_checked()
    expect(other.get_by_label(t["smittevern"])).to_be_checked()

    # Saved again as it now shows: the added topic starts, the ended one stays ended.
    assert press(other, page_text(language, "Save changes")).status == 200
    assert app.open_topics(address) == {TOPIC, "smittevern"}
    assert app.ledger(address)[-1][:2] == ("preferences_changed", sorted([TOPIC, "smittevern"]))
    other.close()
