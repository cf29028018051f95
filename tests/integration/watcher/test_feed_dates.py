"""A feed's dates over real HTTP: an item is dated by the day its publisher wrote (Oslo's for
a time written in UTC), and a date past tomorrow is a publisher's mistake, not news's date."""

from __future__ import annotations

import json
from datetime import date

import pytest

from services.watcher.domain.model import EXTRACTION, PUBLISHERS_DATES, ZONE_COMMENTS
from services.watcher.handlers import poll
from tests.integration.watcher.conftest import Harness
from tests.integration.watcher.server import Route, ScriptedSite
from tests.support.feeds import rss

RSS = "application/rss+xml"


def feed(dates: list[str]) -> bytes:
    return rss(
        [(f"Sak {n}", f"https://example.no/sak/{n}") for n in range(len(dates))], dates=dates
    )


async def test_an_item_dated_in_year_9999_is_told_without_its_date(
    site: ScriptedSite, harness: Harness
) -> None:
    today = harness.clock.now()
    stamp = today.strftime("%a, %d %b %Y 08:00:00 +0000")
    site.set("/rss", Route(feed([stamp]), RSS))
    source = await harness.add_source(site.url("/rss"), "feed")
    assert await poll(harness.deps, source) == "baseline"
    site.set("/rss", Route(feed([stamp, "Fri, 31 Dec 9999 23:59:59 +0000", stamp]), RSS))

    assert await poll(harness.deps, source) == "changed"

    dated = {e.title: e.published for e in await harness.events()}
    assert dated == {"Sak 1": None, "Sak 2": today.date()}


OLD_NEWS = "Mon, 03 Feb 2025 10:00:00 +0100"


@pytest.mark.parametrize(
    ("written", "day"),
    [
        ("Mon, 03 Mar 2025 00:30:00 +0100", date(2025, 3, 3)),  # 2 March in UTC
        ("2025-03-03T00:30:00+01:00", date(2025, 3, 3)),
        # In UTC, as WordPress writes every item: half past midnight in Oslo is 3 March.
        ("Sun, 02 Mar 2025 23:30:00 GMT", date(2025, 3, 3)),
        ("Sun, 02 Mar 2025 23:30:00 +0000", date(2025, 3, 3)),
        ("Sun, 02 Mar 2025 20:00:00 -0500", date(2025, 3, 2)),  # 3 March in UTC
        ("2025-03-02T23:30:00", date(2025, 3, 2)),  # no zone: the day as written
        # A comment after the zone (RFC 5322) names no other zone: the offset still counts.
        ("Mon, 03 Mar 2025 00:30:00 +0100 (CET)", date(2025, 3, 3)),
        ("Sun, 02 Mar 2025 20:00:00 -0500 (EST)", date(2025, 3, 2)),
        ("Sun, 02 Mar 2025 23:30:00 +0000 (UTC)", date(2025, 3, 3)),
        ("Sun, 02 Mar 2025 23:30:00 GMT (Greenwich Mean Time)", date(2025, 3, 3)),
    ],
)
async def test_an_item_is_dated_by_the_day_its_publisher_wrote(
    site: ScriptedSite, harness: Harness, written: str, day: date
) -> None:
    site.set("/rss", Route(feed([OLD_NEWS]), RSS))
    source = await harness.add_source(site.url("/rss"), "feed")
    assert await poll(harness.deps, source) == "baseline"
    site.set("/rss", Route(feed([OLD_NEWS, written]), RSS))

    assert await poll(harness.deps, source) == "changed"

    (told,) = await harness.events()
    assert (told.title, told.published) == ("Sak 1", day)


