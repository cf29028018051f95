"""WCAG 2.1 SC 1.4.10 Reflow: at 320 CSS pixels no page scrolls sideways, even where a topic's
title, a source's address or a change's title is one 200-character word (a pasted address, a
long compound), on the public pages and the staff pages alike; a data table wider than the screen
scrolls inside its own box, as the criterion allows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial

import pytest
from playwright.sync_api import Page
from sqlalchemy import select

from services.mailer.adapters import changes
from services.mailer.domain.review import ChangeStatus
from services.subscriptions.adapters.tables import Subscriber
from shared.events import ContentChanged
from tests.browser.admin_support import AUDITOR, EDITOR, go, seeded_varsel, sign_in
from tests.browser.checks import assert_accessible
from tests.integration.admin import harness as catalogue
from tests.integration.admin import seed
from tests.integration.admin.harness import OTHER, TOPIC, Harness

pytestmark = pytest.mark.browser

# One word of 200 characters, as an editor might paste it: the longest title the form takes.
WORD = ("Folkehelseinstituttetsvaksinasjonsprogramkoordinering" * 4)[:200]
SOURCE = "https://example.org/" + "nyheter-og-kunngjoringer-fra-folkehelseinstituttet" * 6
# The test catalogue with the long word as the first topic's title, section and description,
# and the long address as its source's.
CATALOGUE = (
    catalogue.CATALOGUE.replace("Norge i verden", WORD)
    .replace("Norway in the world", WORD)
    .replace(
        "related =", f'section = {{ nb = "{WORD}" }}\ndescription = {{ nb = "{WORD}" }}\nrelated ='
    )
    .replace("https://example.org/side", SOURCE)
)
ADDRESS = "kari@example.no"


@dataclass
class Site:
    base_url: str
    manage_token: str
    change_id: str


async def _long_words(h: Harness, found: dict[str, str]) -> None:
    """A subscriber of both topics, and a change with a one-word title on the desk."""
    await h.sign_up(ADDRESS, (TOPIC, OTHER))
    await h.confirm(ADDRESS)
    async with h.runtime.sessions() as session, session.begin():
        subscriber = await session.scalar(select(Subscriber.id).where(Subscriber.email == ADDRESS))
        source, (first, _, third) = await seed.source_with_snapshots(
            session, SOURCE, h.runtime.clock.now(), [TOPIC]
        )
        event = ContentChanged(
            source_id=source,
            source_url=SOURCE,
            kind="page",
            topics=(TOPIC,),
            title=WORD,
            url=SOURCE,
            summary=WORD,
            diff_url=f"http://x/admin/sources/{source}/diff?from={first}&to={third}",
        )
        await changes.store(session, event, ChangeStatus.WAITING)
    assert subscriber is not None
    found["manage"] = h.runtime.signer.sign("manage", subscriber, h.runtime.clock.now())
    found["change"] = str(event.event_id)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    found: dict[str, str] = {}
    with seeded_varsel(
        tmp_path_factory.mktemp("reflow"), partial(_long_words, found=found), CATALOGUE
    ) as varsel:
        yield Site(varsel.base_url, found["manage"], found["change"])


def assert_reflows(page: Page, url: str) -> None:
    """Open ``url`` and fail unless the page is no wider than the viewport and passes axe."""
    answer = go(page, url)
    assert answer.status == 200, url
    width = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert width[0] <= width[1], f"{url} is {width[0]}px wide in a {width[1]}px viewport"
    assert_accessible(page, "nb")


def test_public_pages_reflow_at_320_pixels_with_a_long_word(narrow_page: Page, site: Site) -> None:
    for path in ("/", f"/subscribe/{TOPIC}", f"/manage/{site.manage_token}"):
        assert_reflows(narrow_page, f"{site.base_url}{path}")


def test_staff_pages_reflow_at_320_pixels_with_a_long_word(narrow_page: Page, site: Site) -> None:
    sign_in(narrow_page, site, EDITOR)  # type: ignore[arg-type]
    for path in (
        "/admin",
        "/admin/topics",
        f"/admin/topics?edit={TOPIC}",
        "/admin/sources",
        "/admin/desk",
        f"/admin/desk/{site.change_id}",
    ):
        assert_reflows(narrow_page, f"{site.base_url}{path}")
    sign_in(narrow_page, site, AUDITOR)  # type: ignore[arg-type]
    for path in ("/admin", f"/admin/topics/{TOPIC}", f"/admin/ledger?topic={TOPIC}"):
        assert_reflows(narrow_page, f"{site.base_url}{path}")
