"""A feed cut off on its way, or read while its file was being rewritten, over real HTTP: its
last entry read without the rest of its text is no news; a feed its publisher never closes
is still read, one poll later."""

from __future__ import annotations

import re

from services.watcher.domain.failures import Failure, FailureReason, failure_reason
from services.watcher.handlers import poll
from tests.integration.watcher.conftest import Harness
from tests.integration.watcher.server import Route, ScriptedSite
from tests.support.feeds import rss

RSS = "application/rss+xml; charset=utf-8"
ITEMS = [(f"Sak {n} om vaksiner", f"https://example.no/sak/{n}") for n in range(8, 0, -1)]
TEXTS = [
    f"Sak {n} sier hvem som får tilbud om vaksine fra oktober, og hvor." for n in range(8, 0, -1)
]
NEWEST = ("Ny veileder om kikhoste", "https://example.no/kikhoste")
GUIDS = [f"sak-{n}" for n in range(8, 0, -1)]
WHOLE = rss(ITEMS, TEXTS, guids=GUIDS)
CUT = WHOLE[: WHOLE.index(b"hvor.</description>", len(WHOLE) // 2)]  # inside an entry's text


async def _baseline(site: ScriptedSite, harness: Harness) -> int:
    """Return a feed source whose whole feed is stored."""
    site.set("/rss", Route(WHOLE, RSS))
    source = await harness.add_source(site.url("/rss"), "feed")
    assert await poll(harness.deps, source) == "baseline"
    return source


async def test_a_feed_cut_off_mid_entry_alerts_nobody_and_the_feed_whole_neither(
    site: ScriptedSite, harness: Harness
) -> None:
    source = await _baseline(site, harness)

    # Cut inside the text of an entry: read leniently, that entry had «changed» (its text
    # gone), and was told again, with its text, when the feed was whole.
    site.set("/rss", Route(CUT, RSS))
    assert await poll(harness.deps, source) == "failed"

    row = await harness.source(source)
    assert row.last_error is not None and re.fullmatch(
        re.escape(
            "no usable content: feed: the feed stops before its closing </rss> (cut off on its"
            " way, or read while it was being written; found so by 1 poll in a row, its text "
        )
        + "[0-9a-f]{12}"
        + re.escape("); it is read as it is if the next poll finds it so too"),
        row.last_error,
    )
    assert failure_reason(row.last_error) == FailureReason(Failure.FEED_CUT_SHORT, {"root": "rss"})

    site.set("/rss", Route(WHOLE, RSS))
    assert await poll(harness.deps, source) == "unchanged"
    assert await harness.events() == []
    assert (await harness.source(source)).consecutive_failures == 0


async def test_a_feed_its_publisher_never_closes_is_read_one_poll_later_and_told_once(
    site: ScriptedSite, harness: Harness
) -> None:
    def unclosed(items: list[tuple[str, str]], texts: list[str], guids: list[str]) -> bytes:
        return rss(items, texts, guids=guids).removesuffix(b"</channel></rss>")

    site.set("/rss", Route(unclosed(ITEMS, TEXTS, GUIDS), RSS))
    source = await harness.add_source(site.url("/rss"), "feed")
    assert [await poll(harness.deps, source) for _ in range(2)] == ["failed", "baseline"]

    newer = unclosed([NEWEST, *ITEMS], ["Gravide bør ta vaksinen.", *TEXTS], ["sak-9", *GUIDS])
    site.set("/rss", Route(newer, RSS))
    assert [await poll(harness.deps, source) for _ in range(3)] == [
        "failed",
        "changed",
        "unchanged",
    ]

    (told,) = await harness.events()
    assert (told.title, told.summary) == ("Ny veileder om kikhoste", "Gravide bør ta vaksinen.")
    assert (await harness.source(source)).status == "ok"


async def test_a_feed_that_stays_cut_between_broken_transfers_is_read_as_it_is(
    site: ScriptedSite, harness: Harness
) -> None:
    source = await _baseline(site, harness)

    # Its file lost its end with part of an entry's text; every other answer of its server
    # stops short of the length it announced and never ends, so the fetch times out. Held
    # for ever before, the source failing.
    broken = Route(WHOLE, RSS, content_length=len(WHOLE) + 100)
    polls = []
    for _ in range(2):
        site.set("/rss", Route(CUT, RSS))
        polls.append(await poll(harness.deps, source))
        site.set("/rss", broken)
        polls.append(await poll(harness.deps, source))

    assert polls == ["failed", "failed", "changed", "failed"]
    (told,) = await harness.events()  # the entry the cut fell in, as the feed now reads
    assert told.title.encode() in CUT[CUT.rindex(b"<item>") :]


async def test_a_feed_read_whole_again_after_a_cut_was_taken_is_held_when_cut_anew(
    site: ScriptedSite, harness: Harness
) -> None:
    source = await _baseline(site, harness)
    newer = rss([NEWEST, *ITEMS], ["Gravide bør ta vaksinen.", *TEXTS], guids=["sak-9", *GUIDS])

    # A proxy cuts the new feed at the same byte at two polls, after its last entry: taken as
    # the feed (nothing of its text lost) and stored as one that does not close.
    site.set("/rss", Route(newer[: newer.rindex(b"</channel>")], RSS))
    assert [await poll(harness.deps, source) for _ in range(2)] == ["failed", "changed"]
    # Whole again, the same text: it closes after all.
    site.set("/rss", Route(newer, RSS))
    assert await poll(harness.deps, source) == "unchanged"

    # Cut at another place at each poll: taken at the second before, as a feed that never
    # closes, its followers told of an entry without the rest of its text.
    polls, end = [], len(newer) // 2
    for _ in range(2):
        end = newer.index(b"hvor.</description>", end + 1)  # in the next entry's text
        site.set("/rss", Route(newer[:end], RSS))
        polls.append(await poll(harness.deps, source))
    assert polls == ["failed", "failed"]
    (told,) = await harness.events()  # the new entry, once
    assert told.title == NEWEST[0]
