"""A feed cut off on its way, or read while its file was being rewritten, over real HTTP: its
last entry read without the rest of its text is no news; a feed its publisher never closes
is still read, one poll later."""

from __future__ import annotations

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


async def test_a_feed_cut_off_mid_entry_alerts_nobody_and_the_feed_whole_neither(
    site: ScriptedSite, harness: Harness
) -> None:
    whole = rss(ITEMS, TEXTS, guids=GUIDS)
    site.set("/rss", Route(whole, RSS))
    source = await harness.add_source(site.url("/rss"), "feed")
    assert await poll(harness.deps, source) == "baseline"

    # Cut inside the text of an entry: read leniently, that entry had «changed» (its text
    # gone), and was told again, with its text, when the feed was whole.
    cut = whole[: whole.index(b"hvor.</description>", len(whole) // 2)]
    site.set("/rss", Route(cut, RSS))
    assert await poll(harness.deps, source) == "failed"

    row = await harness.source(source)
    assert row.last_error == (
        "no usable content: feed: the feed stops before its closing </rss> (cut off on its"
        " way, or read while it was being written); it is read as it is if the next poll"
        " finds it so too"
    )
    assert failure_reason(row.last_error) == FailureReason(Failure.FEED_CUT_SHORT, {"root": "rss"})

    site.set("/rss", Route(whole, RSS))
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
