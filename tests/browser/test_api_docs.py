"""The API documentation page works in Chromium with nothing from another host.

Swagger UI comes from this host, started by a script file under the same Content-Security-Policy
as every page: the operations must show, no request may leave 127.0.0.1 (the ``page`` fixture
fails the test otherwise), and the policy must not have had to block a script or a stylesheet.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import App

pytestmark = pytest.mark.browser

# Every violation the page reports, gathered from the moment the document starts.
_RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", e =>
  window.__violations.push(e.effectiveDirective + " " + e.blockedURI));
"""


def test_api_docs_show_the_operations_from_this_host(page: Page, app: App) -> None:
    page.add_init_script(_RECORD_VIOLATIONS)
    answer = page.goto(f"{app.base_url}/docs")
    assert answer is not None and answer.status == 200
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/subscriptions")).to_be_visible()
    expect(page.get_by_role("heading", name="varsel")).to_be_visible()
    violations = page.evaluate("window.__violations")
    blocked = [v for v in violations if v.split()[0].startswith(("script-src", "style-src-elem"))]
    assert blocked == [], violations
