"""What the watcher tells the mailer about a feed: links it can follow, text it can store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from services.mailer.adapters.tables import ChangeRecord
from services.watcher.domain.content import compare, parse_content
from services.watcher.domain.model import Content
from services.watcher.domain.news import (
    FEED_BURST,
    change_events,
    one_for_a_burst,
    seen_entries,
    without_future_dates,
)
from shared.events import ContentChanged
from tests.support.feeds import rss

FEED_URL = "https://www.regjeringen.no/no/rss/hod-nyheter/"


@dataclass(frozen=True)
class Source:
    id: int
    url: str
    kind: str
    topics: tuple[str, ...]


FEED = Source(id=7, url=FEED_URL, kind="feed", topics=("helsenyheter",))


def _events(items: list[tuple[str, str]]) -> list[ContentChanged]:
    """Return the events for ``items`` appearing after a feed that held only an old item."""
    old = parse_content("feed", rss([("Eldre sak om folkehelse", "https://example.no/gammel")]))
    old_key = old.entries[0].key
    new = parse_content(
        "feed", rss([("Eldre sak om folkehelse", "https://example.no/gammel"), *items])
    )
    seen = {old_key: seen_entries(None, old)[old_key]}
    return change_events(FEED, new, compare(old, new), seen)


def test_a_relative_link_is_resolved_against_the_feeds_address() -> None:
    (event,) = _events([("Relativ sak", "/nyheter/relativ-sak")])
    assert event.url == "https://www.regjeringen.no/nyheter/relativ-sak"
    (sibling,) = _events([("Søsken", "sak-2?id=3#del")])
    assert sibling.url == "https://www.regjeringen.no/no/rss/hod-nyheter/sak-2?id=3#del"
    (scheme_relative,) = _events([("Uten skjema", "//www.fhi.no/nyheter/a")])
    assert scheme_relative.url == "https://www.fhi.no/nyheter/a"


def test_a_link_that_is_no_web_address_falls_back_to_the_feed() -> None:
    for link in ("javascript:alert(1)", "mailto:post@hod.dep.no", "data:text/html,x", "  "):
        (event,) = _events([("Sak med rar lenke", link)])
        assert event.url == FEED_URL, link


def test_spaces_quotes_and_letters_beyond_ascii_in_a_link_are_percent_encoded() -> None:
    (event,) = _events([("Sak", '/nyheter/blåbær og "tyttebær"<x>')])
    assert event.url == (
        "https://www.regjeringen.no/nyheter/bl%C3%A5b%C3%A6r%20og%20%22tytteb%C3%A6r%22%3Cx%3E"
    )


def test_what_a_feed_publishes_always_fits_the_mailers_record_of_it() -> None:
    long_title = "Overskrift " * 80
    long_link = "/nyheter/" + "a" * 3000
    (event,) = _events([(long_title, long_link)])
    columns = ChangeRecord.__table__.c
    assert 0 < len(event.title) <= columns.title.type.length
    assert event.title.endswith("…")
    assert len(event.url) <= columns.url.type.length
    assert len(event.source_url) <= columns.source_url.type.length


def test_control_characters_never_reach_an_event() -> None:
    (event,) = _events([("Tittel\x01med\x7fkontroll\x07tegn", "/nyheter/a")])
    for value in (event.title, event.summary, event.url):
        assert value.isprintable(), value
    assert event.title == "Tittelmedkontrolltegn"


def test_a_feeds_title_is_one_line_without_bidirectional_controls() -> None:
    # An isolate survives the extraction's normalising; the shared rule takes it out.
    (event,) = _events([("Rapport \u2066fdp.tropper\u2069\u2028i dag", "/nyheter/a")])
    assert event.title == "Rapport fdp.tropper i dag"
    assert event.summary.isprintable(), event.summary


def _updated(before: list[tuple[str, str, str]], after: list[tuple[str, str, str]]) -> list[str]:
    """Return the summaries mailed when a feed of (title, link, text) items becomes another."""
    old, new = (
        parse_content("feed", rss([(t, link) for t, link, _ in items], [x for *_, x in items]))
        for items in (before, after)
    )
    return [e.summary for e in change_events(FEED, new, compare(old, new), seen_entries(None, old))]


LINK = "https://www.regjeringen.no/no/aktuelt/norge-og-frankrike-helsepartnerskap/id3041234/"
TEXT = (
    "Norge og Frankrike har inngått en avtale om et nytt helsepartnerskap. "
    "Samarbeidet ble presentert under et møte mellom helsemyndigheter i Paris denne uken."
)


def test_an_entry_with_a_new_title_is_mailed_with_the_title_not_its_unchanged_text() -> None:
    (summary,) = _updated(
        [("Norge og Frankrike inngår nytt helsepartnerskap", LINK, TEXT)],
        [("Norge og Frankrike undertegner helsepartnerskap", LINK, TEXT)],
    )
    assert summary == "Ny tittel: «Norge og Frankrike undertegner helsepartnerskap»"


def test_an_entry_with_a_changed_sentence_is_mailed_with_that_sentence() -> None:
    (summary,) = _updated(
        [("Helsepartnerskap", LINK, TEXT)],
        [("Helsepartnerskap", LINK, TEXT.replace("denne uken", "på tirsdag"))],
    )
    assert summary == (
        "…Samarbeidet ble presentert under et møte mellom helsemyndigheter i Paris på tirsdag."
    )


def test_a_new_entry_is_mailed_with_its_text() -> None:
    older = ("Eldre sak om folkehelse", "https://example.no/g")
    old = parse_content("feed", rss([older], ["Eldre tekst."]))
    new = parse_content("feed", rss([older, ("Ny sak", LINK)], ["Eldre tekst.", TEXT]))
    (event,) = change_events(FEED, new, compare(old, new), seen_entries(None, old))
    assert event.summary == TEXT


def _dated_feed(count: int) -> bytes:
    """Return a feed of items «Sak 1» … «Sak ``count``», item n dated n June 2026."""
    numbers = range(1, count + 1)
    return rss(
        [(f"Sak {n}", f"https://example.no/sak/{n}") for n in numbers],
        dates=[f"Mon, {n:02d} Jun 2026 08:00:00 +0000" for n in numbers],
        title="Nyheter fra departementet",
    )


def _new_after_one(count: int) -> tuple[Content, list[ContentChanged]]:
    """Return a feed of ``count`` entries after one that held its first, and its events."""
    old = parse_content("feed", _dated_feed(1))
    new = parse_content("feed", _dated_feed(count))
    return new, change_events(FEED, new, compare(old, new), seen_entries(None, old))


def test_a_burst_of_entries_is_told_as_one_change_naming_the_first() -> None:
    archive, every = _new_after_one(FEED_BURST + 18)
    assert len(every) == FEED_BURST + 17

    (told,) = one_for_a_burst(FEED, archive, every)

    assert told.title == "Nyheter fra departementet"
    assert told.url == FEED_URL
    assert told.summary.splitlines() == [
        *(f"«Sak {n}»" for n in range(2, FEED_BURST + 2)),
        "…",
    ]
    assert told.published is not None and told.published.day == FEED_BURST + 18
    assert told.topics == FEED.topics and told.source_id == FEED.id


def test_as_many_entries_as_a_feed_publishes_between_polls_are_each_told() -> None:
    busy, every = _new_after_one(FEED_BURST + 1)

    assert one_for_a_burst(FEED, busy, every) == every
    assert [e.title for e in every] == [f"Sak {n}" for n in range(2, FEED_BURST + 2)]


def test_a_page_is_never_told_as_a_burst() -> None:
    page = Source(id=8, url="https://www.fhi.no/side/", kind="page", topics=("helse",))
    content, events = _new_after_one(FEED_BURST + 5)

    assert one_for_a_burst(page, content, events) == events


def test_a_guid_that_is_no_address_is_no_link() -> None:
    # RSS takes a guid for the item's address unless it says isPermaLink="false"; a CMS that
    # writes «sak-1234» there without a <link> would send readers to the feed's host + sak-1234.
    def item(title: str, inner: str) -> str:
        text = f"<description>Tekst om {title}.</description>"
        return f"<item><title>{title}</title>{inner}{text}</item>"

    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Nyheter</title>'
        + item("Gammel", "<guid>gammel</guid>")
        + item("Bare id", "<guid>sak-1234</guid>")
        + item("Adresse", "<guid>https://www.regjeringen.no/no/sak/5/</guid>")
        + item("Sti", "<guid>/no/aktuelt/sak-6/</guid>")
        + item("Ikke lenke", '<guid isPermaLink="false">https://example.no/7</guid>')
        + item("Med lenke", "<link>https://example.no/8</link><guid>sak-8</guid>")
        + "</channel></rss>"
    ).encode()
    new = parse_content("feed", body)
    old = parse_content("feed", rss([("Gammel", "https://example.no/gammel")]))
    assert [e.link for e in new.entries][1:] == [
        "",
        "https://www.regjeringen.no/no/sak/5/",
        "/no/aktuelt/sak-6/",
        "",
        "https://example.no/8",
    ]
    links = {e.title: e.url for e in change_events(FEED, new, compare(old, new), {})}
    assert links["Bare id"] == FEED_URL
    assert links["Adresse"] == "https://www.regjeringen.no/no/sak/5/"
    assert links["Sti"] == "https://www.regjeringen.no/no/aktuelt/sak-6/"
    assert links["Ikke lenke"] == FEED_URL
    assert links["Med lenke"] == "https://example.no/8"


def test_a_date_later_than_tomorrow_is_left_out_of_the_change() -> None:
    today = date(2026, 12, 5)
    _, (first, second, third) = _new_after_one(4)
    events = [
        first.model_copy(update={"published": date(9999, 12, 31), "updated": today}),
        second.model_copy(update={"published": today + timedelta(days=1)}),
        third.model_copy(update={"published": today + timedelta(days=2)}),
    ]

    kept = without_future_dates(events, today)

    assert [(e.published, e.updated) for e in kept] == [
        (None, today),
        (today + timedelta(days=1), None),
        (None, None),
    ]
    assert [e.event_id for e in kept] == [e.event_id for e in events]


def test_a_feed_that_numbers_its_entries_by_place_tells_only_the_new_one_on_top() -> None:
    """Its guids are places («sak-0», «sak-1», …): an entry added on top gives every other the
    next guid, and each was told as rewritten into the one above it («Ny tittel: Sak 1»)."""
    items = [(f"Sak {n} om helse", f"https://example.no/sak-{n}") for n in range(1, 6)]
    texts = [f"Tekst om sak {n} i kommunene." for n in range(1, 6)]
    old = parse_content("feed", rss(items, texts))
    top = ("Ny sak om vaksiner", "https://example.no/ny")
    new = parse_content("feed", rss([top, *items[:4]], [TEXT, *texts[:4]]))
    assert [e.key for e in new.entries] == [e.key for e in old.entries]  # the same guids

    change = compare(old, new)
    (event,) = change_events(FEED, new, change, seen_entries(None, old))

    assert event.title == "Ny sak om vaksiner" and event.summary == TEXT
    assert change.summary == "Ny sak: Ny sak om vaksiner"


def test_an_entry_rewritten_in_place_is_still_told_where_others_keep_their_places() -> None:
    items = [(f"Sak {n} om helse", f"https://example.no/sak-{n}") for n in range(1, 4)]
    texts = [f"Tekst om sak {n} i kommunene." for n in range(1, 4)]
    old = parse_content("feed", rss(items, texts))
    new = parse_content("feed", rss(items, [texts[0], "Tekst om sak 2, rettet.", texts[2]]))

    (event,) = change_events(FEED, new, compare(old, new), seen_entries(None, old))

    assert event.title == "Sak 2 om helse" and "rettet" in event.summary
