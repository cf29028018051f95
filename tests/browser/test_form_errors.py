"""After a wrong submit, the admin forms outside the topic and source pages put the focus on the
error summary, which links each refusal to its field (WCAG 3.3.1, 3.3.3), and axe finds nothing.

Before, the focus stayed on the page's body and the fields carried no refusal of their own.
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.admin_support import DPO, AdminApp, admin_app, go, press, sign_in
from tests.browser.checks import assert_accessible
from tests.support.words import admin_text

__all__ = ["admin_app"]  # the module's fixture, imported for pytest to find


def _focus_on_summary(page: Page) -> None:
    """Fail unless the focused element is the error summary."""
    assert page.evaluate("document.activeElement.className") == "error-summary"


def test_the_erasure_form_focuses_a_summary_of_every_wrong_field(
    page: Page, admin_app: AdminApp
) -> None:
    sign_in(page, admin_app, DPO)
    go(page, f"{admin_app.base_url}/admin/erasure")
    page.get_by_label(admin_text("nb", "Email address")).fill("ikke-en-adresse")
    # The browser's own checks would stop the form; the server's answer is what is tested.
    page.locator("form[action$='/admin/erasure']").evaluate("f => f.noValidate = true")
    assert press(page, admin_text("nb", "Erase the address")).status == 400
    _focus_on_summary(page)
    summary = page.locator(".error-summary")
    expect(summary.get_by_role("link")).to_have_count(2)
    summary.get_by_role("link").first.click()
    expect(page.locator("#address")).to_be_focused()
    expect(page.locator("#address")).to_have_accessible_description(
        admin_text("nb", "Error") + ": " + admin_text("nb", "This is not a valid email address.")
    )
    assert_accessible(page, "nb")
