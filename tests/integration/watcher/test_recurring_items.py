"""A feed's recurring notice over real HTTP: a weekly «Ukens smittetall», re-published with a new
guid and link and a new date, is told each week; the same item re-sent by its CMS is not."""

from __future__ import annotations

from sqlalchemy import select, update

from services.watcher.adapters.tables import Snapshot
from services.watcher.domain.recurring import DATED
from services.watcher.handlers import poll
from tests.integration.watcher.conftest import Harness, HarnessFactory
from tests.integration.watcher.server import Route, ScriptedSite
from tests.support.feeds import rss

RSS = "application/rss+xml"
WEEKLY = ("Ukens smittetall", "Smittetallene for uka er publisert. Se tabellen for ditt fylke.")
OTHER = ("Ny veileder om vaksine", "Helsedirektoratet har publisert en ny veileder.")
# Three Mondays up to the harness clock's.
MONDAYS = {
    1: "Mon, 17 Feb 2025 09:00:00 +0100",
    2: "Mon, 24 Feb 2025 09:00:00 +0100",
    3: "Mon, 03 Mar 2025 09:00:00 +0100",
}
MIDNIGHT = "Tue, 25 Feb 2025 00:05:00 +0100"  # a re-send dated afresh, the next day


def _feed(items: list[tuple[str, str, str]], other: bool = False) -> bytes:
    """Return a feed of the weekly notice under (guid, link, date), newest first."""
    titles = [(WEEKLY[0], f"https://www.fhi.no/{link}") for _, link, _ in items]
    texts = [WEEKLY[1]] * len(items)
    dates = [when for _, _, when in items]
    guids = [guid for guid, _, _ in items]
    if other:
        titles.insert(0, (OTHER[0], "https://www.fhi.no/veileder"))
        texts.insert(0, OTHER[1])
        dates.insert(0, MONDAYS[2])
        guids.insert(0, "veileder")
    return rss(titles, texts, dates=dates, guids=guids)


async def _weekly_told_each_week(harness: Harness, site: ScriptedSite) -> None:
    week_1 = ("uke-1", "smittetall/uke-1", MONDAYS[1])
    week_2 = ("uke-2", "smittetall/uke-2", MONDAYS[2])
    site.set("/rss", Route(_feed([week_1]), RSS))
    source = await harness.add_source(site.url("/rss"), "feed")
    assert await poll(harness.deps, source) == "baseline"

    site.set("/rss", Route(_feed([week_2, week_1]), RSS))
    assert await poll(harness.deps, source) == "changed"
    (told,) = await harness.events()
    assert (told.title, told.url) == (WEEKLY[0], "https://www.fhi.no/smittetall/uke-2")

    # Minutes later its CMS re-sends week 2 under a new guid: with its date, or dated afresh
    # past midnight, under its link or a new one. None of it is news.
    for guid, link, when in [
        ("uke-2-b", "smittetall/uke-2", MONDAYS[2]),
        ("uke-2-c", "smittetall/uke-2-kopi", MONDAYS[2]),
        ("uke-2-d", "smittetall/uke-2-ny", MIDNIGHT),
        ("uke-2-e", "smittetall/uke-2-e", MONDAYS[2]),  # in the place of week 2
    ]:
        kept = [week_1] if guid == "uke-2-e" else [week_2, week_1]
        site.set("/rss", Route(_feed([(guid, link, when), *kept]), RSS))
        assert await poll(harness.deps, source) == "unchanged", guid
    assert len(await harness.events()) == 1

    week_3 = ("uke-3", "smittetall/uke-3", MONDAYS[3])
    site.set("/rss", Route(_feed([week_3, week_2, week_1]), RSS))
    assert await poll(harness.deps, source) == "changed"
    assert [e.url for e in await harness.events()][-1] == "https://www.fhi.no/smittetall/uke-3"


async def test_a_weekly_notice_is_told_each_week_and_a_reissue_never(
    site: ScriptedSite, harness: Harness
) -> None:
    await _weekly_told_each_week(harness, site)


async def test_a_weekly_notice_on_postgresql(
    site: ScriptedSite, make_harness: HarnessFactory, postgres_url: str
) -> None:
    await _weekly_told_each_week(make_harness(postgres_url), site)


async def test_a_notice_republished_with_no_date_of_its_own_stays_a_reissue(
    site: ScriptedSite, harness: Harness
) -> None:
    # Without its publisher's date a new guid and link cannot tell a new week from a site
    # moved to a new CMS, which re-sends every item at once: as before, no one is told.
    site.set("/rss", Route(_feed([("uke-1", "smittetall/uke-1", "")]), RSS))
    source = await harness.add_source(site.url("/rss"), "feed")
    assert await poll(harness.deps, source) == "baseline"
    site.set(
        "/rss",
        Route(_feed([("uke-2", "smittetall/uke-2", ""), ("uke-1", "smittetall/uke-1", "")]), RSS),
    )

    assert await poll(harness.deps, source) == "unchanged"
    assert await harness.events() == []


