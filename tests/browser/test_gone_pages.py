"""Pages that disappeared, in a real headless Chromium, every state checked by axe-core.

An editor finds a page that has answered only 404, or shown only an error message, for four
days, confirms that it is gone and is pointed at the source to edit; an auditor cannot open the
page.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from services.watcher.adapters.tables import WatchedSource
from tests.browser.admin_support import AUDITOR, EDITOR, go, press, seeded_varsel, sign_in
from tests.browser.checks import assert_accessible
from tests.integration.admin.harness import TOPIC, Harness
from tests.support.words import admin_text

pytestmark = pytest.mark.browser

LANGUAGES = ("nb", "en")
ERROR_SAID = "Det oppstod en feil. Referanse: 8F3A-22"


def gone_url(language: str) -> str:
    """Return the address of the gone page the test in one language confirms."""
    return f"https://example.org/borte-{language}"


@dataclass
class Site:
    base_url: str


async def _gone_pages(h: Harness) -> None:
    await h.sign_up("kari@example.no")
    await h.confirm("kari@example.no")
    now = h.runtime.clock.now()
    async with h.runtime.sessions() as session, session.begin():
        for language in LANGUAGES:
            session.add(
                WatchedSource(
                    url=gone_url(language),
                    kind="page",
                    topics=[TOPIC],
                    interval_seconds=3600,
                    ignore=[],
                    active=True,
                    status="failing",
                    consecutive_failures=96,
                    title=f"Borte ({language})",
                    next_check_at=now + timedelta(days=1),
                    missing_since=now - timedelta(days=4),
                    gone_at=now - timedelta(days=1),
                    moved_to="https://example.org/ny-side",
                    # One shows an error message, worded as such; the other answers 404.
                    last_error=f"HTTP 404 from {gone_url(language)}"
                    if language == "en"
                    else f"no usable content: page shows an error message in place of its"
                    f" content: {ERROR_SAID!r}",
                )
            )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """Run varsel on a database with two gone pages (no polling)."""
    with seeded_varsel(tmp_path_factory.mktemp("gone"), _gone_pages) as varsel:
        yield Site(varsel.base_url)


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_editor_confirms_that_a_page_is_gone(page: Page, site: Site, language: str) -> None:
    def t(text: str) -> str:
        return admin_text(language, text)

    query = "" if language == "nb" else f"?lang={language}"
    sign_in(page, site, EDITOR, language)  # type: ignore[arg-type]
    go(page, f"{site.base_url}/admin{query}")
    page.get_by_role("link", name=t("Pages gone or broken")).click()
    expect(page.locator("h1")).to_have_text(t("Pages gone or broken"))
    table = page.get_by_role("table", name=t("Waiting for confirmation"))
    row = table.get_by_role("row", name=f"Borte ({language})")
    expect(row).to_contain_text("https://example.org/ny-side")
    if language == "nb":
        expect(row).to_contain_text(ERROR_SAID)
    assert_accessible(page, language)

    confirm = f"{t('Confirm that it is gone')}: {gone_url(language)}"
    assert press(page, confirm).status == 200
    expect(page.get_by_role("status")).to_contain_text(gone_url(language))
    expect(page.get_by_role("button", name=confirm)).to_have_count(0)
    expect(page.get_by_role("link", name=t("Edit the source"))).to_be_visible()
    assert_accessible(page, language)


def test_an_auditor_cannot_open_the_page(page: Page, site: Site) -> None:
    sign_in(page, site, AUDITOR)  # type: ignore[arg-type]
    assert go(page, f"{site.base_url}/admin/gone").status == 403
    expect(page.get_by_role("link", name=admin_text("nb", "Pages gone or broken"))).to_have_count(0)
