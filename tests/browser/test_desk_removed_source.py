"""Removing a source whose change waits on the desk, or saving it under another address, in a
real headless Chromium: the editor is asked first, the change is withdrawn, and a desk page
opened before is refused, saying why."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from services.mailer.adapters import changes
from services.mailer.domain.review import ChangeStatus
from shared.events import ContentChanged
from tests.browser.admin_support import EDITOR, go, press, seeded_varsel, sign_in
from tests.browser.checks import assert_accessible
from tests.integration.admin.harness import TOPIC, Harness
from tests.support.words import admin_text

pytestmark = pytest.mark.browser

SOURCE = "https://example.org/side"  # the test catalogue's one source
TITLE = "Ny veileder om global helse"


@dataclass
class Desk:
    base_url: str
    change_id: str


async def _change_on_desk(h: Harness, ids: list[str]) -> None:
    event = ContentChanged(
        source_id=1,
        source_url=SOURCE,
        kind="page",
        topics=(TOPIC,),
        title=TITLE,
        url=SOURCE,
        summary="Nytt avsnitt.",
    )
    async with h.runtime.sessions() as session, session.begin():
        await changes.store(session, event, ChangeStatus.WAITING)
    ids.append(str(event.event_id))


@contextmanager
def _one_change_waiting(workdir: Path) -> Iterator[Desk]:
    """Run varsel on a database with one change of the source waiting on the desk."""
    ids: list[str] = []
    with seeded_varsel(workdir, partial(_change_on_desk, ids=ids)) as varsel:
        yield Desk(varsel.base_url, ids[0])


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    with _one_change_waiting(tmp_path_factory.mktemp("removal")) as running:
        yield running


def test_removing_a_source_asks_first_and_a_stale_approval_is_refused(
    page: Page, desk: Desk
) -> None:
    def t(text: str) -> str:
        return admin_text("en", text)

    sign_in(page, desk, EDITOR, "en")  # type: ignore[arg-type]
    stale = page.context.new_page()
    go(stale, f"{desk.base_url}/admin/desk/{desk.change_id}?lang=en")
    expect(stale.get_by_role("button", name=t("Approve and send"))).to_be_visible()

    go(page, f"{desk.base_url}/admin/sources?lang=en")
    press(page, f"{t('Remove')}: {SOURCE}")
    asked = page.get_by_role("status")
    expect(asked).to_contain_text(t("Remove the source?"))
    expect(asked).to_contain_text(f"{SOURCE} ")
    assert_accessible(page, "en")
    expect(page.get_by_role("row", name=SOURCE)).to_have_count(1)  # nothing removed yet

    assert press(page, t("Remove it and withdraw its changes")).status == 200
    expect(page.get_by_role("row", name=SOURCE)).to_have_count(0)

    stale.get_by_label(t("Change note")).fill("Sendes likevel.")
    assert press(stale, t("Approve and send")).status == 409
    expect(stale.get_by_role("alert")).to_contain_text(  # in the error summary
        t(
            "This change was withdrawn when its source was removed from the catalogue, so "
            "nobody will be alerted about it. Your decision was not taken."
        )
    )
    expect(stale.get_by_role("button", name=t("Approve and send"))).to_have_count(0)
    assert_accessible(stale, "en")

    go(page, f"{desk.base_url}/admin/desk?lang=en")
    decided = page.get_by_role("table", name=t("Decided lately"))
    expect(decided.get_by_role("row", name=TITLE)).to_contain_text(
        t("Withdrawn: its source was removed")
    )
    expect(page.get_by_role("table", name=t("Waiting for review"))).to_have_count(0)
    assert_accessible(page, "en")


MOVED = "https://example.org/ny-side"


@pytest.fixture(scope="module")
def moving(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    with _one_change_waiting(tmp_path_factory.mktemp("moving")) as running:
        yield running


def test_saving_a_source_under_another_address_asks_first_then_withdraws(
    page: Page, moving: Desk
) -> None:
    def t(text: str) -> str:
        return admin_text("nn", text)

    sign_in(page, moving, EDITOR, "nn")  # type: ignore[arg-type]
    go(page, f"{moving.base_url}/admin/sources?lang=nn")
    page.get_by_role("link", name=f"{t('Edit')}: {SOURCE}").click()
    page.get_by_label(t("Address (URL)")).fill(MOVED)
    assert press(page, t("Save the source")).status == 200
    asked = page.get_by_role("status")
    expect(asked).to_contain_text(t("Save the source under another address?"))
    expect(asked).to_contain_text(f"{SOURCE} ")
    assert_accessible(page, "nn")
    expect(page.get_by_role("row", name=SOURCE)).to_have_count(1)  # nothing saved yet
    expect(page.get_by_label(t("Address (URL)"))).to_have_value(MOVED)

    # The yes stands in the notice; it sends the form below as the editor left it.
    assert press(page, t("Save it and withdraw its changes")).status == 200
    expect(page.get_by_role("row", name=SOURCE, exact=True)).to_have_count(0)
    expect(page.get_by_role("row", name=MOVED)).to_have_count(1)

    go(page, f"{moving.base_url}/admin/desk?lang=nn")
    decided = page.get_by_role("table", name=t("Decided lately"))
    expect(decided.get_by_role("row", name=TITLE)).to_contain_text(
        t("Withdrawn: its source was removed")
    )