async def test_a_feed_stored_before_the_dates_were_kept_alerts_nobody_at_the_upgrade(
    site: ScriptedSite, harness: Harness
) -> None:
    # Stored by the release before: week 2 was taken as a re-issue of week 1, and its
    # snapshot keeps no dates. The next change of the feed tells only what is new in it.
    week_1 = ("uke-1", "smittetall/uke-1", MONDAYS[1])
    week_2 = ("uke-2", "smittetall/uke-2", MONDAYS[2])
    site.set("/rss", Route(_feed([week_2, week_1]), RSS))
    source = await harness.add_source(site.url("/rss"), "feed")
    assert await poll(harness.deps, source) == "baseline"
    async with harness.deps.sessions() as session, session.begin():
        (meta,) = (await session.scalars(select(Snapshot.meta))).all()
        assert meta is not None and DATED in meta
        older = {key: value for key, value in meta.items() if key != DATED}
        await session.execute(update(Snapshot).values(meta=older))

    site.set("/rss", Route(_feed([week_2, week_1], other=True), RSS))
    assert await poll(harness.deps, source) == "changed"

    (told,) = await harness.events()
    assert told.title == OTHER[0]
    # And from then on the notice is told as any recurring one.
    week_3 = ("uke-3", "smittetall/uke-3", MONDAYS[3])
    site.set("/rss", Route(_feed([week_3, week_2, week_1], other=True), RSS))
    assert await poll(harness.deps, source) == "changed"
    assert [e.url for e in await harness.events()][-1] == "https://www.fhi.no/smittetall/uke-3"


def _weekly(guid: str, link: str, when: str) -> tuple[str, str, str]:
    return (guid, f"n/{link}", when)


async def _a_typo_in_a_date_blocks_no_later_week(harness: Harness, site: ScriptedSite) -> None:
    g1 = _weekly("g1", "1", MONDAYS[1])
    g2 = _weekly("g2", "2", MONDAYS[2])
    site.set("/rss", Route(_feed([g2, g1]), RSS))
    source = await harness.add_source(site.url("/rss"), "feed")
    assert await poll(harness.deps, source) == "baseline"
    # Its publisher dates the next one 2062 for 2026 (not told: a date that far is mistaken).
    g3 = _weekly("g3", "3", "Sun, 02 Mar 2062 09:00:00 +0100")
    site.set("/rss", Route(_feed([g3, g2, g1]), RSS))
    await poll(harness.deps, source)
    async with harness.deps.sessions() as session:
        metas = (await session.scalars(select(Snapshot.meta).order_by(Snapshot.id))).all()
    assert all(not day.startswith("2062") for day in (metas[-1] or {})[DATED].values())

    # and puts it right under a new guid and link: told, as any new week is.
    g4 = _weekly("g4", "4", MONDAYS[3])
    site.set("/rss", Route(_feed([g4, g2, g1]), RSS))
    assert await poll(harness.deps, source) == "changed"
    (told,) = await harness.events()
    assert told.url == "https://www.fhi.no/n/4"


async def test_an_item_dated_decades_ahead_does_not_block_the_next_week(
    site: ScriptedSite, harness: Harness
) -> None:
    await _a_typo_in_a_date_blocks_no_later_week(harness, site)


async def test_an_item_dated_decades_ahead_on_postgresql(
    site: ScriptedSite, make_harness: HarnessFactory, postgres_url: str
) -> None:
    await _a_typo_in_a_date_blocks_no_later_week(make_harness(postgres_url), site)


async def test_a_date_decades_ahead_stored_before_blocks_nothing_once_its_item_is_gone(
    site: ScriptedSite, harness: Harness
) -> None:
    # Stored by the release before, which kept a mistaken 2062 as the text's latest date; the
    # item that carried it has left the feed, and so have the weeks before it.
    g1 = _weekly("g1", "1", MONDAYS[1])
    site.set("/rss", Route(_feed([g1]), RSS))
    source = await harness.add_source(site.url("/rss"), "feed")
    assert await poll(harness.deps, source) == "baseline"
    async with harness.deps.sessions() as session, session.begin():
        (meta,) = (await session.scalars(select(Snapshot.meta))).all()
        assert meta is not None
        (mark,) = meta[DATED]
        mistaken = {**meta, DATED: {mark: "2062-03-02 0badc0de"}}
        await session.execute(update(Snapshot).values(meta=mistaken))

    site.set("/rss", Route(_feed([_weekly("g4", "4", MONDAYS[3])]), RSS))
    assert await poll(harness.deps, source) == "changed"
    (told,) = await harness.events()
    assert told.url == "https://www.fhi.no/n/4"
