"""JSON Feeds (jsonfeed.org 1 and 1.1) are read, keyed and compared as RSS and Atom are."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from services.watcher.domain.content import ContentError, compare, parse_content

ITEMS: list[dict[str, Any]] = [
    {
        "id": "sak-2",
        "url": "https://www.example.no/nyheter/sak-2",
        "title": "Nye råd om flått & borreliose",
        "content_html": "<p>Folkehelseinstituttet gir <b>nye råd</b> om flått.</p>",
        "date_published": "2026-05-02T10:00:00+02:00",
    },
    {
        "id": 1,  # a number: allowed in version 1
        "url": "https://www.example.no/nyheter/sak-1",
        "title": "Vaksine mot influensa",
        "content_text": "Vaksinen er nå på alle apotek. <!ENTITY> er bare tekst her.",
        "date_modified": "2026-04-30T23:30:00Z",
    },
]


def feed(items: list[dict[str, Any]], version: str = "1.1", **top: Any) -> bytes:
    document = {"version": f"https://jsonfeed.org/version/{version}", "title": "Nyheter"}
    return json.dumps({**document, **top, "items": items}).encode()


@pytest.mark.parametrize("version", ["1", "1.1"])
@pytest.mark.parametrize("content_type", ["application/feed+json", "application/json", None])
def test_a_json_feed_is_read_as_its_entries(version: str, content_type: str | None) -> None:
    # feedparser reads no JSON: every poll failed as «malformed feed … (invalid token)».
    content = parse_content("feed", feed(ITEMS, version), content_type=content_type)

    assert content.title == "Nyheter"
    first, second = content.entries
    assert (first.key, first.title, first.link) == (
        "sak-2",
        "Nye råd om flått & borreliose",
        "https://www.example.no/nyheter/sak-2",
    )
    assert first.text == "Folkehelseinstituttet gir nye råd om flått."
    assert first.published == date(2026, 5, 2)
    # Written in UTC: Oslo's day of that moment (extraction 10), where it was UTC's 30 April.
    assert (second.key, second.published) == ("1", date(2026, 5, 1))
    # Plain text stays text, whatever it holds: no markup, and no XML to refuse.
    assert second.text == "Vaksinen er nå på alle apotek. <!ENTITY> er bare tekst her."


def test_an_item_without_an_id_is_keyed_by_its_address_and_a_summary_is_its_text() -> None:
    item = {"url": "https://www.example.no/a", "title": "Sak", "summary": "Kort om saken her."}

    (entry,) = parse_content("feed", feed([item])).entries

    assert (entry.key, entry.text) == ("https://www.example.no/a", "Kort om saken her.")


def test_a_reordered_json_feed_is_no_change_and_a_new_item_is() -> None:
    old = parse_content("feed", feed(ITEMS))
    reordered = parse_content("feed", feed(ITEMS[::-1]))
    new_item = {"id": "sak-3", "title": "Ny sak om sopp", "content_text": "Soppsesongen er her."}
    grown = parse_content("feed", feed([new_item, *ITEMS]))

    assert old.fingerprint == reordered.fingerprint
    change = compare(old, grown)
    assert change.changed
    assert "Ny sak om sopp" in change.summary


@pytest.mark.parametrize(
    "body",
    [b'{"error": "not found", "trace": "4f2a"}', b"[1, 2, 3]", b'{"version": "2.0", "items": []}'],
    ids=["error-object", "array", "another-version"],
)
def test_json_that_is_no_json_feed_is_said_to_be_json(body: bytes) -> None:
    with pytest.raises(ContentError, match="the address answers JSON data, not a web feed"):
        parse_content("feed", body, content_type="application/json")


def test_a_json_feed_without_items_has_no_entries() -> None:
    with pytest.raises(ContentError, match="feed: no entries"):
        parse_content("feed", feed([]))


@pytest.mark.parametrize(
    ("version", "named"),
    [(b"https://jsonfeed.org/version/1.1", "the JSON Feed"),
     (b"https:\\/\\/jsonfeed.org\\/version\\/1", "the JSON Feed"),
     (b"2.0", "its JSON")],
    ids=["json-feed", "escaped-slashes", "other-json"],
)  # fmt: skip
def test_json_nested_deeper_than_is_read_is_said_to_nest_too_deep(
    version: bytes, named: str
) -> None:
    # Read as XML instead, it failed in an XML parser's words: «not well-formed (invalid token)».
    body = b'{"version":"%s","items":[{"id":"1","_ext":%s%s}]}' % (
        version,
        b"[" * 100_000,
        b"]" * 100_000,
    )
    with pytest.raises(ContentError) as refused:
        parse_content("feed", body, content_type="application/feed+json")
    assert str(refused.value) == (
        f"feed: malformed feed with no entries ({named} nests deeper than varsel reads)"
    )
