"""After a wrong submit, the admin forms outside the topic and source pages put the focus on the
error summary, which links each refusal to its field (WCAG 3.3.1, 3.3.3), and axe finds nothing.

Before, the focus stayed on the page's body and the fields carried no refusal of their own.
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.admin_support import (
    DPO,
    EDITOR,
    AdminApp,
    admin_app,
    go,
    press,
    sign_in,
    sign_in_at,
)
from tests.browser.checks import assert_accessible
from tests.support.words import admin_text

__all__ = ["admin_app"]  # the module's fixture, imported for pytest to find


def _focus_on_summary(page: Page) -> None:
    """Fail unless the error summary takes the focus.

    The browser moves the focus to an autofocus element when it gets to it after the page has
    loaded, not at once: read at once, the focus was once still on the page's body. expect
    waits for it (for at most its timeout).
    """
    expect(page.locator(".error-summary")).to_be_focused()


def _wrong_address(page: Page, admin_app: AdminApp, path: str, button: str) -> int:
    """Sign in as the data-protection officer, send the form at ``path`` with an address that is
    none by pressing ``button``, and return the status of the page it leads to."""
    sign_in(page, admin_app, DPO)
    go(page, f"{admin_app.base_url}{path}")
    page.get_by_label(admin_text("nb", "Email address")).fill("ikke-en-adresse")
    # The browser's own checks would stop the form; the server's answer is what is tested.
    page.locator(f"form[action$='{path}']").evaluate("f => f.noValidate = true")
    return press(page, admin_text("nb", button)).status


def test_the_erasure_form_focuses_a_summary_of_every_wrong_field(
    page: Page, admin_app: AdminApp
) -> None:
    assert _wrong_address(page, admin_app, "/admin/erasure", "Erase the address") == 400
    _focus_on_summary(page)
    summary = page.locator(".error-summary")
    expect(summary.get_by_role("link")).to_have_count(2)
    summary.get_by_role("link").first.click()
    expect(page.locator("#address")).to_be_focused()
    expect(page.locator("#address")).to_have_accessible_description(
        admin_text("nb", "Error") + ": " + admin_text("nb", "This is not a valid email address.")
    )
    assert_accessible(page, "nb")


def test_the_bulletin_form_focuses_a_summary_of_every_wrong_field(
    page: Page, admin_app: AdminApp
) -> None:
    sign_in(page, admin_app, EDITOR)
    go(page, f"{admin_app.base_url}/admin/bulletins")
    # «Count recipients» with no topic ticked.
    assert press(page, admin_text("nb", "Count recipients")).status == 400
    _focus_on_summary(page)
    expect(page.locator("#topics-error")).to_contain_text(
        admin_text("nb", "Choose at least one topic.")
    )
    assert_accessible(page, "nb")

    bokmaal = page.get_by_role("group", name=admin_text("nb", "Bokmål (required)"))
    bokmaal.get_by_label(admin_text("nb", "Subject")).fill("Stengt")
    bokmaal.get_by_label(admin_text("nb", "Message")).fill("Se [x](/rel).")
    page.locator("form[action$='/admin/bulletins']").evaluate("f => f.noValidate = true")
    assert press(page, admin_text("nb", "Send the bulletin")).status == 400
    _focus_on_summary(page)
    links = page.locator(".error-summary").get_by_role("link")
    # No topic, the relative link, the English subject and message left empty.
    expect(links).to_have_count(4)
    links.nth(1).click()
    expect(page.locator("#body_nb")).to_be_focused()
    expect(page.locator("#body_nb-error")).to_contain_text("nb: /rel")
    assert_accessible(page, "nb")


def test_the_consent_lookup_focuses_the_summary_of_a_wrong_address(
    page: Page, admin_app: AdminApp
) -> None:
    assert _wrong_address(page, admin_app, "/admin/consent", "Look up") == 422
    _focus_on_summary(page)
    expect(page.locator("#address")).to_have_accessible_description(
        admin_text("nb", "Error") + ": " + admin_text("nb", "This is not a valid email address.")
    )
    assert_accessible(page, "nb")


def test_a_refused_sign_in_and_ledger_filter_focus_their_summary(
    page: Page, admin_app: AdminApp
) -> None:
    # Before, a paragraph that took no focus: a screen reader user heard of the refusal only by
    # reading the page again from the top.
    assert sign_in_at(page, admin_app.base_url, DPO, "not-the-password").status == 401
    _focus_on_summary(page)
    assert_accessible(page, "nb")
    sign_in(page, admin_app, DPO)
    reversed_dates = "/admin/ledger?from=2026-12-06&to=2026-12-01"
    assert go(page, f"{admin_app.base_url}{reversed_dates}").status == 400
    _focus_on_summary(page)
    page.locator(".error-summary").get_by_role("link").click()
    expect(page.locator("#from")).to_be_focused()
    expect(page.locator("#from")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page, "nb")