async def test_a_json_feed_item_is_dated_by_the_day_its_publisher_wrote(
    site: ScriptedSite, harness: Harness
) -> None:
    def document(count: int) -> bytes:
        items = [
            {
                "id": f"sak-{n}",
                "title": f"Sak {n}",
                "content_text": f"Sak {n} om helse.",
                "date_published": "2025-03-03T00:30:00+01:00",
            }
            for n in range(count)
        ]
        return json.dumps(
            {"version": "https://jsonfeed.org/version/1.1", "title": "Nyheter", "items": items}
        ).encode()

    site.set("/feed.json", Route(document(1), "application/feed+json"))
    source = await harness.add_source(site.url("/feed.json"), "feed")
    assert await poll(harness.deps, source) == "baseline"
    site.set("/feed.json", Route(document(2), "application/feed+json"))

    assert await poll(harness.deps, source) == "changed"

    (told,) = await harness.events()
    assert (told.title, told.published) == ("Sak 1", date(2025, 3, 3))


@pytest.mark.parametrize(
    ("stored_under", "late"),
    [
        (PUBLISHERS_DATES - 1, "Mon, 03 Mar 2025 00:30:00 +0100"),
        # Extraction 10 read a zone with a comment after it as no zone: UTC's day.
        (ZONE_COMMENTS - 1, "Mon, 03 Mar 2025 00:30:00 +0100 (CET)"),
    ],
)
async def test_a_feed_stored_under_utc_days_alerts_nobody_at_the_upgrade(
    site: ScriptedSite,
    harness: Harness,
    monkeypatch: pytest.MonkeyPatch,
    stored_under: int,
    late: str,
) -> None:
    # Dates are not compared: the day read otherwise is no news, and no item is told again.
    site.set("/rss", Route(feed([late, OLD_NEWS]), RSS))
    source = await harness.add_source(site.url("/rss"), "feed")
    await harness.baseline_under(source, stored_under, monkeypatch)

    site.set("/rss", Route(feed([late, OLD_NEWS]).replace(b"<channel>", b"<channel>\n"), RSS))
    assert await poll(harness.deps, source) == "unchanged"
    assert await harness.events() == []
    assert (await harness.source(source)).extraction == EXTRACTION

    site.set("/rss", Route(feed([late, OLD_NEWS, late]), RSS))
    assert await poll(harness.deps, source) == "changed"
    (told,) = await harness.events()
    assert (told.title, told.published) == ("Sak 2", date(2025, 3, 3))


async def test_a_reissue_across_the_upgrade_is_judged_by_the_days_it_was_stored_under(
    site: ScriptedSite, harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Extraction 10 read these dates as UTC's days (24 and 25 February), 11 as the publisher's
    # (25 and 26). Its CMS re-sends the notice under a new guid and link, dated afresh a day
    # later: a re-issue under either release alone (a day apart), but 11's new day beside 10's
    # stored one is two days apart, which a notice published again is (recurring.py).
    text = "Smittetallene for uka er publisert. Se tabellen for ditt fylke."

    def weekly(*items: tuple[str, str]) -> bytes:
        links = [("Ukens smittetall", f"https://www.fhi.no/{guid}") for guid, _ in items]
        dates = [when for _, when in items]
        return rss(links, [text] * len(items), dates=dates, guids=[g for g, _ in items])

    first = ("uke-9", "Tue, 25 Feb 2025 00:30:00 +0100 (CET)")
    site.set("/rss", Route(weekly(first), RSS))
    source = await harness.add_source(site.url("/rss"), "feed")
    await harness.baseline_under(source, ZONE_COMMENTS - 1, monkeypatch)

    site.set(
        "/rss", Route(weekly(("uke-9-ny", "Wed, 26 Feb 2025 00:30:00 +0100 (CET)"), first), RSS)
    )
    assert await poll(harness.deps, source) == "unchanged"
    assert await harness.events() == []
    assert (await harness.source(source)).extraction == EXTRACTION

    # Stored under 11 since: a notice published again a week later is told.
    week = ("uke-10", "Tue, 04 Mar 2025 00:30:00 +0100 (CET)")
    site.set(
        "/rss",
        Route(weekly(week, ("uke-9-ny", "Wed, 26 Feb 2025 00:30:00 +0100 (CET)"), first), RSS),
    )
    assert await poll(harness.deps, source) == "changed"
    (told,) = await harness.events()
    assert (told.url, told.published) == ("https://www.fhi.no/uke-10", date(2025, 3, 4))
