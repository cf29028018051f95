"""The editor's desk in a real headless Chromium, every state checked by axe-core.

An editor finds a held change on the desk, reads its side-by-side diff and reach, edits the
note and approves it; an auditor cannot open the desk.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from services.mailer.adapters import changes
from services.mailer.domain.review import ChangeStatus
from services.subscriptions import bootstrap as subscriptions
from shared.events import ContentChanged
from shared.runtime import build_runtime
from shared.schema import upgrade_async
from shared.settings import Settings
from tests.browser.admin_support import AUDITOR, EDITOR, go, press, sign_in
from tests.browser.checks import assert_accessible
from tests.browser.conftest import SECRET_KEY
from tests.integration.admin import seed
from tests.integration.admin.harness import CATALOGUE, TOPIC, Harness
from tests.support.varsel_process import VarselProcess
from tests.support.words import admin_text
from varsel.app import create_app

pytestmark = pytest.mark.browser

LANGUAGES = ("nb", "en")
SOURCE = "https://example.org/side"


@dataclass
class Desk:
    base_url: str
    change_ids: dict[str, str]  # a held change per language's test


async def _seed(url: str, settings: Settings) -> dict[str, str]:
    await upgrade_async(url)
    runtime = build_runtime(settings)
    h = Harness(runtime, create_app(runtime, ("subscriptions", "admin")))
    try:
        await subscriptions.record_privacy_notices(runtime)
        await h.user(EDITOR, "editor")
        await h.user(AUDITOR, "auditor")
        await h.sign_up("kari@example.no")  # a daily subscriber of TOPIC
        await h.confirm("kari@example.no")
        ids = {}
        async with runtime.sessions() as session, session.begin():
            source, (first, _, third) = await seed.source_with_snapshots(
                session, SOURCE, runtime.clock.now(), [TOPIC]
            )
            for language in LANGUAGES:
                event = ContentChanged(
                    source_id=source,
                    source_url=SOURCE,
                    kind="page",
                    topics=(TOPIC,),
                    title=f"Norge i verden ({language})",
                    url=SOURCE,
                    summary="Nytt avsnitt om global helse.",
                    diff_url=f"http://x/admin/sources/{source}/diff?from={first}&to={third}",
                )
                await changes.store(session, event, ChangeStatus.WAITING)
                ids[language] = str(event.event_id)
        return ids
    finally:
        await runtime.close()


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    """Seed a SQLite database with changes on the desk, then run varsel on it."""
    workdir = tmp_path_factory.mktemp("desk")
    config = workdir / "catalogue.toml"
    config.write_text(CATALOGUE, encoding="utf-8")
    url = f"sqlite+aiosqlite:///{workdir / 'varsel.db'}"
    settings = Settings(database_url=url, config=config, var_dir=workdir, secret_key=SECRET_KEY)
    # In a thread of its own: Playwright's sync API keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        ids = pool.submit(asyncio.run, _seed(url, settings)).result()
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
        yield Desk(varsel.base_url, ids)
    finally:
        varsel.stop()


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_editor_reads_a_held_change_edits_the_note_and_approves_it(
    page: Page, desk: Desk, language: str
) -> None:
    def t(text: str) -> str:
        return admin_text(language, text)

    query = "" if language == "nb" else f"?lang={language}"
    sign_in(page, desk, EDITOR, language)  # type: ignore[arg-type]
    go(page, f"{desk.base_url}/admin{query}")
    page.get_by_role("link", name=t("Editor's desk")).click()
    expect(page.locator("h1")).to_have_text(t("Editor's desk"))
    assert_accessible(page, language)

    page.get_by_role("link", name=f"Norge i verden ({language})").click()
    expect(page.locator("h1")).to_have_text(f"Norge i verden ({language})")
    reach = page.get_by_role("table", name=t("Who it would reach now"))
    expect(reach.get_by_role("row", name=t("Daily"))).to_contain_text("1")
    diff = page.get_by_role("table", name=t("Differences"))
    expect(diff.locator("ins").first).to_be_visible()
    expect(diff.locator("del").first).to_be_visible()
    note = page.get_by_label(t("Change note"))
    expect(note).to_have_value("Nytt avsnitt om global helse.")
    assert_accessible(page, language)

    note.fill("Fristen er flyttet til 1. mars.")
    assert press(page, t("Approve and send")).status == 200
    expect(page.locator("dl")).to_contain_text(t("Approved and sent"))
    expect(page.locator("main")).to_contain_text("Fristen er flyttet til 1. mars.")
    expect(page.get_by_role("button", name=t("Approve and send"))).to_have_count(0)
    assert_accessible(page, language)


def test_an_auditor_cannot_open_the_desk(page: Page, desk: Desk) -> None:
    sign_in(page, desk, AUDITOR)  # type: ignore[arg-type]
    assert go(page, f"{desk.base_url}/admin/desk").status == 403
    assert go(page, f"{desk.base_url}/admin/desk/{desk.change_ids['nb']}").status == 403
    expect(page.get_by_role("link", name=admin_text("nb", "Editor's desk"))).to_have_count(0)
