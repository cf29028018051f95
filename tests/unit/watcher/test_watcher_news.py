"""What the watcher tells the mailer about a feed: links it can follow, text it can store."""

from __future__ import annotations

from dataclasses import dataclass

from services.mailer.adapters.tables import ChangeRecord
from services.watcher.domain.content import compare, parse_content
from services.watcher.domain.news import change_events, seen_entries
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
