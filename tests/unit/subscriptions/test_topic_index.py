"""The topic index: sections in the catalogue's order, a filter over what the page shows."""

from __future__ import annotations

import pytest

from services.subscriptions.domain.topic_index import (
    MAX_QUERY,
    QUERY_NOT_TEXT,
    QUERY_TOO_LONG,
    BadQuery,
    parse_query,
    topic_index,
)
from shared.catalogue_entries import Topic

FHI = {"nb": "Folkehelseinstituttet", "en": "Norwegian Institute of Public Health"}
TOPICS = (
    Topic(slug="loose", title={"nb": "Løst tema"}),
    Topic(
        slug="vaksiner",
        title={"nb": "Vaksiner", "en": "Vaccines"},
        section=FHI,
        description={"nb": "Råd om vaksinasjon.", "en": "Advice on vaccination."},
    ),
    Topic(slug="hod", title={"nb": "Nyheter"}, section={"nb": "Departementet"}),
    Topic(slug="smittevern", title={"nb": "Smittevern", "en": "Infection control"}, section=FHI),
)


def _shape(language: str, query: str = "") -> list[tuple[str | None, list[str]]]:
    return [
        (section.title, [t.slug for t in section.topics])
        for section in topic_index(TOPICS, language, query)
    ]


def test_sections_keep_the_catalogues_order_and_loose_topics_come_last() -> None:
    assert _shape("nb") == [
        ("Folkehelseinstituttet", ["vaksiner", "smittevern"]),
        ("Departementet", ["hod"]),
        (None, ["loose"]),
    ]
    # Section titles follow the page's language, falling back to bokmål.
    assert _shape("en")[0][0] == "Norwegian Institute of Public Health"
    assert _shape("nn")[0][0] == "Folkehelseinstituttet"


def test_what_the_index_shows_of_a_topic() -> None:
    vaccines = topic_index(TOPICS, "en")[0].topics[0]
    assert (vaccines.title, vaccines.description) == ("Vaccines", "Advice on vaccination.")
    infection = topic_index(TOPICS, "en")[0].topics[1]
    assert infection.description == ""


@pytest.mark.parametrize(
    ("language", "query", "expected"),
    [
        ("nb", "vaksin", ["vaksiner"]),
        ("nb", "VAKSINER", ["vaksiner"]),
        ("en", "vaccination advice", ["vaksiner"]),  # every word, in any order
        ("en", "vaksiner", ["vaksiner"]),  # the bokmål text a page falls back to
        ("nb", "folkehelse", ["vaksiner", "smittevern"]),  # the section's name
        ("nb", "løst", ["loose"]),
        ("nb", "LØST", ["loose"]),
        ("nb", "smittevern", ["smittevern"]),
        ("nb", "vaksiner nyheter", []),  # no topic has both words
        ("nb", "fotball", []),
    ],
)
def test_the_filter_keeps_topics_with_every_word(
    language: str, query: str, expected: list[str]
) -> None:
    shown = [slug for _, slugs in _shape(language, query) for slug in slugs]
    assert shown == expected


def test_no_match_means_no_sections() -> None:
    assert topic_index(TOPICS, "nb", "fotball") == []


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        (None, ""),
        ("", ""),
        ("  vaksiner  ", "vaksiner"),
        ("a   b", "a b"),
        ("x" * MAX_QUERY, "x" * MAX_QUERY),
    ],
)
def test_queries_are_tidied(raw: str | None, parsed: str) -> None:
    assert parse_query(raw) == parsed


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("x" * (MAX_QUERY + 1), QUERY_TOO_LONG),
        ("vaksiner\x00", QUERY_NOT_TEXT),
        ("a\nb", QUERY_NOT_TEXT),
        ("\u202evaksiner", QUERY_NOT_TEXT),  # a bidirectional override
    ],
)
def test_bad_queries_are_refused_with_a_reason(raw: str, reason: str) -> None:
    with pytest.raises(BadQuery) as refused:
        parse_query(raw)
    assert refused.value.reason == reason
