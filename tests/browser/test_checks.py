"""The checks themselves must catch what they are for, or a green browser tier means nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from tests.browser.checks import assert_accessible
from tests.support.site import FixtureSite, Resource

pytestmark = pytest.mark.browser

GOOD = """<!doctype html><html lang="en"><head><title>Good</title></head>
<body><main><h1>Good</h1><label for="e">Email</label><input id="e" type="email"></main></body>
</html>"""
_ADD = "html => document.querySelector('main').insertAdjacentHTML('beforeend', html)"


@pytest.fixture
def good_page(page: Page) -> Iterator[Page]:
    """Open a small accessible page served on loopback (no varsel needed)."""
    site = FixtureSite()
    site.set("/good", Resource(GOOD.encode()))
    site.start()
    try:
        page.goto(f"{site.base_url}/good")
        yield page
    finally:
        site.stop()


def test_checks_pass_a_good_page_and_fail_a_spoilt_one(good_page: Page) -> None:
    page = good_page
    assert_accessible(page, "en")
    with pytest.raises(AssertionError, match="wrong lang attribute"):
        assert_accessible(page, "nb")

    page.evaluate(_ADD, '<button type="button"></button>')
    with pytest.raises(AssertionError, match="button-name") as axe_failure:
        assert_accessible(page, "en")
    assert "WCAG 2.1 AA violations" in str(axe_failure.value)

    page.evaluate(_ADD, '<input type="text" name="nameless">')
    with pytest.raises(AssertionError, match="controls without a label"):
        assert_accessible(page, "en")
