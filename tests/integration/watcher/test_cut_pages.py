"""A page cut off on its way where nothing frames its body (no Content-Length, no chunks: the
server ends it by closing the connection), over real HTTP: the rest of the page is not told as
removed; a real edit is told at once, and a page that stays cut is read after a few polls."""

from __future__ import annotations

import re

import pytest

from services.watcher.domain.cut_pages import HELD_POLLS
from services.watcher.domain.failures import Failure, FailureReason, failure_reason
from services.watcher.handlers import poll
from tests.integration.watcher.conftest import Harness, HarnessFactory
from tests.integration.watcher.pages import NEW_PARAGRAPH, page
from tests.integration.watcher.server import Route, ScriptedSite

WHOLE = page(NEW_PARAGRAPH).encode()
# Cut inside the last paragraph's text, and between the two bytes of its «æ».
MID_WORD = WHOLE[: WHOLE.index(b"forveksle revebjelle") + 12]
MID_CHARACTER = WHOLE[: WHOLE.index("ætelige".encode()) + 1]
REASON = re.compile(
    re.escape(
        "no usable content: page: the page stops before its closing </html>, and its text is"
        " the stored text cut short (sent without a length, it ended when the server closed"
        " the connection: likely cut off on its way; found so by 1 poll in a row, its text "
    )
    + "[0-9a-f]{12}"
    + re.escape("); it is read as it is once 3 polls in a row found it so")
)


def _served(site: ScriptedSite, body: bytes) -> None:
    site.set("/p", Route(body, close_delimited=True))


async def _baseline(harness: Harness, site: ScriptedSite, body: bytes = WHOLE) -> int:
    _served(site, body)
    source = await harness.add_source(site.url("/p"))
    assert await poll(harness.deps, source) == "baseline"
    return source


async def _cut_alerts_nobody(harness: Harness, site: ScriptedSite, cut: bytes) -> None:
    source = await _baseline(harness, site)

    _served(site, cut)
    assert await poll(harness.deps, source) == "failed"
    row = await harness.source(source)
    assert row.last_error is not None and REASON.fullmatch(row.last_error)
    assert failure_reason(row.last_error) == FailureReason(Failure.PAGE_CUT_SHORT, {"polls": "3"})

    _served(site, WHOLE)
    assert await poll(harness.deps, source) == "unchanged"
    assert await harness.events() == []
    row = await harness.source(source)
    assert (row.consecutive_failures, row.status) == (0, "ok")
    assert len(await harness.snapshots(source)) == 1


@pytest.mark.parametrize("cut", [MID_WORD, MID_CHARACTER], ids=["mid-word", "mid-character"])
async def test_a_page_cut_off_where_nothing_frames_it_alerts_nobody(
    site: ScriptedSite, harness: Harness, cut: bytes
) -> None:
    await _cut_alerts_nobody(harness, site, cut)


async def test_a_page_cut_off_where_nothing_frames_it_on_postgresql(
    site: ScriptedSite, make_harness: HarnessFactory, postgres_url: str
) -> None:
    await _cut_alerts_nobody(make_harness(postgres_url), site, MID_WORD)


async def test_a_page_that_stays_cut_is_read_as_it_is_after_a_few_polls(
    site: ScriptedSite, harness: Harness
) -> None:
    source = await _baseline(harness, site)

    # Its publisher dropped the last paragraph and the closing tags with it.
    _served(site, MID_WORD)
    polls = [await poll(harness.deps, source) for _ in range(HELD_POLLS + 2)]
    assert polls == ["failed"] * HELD_POLLS + ["changed", "unchanged"]
    (told,) = await harness.events()
    assert "revebjelle" in (told.summary or "")
    row = await harness.source(source)
    assert (row.consecutive_failures, row.last_error) == (0, None)


async def test_a_whole_page_that_lost_text_at_its_end_is_told_at_once(
    site: ScriptedSite, harness: Harness
) -> None:
    source = await _baseline(harness, site)

    _served(site, page().encode())  # the paragraph removed; the page closes as before
    assert await poll(harness.deps, source) == "changed"
    assert len(await harness.events()) == 1


async def test_a_page_that_never_closed_is_told_its_edits_at_once(
    site: ScriptedSite, make_harness: HarnessFactory, postgres_url: str
) -> None:
    harness = make_harness(postgres_url)
    never_closed = WHOLE.removesuffix(b"</body></html>\n")
    assert never_closed != WHOLE
    source = await _baseline(harness, site, never_closed)
    assert (await harness.snapshots(source))[0].meta == {"unclosed": True}

    _served(site, never_closed[: never_closed.index(b"<h2>Nytt om revebjelle")])
    assert await poll(harness.deps, source) == "changed"
    assert len(await harness.events()) == 1


async def test_a_page_sent_with_its_length_is_whole_whatever_its_end(
    site: ScriptedSite, harness: Harness
) -> None:
    source = await _baseline(harness, site)

    # Its Content-Length says the body is all there: its publisher cut it so.
    site.set("/p", Route(MID_WORD))
    assert await poll(harness.deps, source) == "changed"


async def test_a_page_that_stays_cut_between_broken_transfers_is_read_as_it_is(
    site: ScriptedSite, make_harness: HarnessFactory, postgres_url: str
) -> None:
    harness = make_harness(postgres_url)
    source = await _baseline(harness, site)

    # Its publisher dropped the last paragraph; every other answer of its server stops short
    # of the length it announced and never ends, so the fetch times out. Held for ever before,
    # the source failing.
    broken = Route(WHOLE, content_length=len(WHOLE) + 100)
    polls = []
    for _ in range(HELD_POLLS):
        _served(site, MID_WORD)
        polls.append(await poll(harness.deps, source))
        site.set("/p", broken)
        polls.append(await poll(harness.deps, source))
    _served(site, MID_WORD)
    polls.append(await poll(harness.deps, source))

    assert polls == ["failed"] * 2 * HELD_POLLS + ["changed"]
    (told,) = await harness.events()
    assert "revebjelle" in (told.summary or "")
