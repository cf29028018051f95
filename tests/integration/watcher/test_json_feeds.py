"""A JSON Feed over real HTTP: a baseline, then each new item told once, as an RSS item is."""

from __future__ import annotations

import json
from datetime import date

from services.watcher.handlers import poll
from tests.integration.watcher.conftest import Harness
from tests.integration.watcher.server import Route, ScriptedSite


def json_feed(numbers: list[int]) -> bytes:
    items = [
        {
            "id": f"sak-{n}",
            "url": f"https://www.example.no/nyheter/sak-{n}",
            "title": f"Sak nummer {n} om folkehelse",
            "content_html": f"<p>Dette er nyhetssak {n}, om helse og omsorg i kommunene.</p>",
            "date_published": f"2025-03-0{n}T07:00:00+01:00",
        }
        for n in numbers
    ]
    document = {"version": "https://jsonfeed.org/version/1.1", "title": "Nyheter", "items": items}
    return json.dumps(document).encode()


async def test_a_new_item_of_a_json_feed_is_told_once(site: ScriptedSite, harness: Harness) -> None:
    site.set("/feed.json", Route(json_feed([2, 1]), "application/feed+json"))
    source = await harness.add_source(site.url("/feed.json"), "feed")
    assert await poll(harness.deps, source) == "baseline"
    site.set("/feed.json", Route(json_feed([3, 2, 1]), "application/feed+json"))

    assert await poll(harness.deps, source) == "changed"

    (event,) = await harness.events()
    assert (event.title, event.url) == (
        "Sak nummer 3 om folkehelse",
        "https://www.example.no/nyheter/sak-3",
    )
    assert event.published == date(2025, 3, 3)
    assert event.summary == "Dette er nyhetssak 3, om helse og omsorg i kommunene."
    site.set("/feed.json", Route(json_feed([1, 3, 2]), "application/feed+json"))
    assert await poll(harness.deps, source) == "unchanged"  # reordered: no news
