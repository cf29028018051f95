"""The editor's desk in a real headless Chromium, every state checked by axe-core.

An editor finds a held change on the desk, reads its side-by-side diff and reach, edits the
note and approves it; an auditor cannot open the desk.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial

import pytest
from playwright.sync_api import Page, expect

from services.mailer.adapters import changes
from services.mailer.domain.review import ChangeStatus
from shared.events import ContentChanged
from tests.browser.admin_support import AUDITOR, EDITOR, go, press, seeded_varsel, sign_in
from tests.browser.checks import assert_accessible
from tests.integration.admin import seed
from tests.integration.admin.harness import TOPIC, Harness
from tests.support.words import admin_text

pytestmark = pytest.mark.browser

LANGUAGES = ("nb", "en")
SOURCE = "https://example.org/side"


@dataclass
class Desk:
    base_url: str
    change_ids: dict[str, str]  # a held change per language's test


async def _changes_on_desk(h: Harness, ids: dict[str, str]) -> None:
    """A daily subscriber of TOPIC, and a change on the desk for each language's test."""
    await h.sign_up("kari@example.no")
    await h.confirm("kari@example.no")
    async with h.runtime.sessions() as session, session.begin():
        source, (first, _, third) = await seed.source_with_snapshots(
            session, SOURCE, h.runtime.clock.now(), [TOPIC]
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


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    """Run varsel on a database with changes waiting on the desk (no polling)."""
    ids: dict[str, str] = {}
    with seeded_varsel(
        tmp_path_factory.mktemp("desk"), partial(_changes_on_desk, ids=ids)
    ) as varsel:
        yield Desk(varsel.base_url, ids)


def _reload_until(page: Page, text: str, tries: int = 120) -> None:
    """Reload the page until its status says ``text`` (polling; the fan-out runs elsewhere)."""
    for _ in range(tries):
        if text in page.locator("dl").inner_text():
            return
        page.wait_for_timeout(500)
        page.reload()
    pytest.fail(f"the desk never said {text!r}")


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
    # The mailer fans the change out in the background: first "being sent", then "sent".
    expect(page.locator("dl")).to_contain_text(
        re.compile(f"{re.escape(t('Approved and being sent'))}|{re.escape(t('Approved and sent'))}")
    )
    _reload_until(page, t("Approved and sent"))
    expect(page.locator("main")).to_contain_text("Fristen er flyttet til 1. mars.")
    expect(page.get_by_role("button", name=t("Approve and send"))).to_have_count(0)
    assert_accessible(page, language)


def test_an_auditor_cannot_open_the_desk(page: Page, desk: Desk) -> None:
    sign_in(page, desk, AUDITOR)  # type: ignore[arg-type]
    assert go(page, f"{desk.base_url}/admin/desk").status == 403
    assert go(page, f"{desk.base_url}/admin/desk/{desk.change_ids['nb']}").status == 403
    expect(page.get_by_role("link", name=admin_text("nb", "Editor's desk"))).to_have_count(0)
