"""Pages that disappeared, in a real headless Chromium, every state checked by axe-core.

An editor finds a page that has answered only 404 for four days, confirms that it is gone and
is pointed at the source to edit; an auditor cannot open the page.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from services.subscriptions import bootstrap as subscriptions
from services.watcher.adapters.tables import WatchedSource
from shared.runtime import build_runtime
from shared.schema import upgrade_async
from shared.settings import Settings
from tests.browser.admin_support import AUDITOR, EDITOR, go, press, sign_in
from tests.browser.checks import assert_accessible
from tests.browser.conftest import SECRET_KEY
from tests.integration.admin.harness import CATALOGUE, TOPIC, Harness
from tests.support.varsel_process import VarselProcess
from tests.support.words import admin_text
from varsel.app import create_app

pytestmark = pytest.mark.browser

LANGUAGES = ("nb", "en")


def gone_url(language: str) -> str:
    """Return the address of the gone page the test in one language confirms."""
    return f"https://example.org/borte-{language}"


@dataclass
class Site:
    base_url: str


async def _seed(url: str, settings: Settings) -> None:
    await upgrade_async(url)
    runtime = build_runtime(settings)
    h = Harness(runtime, create_app(runtime, ("subscriptions", "admin")))
    try:
        await subscriptions.record_privacy_notices(runtime)
        await h.user(EDITOR, "editor")
        await h.user(AUDITOR, "auditor")
        await h.sign_up("kari@example.no")
        await h.confirm("kari@example.no")
        now = runtime.clock.now()
        async with runtime.sessions() as session, session.begin():
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
                    )
                )
    finally:
        await runtime.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """Seed a SQLite database with gone pages, then run varsel on it (no polling)."""
    workdir = tmp_path_factory.mktemp("gone")
    config = workdir / "catalogue.toml"
    config.write_text(CATALOGUE, encoding="utf-8")
    url = f"sqlite+aiosqlite:///{workdir / 'varsel.db'}"
    settings = Settings(database_url=url, config=config, var_dir=workdir, secret_key=SECRET_KEY)
    # In a thread of its own: Playwright's sync API keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _seed(url, settings)).result()
    varsel = VarselProcess(
        workdir,
        {
            "VARSEL_DATABASE_URL": url,
            "VARSEL_CONFIG": str(config),
            "VARSEL_SECRET_KEY": SECRET_KEY,
            "VARSEL_WATCHER_ENABLED": "false",
        },
    )
    varsel.start()
    try:
        yield Site(varsel.base_url)
    finally:
        varsel.stop()


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_editor_confirms_that_a_page_is_gone(page: Page, site: Site, language: str) -> None:
    def t(text: str) -> str:
        return admin_text(language, text)

    query = "" if language == "nb" else f"?lang={language}"
    sign_in(page, site, EDITOR, language)  # type: ignore[arg-type]
    go(page, f"{site.base_url}/admin{query}")
    page.get_by_role("link", name=t("Pages that have disappeared")).click()
    expect(page.locator("h1")).to_have_text(t("Pages that have disappeared"))
    table = page.get_by_role("table", name=t("Waiting for confirmation"))
    row = table.get_by_role("row", name=f"Borte ({language})")
    expect(row).to_contain_text("https://example.org/ny-side")
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
    expect(
        page.get_by_role("link", name=admin_text("nb", "Pages that have disappeared"))
    ).to_have_count(0)
