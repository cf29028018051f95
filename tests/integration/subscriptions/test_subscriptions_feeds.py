"""Each topic's changes as an Atom feed: valid Atom, newest first, cheap to poll, linked."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import feedparser
import pytest
from lxml import etree

from services.mailer.adapters import changes
from services.mailer.adapters.tables import ChangeRecord
from shared.events import ContentChanged
from shared.vocabulary import SourceKind

from .harness import ENDED_CATALOGUE, RELATED, START, TOPIC, Harness, running

ATOM = "{http://www.w3.org/2005/Atom}"
FEED = f"/topics/{TOPIC}/feed.atom"
ATOM_SCHEMA = etree.RelaxNG(
    etree.parse(str(Path(__file__).resolve().parents[2] / "fixtures" / "atom" / "atom.rng"))
)
HOSTILE = 'Ny side <script>alert(1)</script>"><img src=x onerror=alert(2)>'


async def _changed(h: Harness, topics: tuple[str, ...], title: str, at: datetime) -> uuid.UUID:
    """Store a change as the mailer does when the watcher announces one."""
    event = ContentChanged(
        source_id=1,
        source_url="https://www.fhi.no/om/fhi-og-verden/",
        kind=SourceKind.PAGE,
        topics=topics,
        title=title,
        url="https://www.fhi.no/om/fhi-og-verden/",
        summary=f"«{title}»: Et nytt avsnitt.",
        occurred_at=at,
    )
    async with h.runtime.sessions() as session, session.begin():
        await changes.store(session, event)
    return event.event_id


def _required_atom_elements(document: bytes) -> None:
    """Check a feed against RFC 4287: its grammar (a RELAX NG schema), then the rules beside it."""
    root = etree.fromstring(document)
    assert ATOM_SCHEMA.validate(root), ATOM_SCHEMA.error_log
    # Rules the grammar cannot say (sections 4.1.1 and 4.1.2): the feed names its author (so no
    # entry needs one) and its own address, and an entry without content links the change.
    assert len(root.findall(f"{ATOM}author")) == 1
    assert root.find(f"{ATOM}link[@rel='self']") is not None
    for entry in root.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated"):
            assert len(entry.findall(f"{ATOM}{name}")) == 1, name
        # Without <content>, an entry needs a link to the changed page and a summary.
        links = entry.findall(f"{ATOM}link")
        assert [link for link in links if link.get("rel", "alternate") == "alternate"]
        assert entry.find(f"{ATOM}summary") is not None
        assert entry.find(f"{ATOM}content") is None


async def test_a_topic_feed_lists_its_changes_newest_first(
    database_url: str, tmp_path: Path
) -> None:
    async with running(database_url, tmp_path) as h:
        older = await _changed(h, (TOPIC,), "Eldre endring", START - timedelta(days=2))
        newer = await _changed(h, (RELATED[0], TOPIC), HOSTILE, START - timedelta(hours=1))
        await _changed(h, (RELATED[0],), "Et annet tema", START)
        await _changed(h, ("norge-i-verden-2",), "Et nesten likt navn", START)
        answer = await h.client.get(FEED)
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/atom+xml; charset=utf-8"
        parsed = feedparser.parse(answer.content)
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        assert parsed.version == "atom10"
        assert parsed.feed.title == "Norge i verden – varsel"
        assert parsed.feed.language == "nb"
        assert [e.id for e in parsed.entries] == [f"urn:uuid:{newer}", f"urn:uuid:{older}"]
        assert [e.title for e in parsed.entries] == [HOSTILE, "Eldre endring"]
        assert parsed.entries[1].summary == "«Eldre endring»: Et nytt avsnitt."
        assert parsed.entries[0].link == "https://www.fhi.no/om/fhi-og-verden/"
        assert b"<script>" not in answer.content  # the title is escaped text
        _required_atom_elements(answer.content)
        english = feedparser.parse((await h.client.get(f"{FEED}?lang=en")).content)
        assert english.feed.title == "Norway in the world – varsel"
        assert english.feed.language == "en"


async def test_characters_xml_cannot_hold_are_left_out_of_the_feed(
    sqlite_url: str, tmp_path: Path
) -> None:
    # A CMS's note or a page can carry what no XML document may (U+FFFF, a vertical tab pasted
    # from a word processor): the feed leaves them out instead of failing for everyone. In a
    # title, which is one line, the vertical tab is a line break and reads as a space.
    async with running(sqlite_url, tmp_path) as h:
        change = await _changed(h, (TOPIC,), "Ny\x0bside \uffff\ufffe\x1b[31m", START)
        async with h.runtime.sessions() as session, session.begin():
            stored = await session.get(ChangeRecord, change)
            assert stored is not None
            stored.url = "https://www.fhi.no/side\uffff"
        answer = await h.client.get(FEED)
        assert answer.status_code == 200
        parsed = feedparser.parse(answer.content)
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        assert parsed.entries[0].title == "Ny side [31m"
        assert parsed.entries[0].link == "https://www.fhi.no/side"
        _required_atom_elements(answer.content)


async def test_a_change_with_an_odd_address_or_title_is_linked_and_the_feed_still_answers(
    sqlite_url: str, tmp_path: Path
) -> None:
    # Rows kept for 90 days, stored before the publisher API spelt addresses one way or by any
    # other path: none of them may fail the feed for every reader.
    odd = {
        "HTTPS://WWW.Example.org/Rapport?Side=2": "https://www.example.org/Rapport?Side=2",
        "HTTP://www.example.org/x": "http://www.example.org/x",
        "ftp://www.example.org/x": "https://www.fhi.no/om/fhi-og-verden/",  # the topic's page
        "": "https://www.fhi.no/om/fhi-og-verden/",
    }
    async with running(sqlite_url, tmp_path) as h:
        stored: dict[uuid.UUID, str] = {}
        for minutes, (url, linked) in enumerate(odd.items()):
            change = await _changed(h, (TOPIC,), "Endring", START - timedelta(minutes=minutes))
            async with h.runtime.sessions() as session, session.begin():
                row = await session.get(ChangeRecord, change)
                assert row is not None
                row.url, row.title = url, "\x0b\x1f"  # nothing XML can hold
            stored[change] = linked
        answer = await h.client.get(FEED)
        assert answer.status_code == 200, answer.text
        parsed = feedparser.parse(answer.content)
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        assert {uuid.UUID(e.id.removeprefix("urn:uuid:")): e.link for e in parsed.entries} == stored
        assert {e.title for e in parsed.entries} == {"Norge i verden"}
        _required_atom_elements(answer.content)


async def test_an_empty_feed_is_valid_and_an_unknown_topic_is_404(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        empty = await h.client.get(FEED)
        assert empty.status_code == 200
        parsed = feedparser.parse(empty.content)
        assert parsed.bozo == 0
        assert parsed.entries == []
        assert "last-modified" not in empty.headers
        _required_atom_elements(empty.content)
        assert (await h.client.get("/topics/finnes-ikke/feed.atom")).status_code == 404
        assert (await h.client.get("/topics/Norge/feed.atom")).status_code == 404


@pytest.mark.parametrize("lang", ["nb", "nn", "en"])
async def test_an_ended_topics_feed_is_gone_with_its_sign_up_pages_words(
    sqlite_url: str, tmp_path: Path, lang: str
) -> None:
    config = tmp_path / "catalogue.toml"
    config.write_text(ENDED_CATALOGUE, encoding="utf-8")
    async with running(sqlite_url, tmp_path, config=config) as h:
        page = await h.client.get(f"/subscribe/gammelt-tema?lang={lang}")
        feed = await h.client.get(f"/topics/gammelt-tema/feed.atom?lang={lang}")
        # 410, not 404 or an empty feed: readers learn the topic is over, not missing.
        assert (page.status_code, feed.status_code) == (410, 410)
        assert feed.headers["content-type"].startswith("text/html")

        def words(html: str) -> str:
            return html.split('<main id="main">')[1].split("</main>")[0]

        assert words(feed.text) == words(page.text)
        title = {"nb": "Gammelt tema", "nn": "Gamalt tema", "en": "Old topic"}[lang]
        assert title in words(feed.text)
        assert '<a href="/subscribe/helsenyheter">' in words(feed.text)
        assert (await h.client.get("/topics/helsenyheter/feed.atom")).status_code == 200


async def test_readers_can_poll_with_etag_and_last_modified(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h:
        at = START - timedelta(hours=1)
        await _changed(h, (TOPIC,), "Endring", at)
        first = await h.client.get(FEED)
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        assert modified == format_datetime(at, usegmt=True)
        assert "max-age" in first.headers["cache-control"]
        same = await h.client.get(FEED, headers={"If-None-Match": etag})
        assert (same.status_code, same.content) == (304, b"")
        assert same.headers["etag"] == etag
        since = await h.client.get(FEED, headers={"If-Modified-Since": modified})
        assert since.status_code == 304
        before = format_datetime(at - timedelta(minutes=1), usegmt=True)
        assert (await h.client.get(FEED, headers={"If-Modified-Since": before})).status_code == 200
        garbage = await h.client.get(FEED, headers={"If-Modified-Since": "yesterday"})
        assert garbage.status_code == 200
        # A new change is a new document: the old validator no longer matches.
        await _changed(h, (TOPIC,), "Enda en endring", START)
        fresh = await h.client.get(FEED, headers={"If-None-Match": etag})
        assert fresh.status_code == 200
        assert fresh.headers["etag"] != etag
        # If-None-Match wins over If-Modified-Since (RFC 9110).
        stale = {"If-None-Match": etag, "If-Modified-Since": format_datetime(datetime.now(UTC))}
        assert (await h.client.get(FEED, headers=stale)).status_code == 200


FUTURE = "Fri, 31 Dec 9999 23:59:59 GMT"


async def test_conditional_requests_follow_rfc_9110(sqlite_url: str, tmp_path: Path) -> None:
    async with running(sqlite_url, tmp_path) as h:
        await _changed(h, (TOPIC,), "Endring", START - timedelta(hours=1))
        etag = (await h.client.get(FEED)).headers["etag"]
        other = '"0123456789abcdef0123456789abcdef"'

        async def status(**asked: str) -> int:
            headers = {name.replace("_", "-"): value for name, value in asked.items()}
            return (await h.client.get(FEED, headers=headers)).status_code

        # If-None-Match compares weakly: a proxy that compresses the feed makes its tag weak.
        assert await status(if_none_match=f"W/{etag}") == 304
        assert await status(if_none_match=f'{other}, W/"x,y", {etag}') == 304
        assert await status(if_none_match=f"{other},W/{etag}") == 304
        assert await status(if_none_match="*") == 304
        assert await status(if_none_match=f"W/{other}") == 200
        # A date later than the server's clock is invalid and ignored (RFC 9110, 13.1.3)...
        assert await status(if_modified_since=FUTURE) == 200
        tomorrow = format_datetime(START + timedelta(days=1), usegmt=True)
        assert await status(if_modified_since=tomorrow) == 200
        assert await status(if_modified_since=format_datetime(START, usegmt=True)) == 304
        # ... and so is any date when If-None-Match is sent.
        assert await status(if_none_match=other, if_modified_since=FUTURE) == 200
        assert await status(if_none_match=f"W/{etag}", if_modified_since="yesterday") == 304


async def test_static_files_ignore_a_date_from_the_future(sqlite_url: str, tmp_path: Path) -> None:
    async with running(sqlite_url, tmp_path) as h:
        first = await h.client.get("/static/varsel.css")
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        future = await h.client.get("/static/varsel.css", headers={"If-Modified-Since": FUTURE})
        assert future.status_code == 200
        assert future.content == first.content
        since = await h.client.get("/static/varsel.css", headers={"If-Modified-Since": modified})
        assert since.status_code == 304
        weak = await h.client.get("/static/varsel.css", headers={"If-None-Match": f"W/{etag}"})
        assert weak.status_code == 304


@pytest.mark.parametrize("lang", ["nb", "nn", "en"])
async def test_the_sign_up_page_links_its_feed(sqlite_url: str, tmp_path: Path, lang: str) -> None:
    async with running(sqlite_url, tmp_path) as h:
        page = await h.client.get(f"/subscribe/{TOPIC}?lang={lang}")
        head = page.text.split("</head>")[0]
        assert (
            f'<link rel="alternate" type="application/atom+xml" href="{FEED}?lang={lang}"' in head
        )
        assert f'href="{FEED}?lang={lang}" type="application/atom+xml">' in page.text
        embed = await h.client.get(f"/embed/subscribe/{TOPIC}?lang={lang}")
        assert f'href="{FEED}?lang={lang}" type="application/atom+xml">' not in embed.text


@pytest.mark.parametrize(
    "broken",
    [
        "<id>x</id><title>t</title>",  # no updated
        "<id>x</id><title>t</title><title>u</title><updated>2026-01-01T00:00:00Z</updated>",
        "<id>x</id><title>t</title><updated>1. januar 2026</updated>",
        "<id>x</id><title>t</title><updated>2026-01-01T00:00:00Z</updated>"
        "<entry><title>e</title><updated>2026-01-01T00:00:00Z</updated></entry>",  # no id
    ],
)
def test_the_atom_schema_is_not_vacuous(broken: str) -> None:
    feed = f'<feed xmlns="http://www.w3.org/2005/Atom">{broken}</feed>'
    assert not ATOM_SCHEMA.validate(etree.fromstring(feed))
