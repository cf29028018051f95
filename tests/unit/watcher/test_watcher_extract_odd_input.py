"""Pages and feeds that were misread or failed whole: a title that looks like an error code,
references to characters that cannot be, control characters, elements nested too deep."""

from __future__ import annotations

import pytest

from services.watcher.domain.content import ContentError, compare, parse_content
from services.watcher.domain.model import DEEP_FEED_ENTRIES, DEEP_PAGES
from tests.support.feeds import rss


def test_a_short_page_whose_title_starts_with_a_number_is_not_an_error_page() -> None:
    body = (
        "<html><head><title>500 år med folkehelse</title></head><body><article>"
        "<h1>500 år med folkehelse</h1><p>Utstillingen viser hvordan folkehelsen i Norge "
        "har endret seg gjennom fem hundre år, fra pest og kolera til dagens "
        "livsstilssykdommer.</p></article></body></html>"
    ).encode()

    content = parse_content("page", body)

    assert content.title == "500 år med folkehelse"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_a_reference_to_a_lone_surrogate_does_not_cost_the_feed(encoding: str) -> None:
    # Not well-formed XML, so feedparser's lenient parser reads it, which failed on the surrogate.
    feed = (
        f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel>'
        "<title>Nyheter</title><item><title>Sak &#xD83D; om helse</title><guid>a</guid>"
        "<description>Tekst &#56832; her</description></item>"
        "<item><title>Annen sak</title><guid>b</guid></item></channel></rss>"
    ).encode(encoding)
    content = parse_content("feed", feed)
    assert [e.title for e in content.entries] == ["Sak \ufffd om helse", "Annen sak"]
    assert content.entries[0].text == "Tekst \ufffd her"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
@pytest.mark.parametrize(
    "reference",
    ["&#1114112;", "&#x110000;", "&#X7FFFFFFF;", "&#99999999999999999999;", "&#x0000110000;"],
)
def test_a_reference_past_the_last_code_point_does_not_cost_the_feed(
    encoding: str, reference: str
) -> None:
    # feedparser raised on the number past U+10FFFF: the whole feed failed, its good items lost.
    feed = (
        f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel>'
        f"<title>Nyheter</title><item><title>Sak {reference} om helse</title><guid>a</guid>"
        f"<description>Tekst {reference} her, og &#x10FFFF; &#1114111; står.</description>"
        "</item><item><title>Annen sak</title><guid>b</guid></item></channel></rss>"
    ).encode(encoding)
    content = parse_content("feed", feed)
    assert [e.title for e in content.entries] == ["Sak \ufffd om helse", "Annen sak"]
    assert content.entries[0].text == "Tekst \ufffd her, og \U0010ffff \U0010ffff står."


@pytest.mark.parametrize("chrome", ['<img src="bær.jpg" alt="">', "<button>Del</button>"])
def test_a_control_character_beside_cut_chrome_is_read_as_the_space_it_is(chrome: str) -> None:
    # Word's line break (\x0b) pasted after an image: lxml refused to join the text after the
    # cut image to the text before it, and the poll crashed at every claim.
    page = (
        "<html><body><main><h1>Bær</h1><p>Ville bær fra skog og myr "
        f"{chrome}\x0ber trygge å spise\x01 for de fleste.</p></main></body></html>"
    )

    content = parse_content("page", page.encode())

    assert content.blocks == ("Bær", "Ville bær fra skog og myr er trygge å spise for de fleste.")


def _nested(levels: int) -> bytes:
    unclosed = "".join(f"<div><p>Sak {n} om helse og omsorg.</p>" for n in range(levels))
    return f"<html><body><main><h1>Saker</h1>{unclosed}<p>Slutt.</p></main></body></html>".encode()


@pytest.mark.parametrize(
    ("levels", "extraction", "last"),
    [
        (100, DEEP_PAGES - 1, "Slutt."),
        (300, DEEP_PAGES - 1, "Sak 251 om helse og omsorg."),  # as released: the rest lost
        (300, DEEP_PAGES, "Slutt."),
        (900, DEEP_PAGES, "Slutt."),
    ],
)
def test_a_page_nested_deeper_than_libxml2s_limit_is_read_whole_from_extraction_8(
    levels: int, extraction: int, last: str
) -> None:
    content = parse_content("page", _nested(levels), extraction=extraction)

    assert content.blocks[-1] == last


@pytest.mark.parametrize("levels", [1500, 3000])
def test_a_page_nested_deeper_than_can_be_read_is_refused_not_read_in_part(levels: int) -> None:
    with pytest.raises(ContentError, match=r"unparseable HTML \(its elements nest deeper"):
        parse_content("page", _nested(levels))


_ITEMS = [("Sak om vei", "https://example.no/vei"), ("Sak om vann", "https://example.no/vann")]
_SHALLOW = "Tekst om saken om veien, lang nok til å telle."


def _deep_feed(levels: int, text: str = "Frist for å søke er 1. mars.") -> bytes:
    """Return a feed whose second entry's text is wrapped ``levels`` deep (a pasted document)."""
    return rss(_ITEMS, [_SHALLOW, "<div>" * levels + f"<p>{text}</p>" + "</div>" * levels])


@pytest.mark.parametrize(
    ("levels", "extraction", "text"),
    [
        (100, DEEP_FEED_ENTRIES - 1, "Frist for å søke er 1. mars."),
        (300, DEEP_FEED_ENTRIES - 1, ""),  # as released: the text below the cut lost
        (300, DEEP_FEED_ENTRIES, "Frist for å søke er 1. mars."),
        (900, DEEP_FEED_ENTRIES, "Frist for å søke er 1. mars."),
    ],
)
def test_a_feed_entry_nested_deeper_than_libxml2s_limit_is_read_whole_from_extraction_12(
    levels: int, extraction: int, text: str
) -> None:
    content = parse_content("feed", _deep_feed(levels), extraction=extraction)

    assert [entry.text for entry in content.entries] == [_SHALLOW, text]


def test_an_edit_inside_a_deep_feed_entry_is_a_change() -> None:
    old, new = (
        parse_content("feed", _deep_feed(300, text))
        for text in ("Frist for å søke er 1. mars.", "Frist for å søke er flyttet til 15. april.")
    )
    assert compare(old, new).changed is True


@pytest.mark.parametrize("levels", [1500, 3000, 50000])
def test_a_feed_entry_nested_deeper_than_can_be_read_refuses_the_feed_not_read_in_part(
    levels: int,
) -> None:
    # As a page nested so deep is refused: the poll fails, and the stored text stays.
    with pytest.raises(ContentError) as refused:
        parse_content("feed", _deep_feed(levels))
    assert str(refused.value) == (
        "feed: unparseable HTML in its entry number 2 (its elements nest deeper than varsel"
        " reads: unclosed tags?)"
    )
