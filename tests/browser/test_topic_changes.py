"""A topic's page of recent changes (where a digest cut short links) in a real headless
Chromium, in bokmål, nynorsk and English, checked by axe."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from services.mailer.adapters import changes
from shared.events import ContentChanged
from shared.vocabulary import SourceKind
from tests.browser.checks import assert_accessible
from tests.browser.conftest import App
from tests.browser.journeys_support import TITLES, open_page, query
from tests.support.words import page_text

pytestmark = pytest.mark.browser

LANGUAGES = ["nb", "nn", "en"]


async def _store(database: Path, title: str) -> None:
    """Store a told change of the topic, as the mailer does when the watcher announces one."""
    engine = create_async_engine(f"sqlite+aiosqlite:///{database}")
    try:
        async with async_sessionmaker(engine)() as session, session.begin():
            await changes.store(
                session,
                ContentChanged(
                    source_id=1,
                    source_url="https://www.fhi.no/om/fhi-og-verden/",
                    kind=SourceKind.PAGE,
                    topics=("norge-i-verden",),
                    title=title,
                    url="https://www.fhi.no/om/fhi-og-verden/",
                    summary="Et nytt avsnitt om vaksiner.",
                    occurred_at=datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
                ),
            )
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def told(app: App) -> str:
    title = "Ny side om helsearbeid"
    # In a thread of its own: Playwright's sync API runs an event loop in this one.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, _store(app.database, title)).result()
    return title


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_topics_changes_are_listed_and_accessible(
    page: Page, app: App, told: str, language: str
) -> None:
    address = f"{app.base_url}/topics/norge-i-verden/changes{query(language)}"
    assert open_page(page, address).status == 200
    topic = TITLES[language]["norge-i-verden"]
    heading = page_text(language, "Changes in «%(topic)s»", topic=topic)
    expect(page.locator("h1")).to_have_text(heading)
    expect(page.get_by_role("link", name=told, exact=True)).to_be_visible()
    expect(page.get_by_text("Et nytt avsnitt om vaksiner.")).to_be_visible()
    assert_accessible(page, language)
