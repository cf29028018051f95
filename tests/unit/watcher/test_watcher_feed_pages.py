"""A feed's address that answers a web page: the failure says so and names the feed the page
links to, where it names one an editor can follow; a feed is read as it was."""

from __future__ import annotations

import pytest

from services.watcher.domain.content import ContentError, parse_content

SAID = "feed: the address answers a web page, not a web feed"


def _page(head: str = "") -> bytes:
    return (
        f"<!DOCTYPE html><html><head><title>Nyheter</title>{head}</head>"
        "<body><main><h1>Nyheter</h1><p>Ny veileder om kikhoste.</p></main></body></html>"
    ).encode()


def _link(href: str, kind: str = "application/rss+xml", rel: str = "alternate") -> str:
    return f'<link rel="{rel}" type="{kind}" href="{href}">'


@pytest.mark.parametrize(
    ("head", "named"),
    [
        (_link("https://x.org/nyheter/rss"), "https://x.org/nyheter/rss"),
        (_link("/nyheter/rss.xml", "application/atom+xml"), "/nyheter/rss.xml"),
        (_link("/feed.json", "application/feed+json; charset=utf-8"), "/feed.json"),
        (_link("/nye saker/rss", rel="Alternate home"), "/nye%20saker/rss"),
        # The first feed the page links to; a stylesheet or another language's page is none.
        (_link("/s.css", "text/css", "stylesheet") + _link("/a", "text/html") + _link("/b"), "/b"),
    ],
)
def test_a_page_that_links_a_feed_names_it(head: str, named: str) -> None:
    with pytest.raises(ContentError) as refused:
        parse_content("feed", _page(head), content_type="text/html; charset=utf-8")

    assert str(refused.value) == f"{SAID}; the page names a feed at {named}"


@pytest.mark.parametrize(
    "head",
    [
        "",
        _link("javascript:void(0)"),
        _link("rss.xml"),  # relative to an address this reading does not know
        _link("//cdn.x.org/rss"),
        _link("/" + "x" * 600),  # longer than a reason shows
    ],
)
def test_a_page_that_links_no_feed_an_editor_can_follow_says_it_is_a_page(head: str) -> None:
    with pytest.raises(ContentError) as refused:
        parse_content("feed", _page(head))

    assert str(refused.value) == SAID


def test_an_empty_feed_and_broken_xml_are_no_web_page() -> None:
    empty = b'<?xml version="1.0"?><rss version="2.0"><channel><title>N</title></channel></rss>'
    with pytest.raises(ContentError, match=r"^feed: no entries$"):
        parse_content("feed", empty)
    with pytest.raises(ContentError, match=r"^feed: malformed feed with no entries"):
        parse_content("feed", b"Service Unavailable")


def test_a_feed_whose_entries_hold_html_documents_is_read_as_a_feed() -> None:
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>N</title><item>'
        "<title>Sak</title><guid>a</guid><description><![CDATA[<!DOCTYPE html><html><head>"
        f"{_link('/rss')}</head><body><p>Tekst</p></body></html>]]></description></item>"
        "</channel></rss>"
    ).encode()

    content = parse_content("feed", feed)

    assert [(e.title, e.text) for e in content.entries] == [("Sak", "Tekst")]
