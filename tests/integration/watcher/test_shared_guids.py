"""A feed whose items share a guid, over real HTTP: every item told once, whatever the order."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import update

from services.watcher.adapters.snapshots import pack, unpack
from services.watcher.adapters.tables import Snapshot, WatchedSource
from services.watcher.domain.news import seen_entries
from services.watcher.handlers import poll
from tests.integration.watcher.conftest import Harness
from tests.integration.watcher.server import Route, ScriptedSite

RSS = "application/rss+xml"


def feed(items: list[tuple[str, int]]) -> bytes:
    """Return an RSS feed of (guid, number) items; a CMS gave several items one guid."""
    body = "".join(
        f"""<item><title>Sak nummer {n} om folkehelse</title>
<link>https://example.no/sak/{n}</link><guid isPermaLink="false">{guid}</guid>
<description>Dette er nyhetssak {n}, med tekst om helse og omsorg i kommunene.</description>
</item>"""
        for guid, n in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Nyheter</title><link>https://example.no/</link>{body}</channel></rss>"
    ).encode()


async def _watched(harness: Harness, site: ScriptedSite, items: list[tuple[str, int]]) -> int:
    site.set("/rss", Route(feed(items), RSS))
    source = await harness.add_source(site.url("/rss"), "feed")
    assert await poll(harness.deps, source) == "baseline"
    return source


async def _titles(harness: Harness) -> list[str]:
    return [e.title for e in await harness.events()]


async def test_reordering_items_that_share_a_guid_is_no_news(
    site: ScriptedSite, harness: Harness
) -> None:
    source = await _watched(harness, site, [("sak", 1), ("sak", 2), ("annen", 3)])

    site.set("/rss", Route(feed([("sak", 2), ("annen", 3), ("sak", 1)]), RSS))

    assert await poll(harness.deps, source) == "unchanged"
    assert await harness.events() == []


async def test_every_item_sharing_a_guid_is_told_once(site: ScriptedSite, harness: Harness) -> None:
    source = await _watched(harness, site, [("annen", 3)])

    site.set("/rss", Route(feed([("sak", 1), ("sak", 2), ("annen", 3)]), RSS))
    assert await poll(harness.deps, source) == "changed"
    site.set("/rss", Route(feed([("sak", 2), ("sak", 1), ("annen", 3)]), RSS))
    assert await poll(harness.deps, source) == "unchanged"

    assert sorted(await _titles(harness)) == [
        "Sak nummer 1 om folkehelse",
        "Sak nummer 2 om folkehelse",
    ]


async def test_a_snapshot_that_kept_only_a_guids_first_item_alerts_nobody_on_upgrade(
    site: ScriptedSite, harness: Harness
) -> None:
    items = [("sak", 1), ("sak", 2), ("annen", 3)]
    source = await _watched(harness, site, items)
    # As an earlier release stored it: the guid's first item under the bare guid, the second
    # dropped, and no mark in the meta that entries were keyed apart.
    (snapshot,) = await harness.snapshots(source)
    stored = unpack(snapshot.content)
    first, _, other = stored.entries
    old = replace(
        stored,
        blocks=(stored.blocks[0], stored.blocks[2]),
        entries=(replace(first, key="sak"), other),
    )
    async with harness.deps.sessions() as session, session.begin():
        await session.execute(
            update(Snapshot)
            .where(Snapshot.id == snapshot.id)
            .values(
                content=pack(old),
                fingerprint=old.fingerprint,
                meta={"seen": seen_entries(None, old)},
            )
        )
        await session.execute(
            update(WatchedSource)
            .where(WatchedSource.id == source)
            .values(fingerprint=old.fingerprint, body_hash=None)
        )

    assert await poll(harness.deps, source) == "unchanged"
    assert await harness.events() == []

    # From then on like is compared with like: a new item under the shared guid is told.
    site.set("/rss", Route(feed([("sak", 4), *items]), RSS))
    assert await poll(harness.deps, source) == "changed"
    assert await _titles(harness) == ["Sak nummer 4 om folkehelse"]
