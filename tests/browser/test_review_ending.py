"""Ending a source's review mode on the admin's source form, in a real headless Chromium: the
publishers' pushes that waited for its page go to the editors' desk, and the page the form
leads to says so, in the editor's language, accessibly (docs/publishing.md)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from tests.browser.admin_support import EDITOR, go, press, seeded_varsel, sign_in
from tests.browser.checks import assert_accessible
from tests.integration.admin.harness import CATALOGUE, Harness
from tests.integration.admin.sources_support import KNOWN, pushed_after_a_told_change
from tests.support.varsel_process import VarselProcess
from tests.support.words import admin_text

pytestmark = pytest.mark.browser

IN_REVIEW = CATALOGUE + 'mode = "review"\n'


async def _pushed_while_reviewed(h: Harness) -> None:
    # Minutes after a told change, so the push waits on the source's row for the page.
    await pushed_after_a_told_change(h, datetime.now(UTC), {"k1": "Ny frist."})


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VarselProcess]:
    with seeded_varsel(
        tmp_path_factory.mktemp("review-ending"), _pushed_while_reviewed, IN_REVIEW
    ) as varsel:
        yield varsel


def test_ending_review_says_the_waiting_push_is_now_on_the_desk(
    page: Page, reviewed: VarselProcess
) -> None:
    t = partial(admin_text, "nb")
    sign_in(page, reviewed, EDITOR, "nb")  # type: ignore[arg-type]
    go(page, f"{reviewed.base_url}/admin/sources?edit={quote(KNOWN, safe='')}")
    page.get_by_label(t("At once, as detected")).check()
    shown = press(page, t("Save the source"))
    # The save answers with a redirect to the list, which tells the editor where pushes went.
    saved = shown.request.redirected_from
    assert saved is not None and saved.method == "POST"
    assert (answer := saved.response()) is not None and answer.status == 303
    assert shown.status == 200 and shown.request.method == "GET"

    told = page.get_by_role("status")
    expect(told).to_contain_text(t("The source's changes now go out without review"))
    expect(told).to_contain_text("Ett varsel fra publiseringsløsningen venter nå på redaksjonsdesk")
    assert_accessible(page, "nb")

    # A reload reads the list again (no form sent again, nothing asked), the notice as true.
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.method))
    reloaded = page.reload()
    assert reloaded is not None and reloaded.status == 200
    assert sent and set(sent) == {"GET"}
    expect(told).to_contain_text("Ett varsel fra publiseringsløsningen venter nå på redaksjonsdesk")

    told.get_by_role("link", name=t("Decide on them on the desk")).click()
    waiting = page.get_by_role("table", name=t("Waiting for review"))
    expect(waiting.get_by_role("row")).to_have_count(2)  # its header and the push
