"""An editor's topic and source forms and changes, as data in and data out: what each field may
hold, and what ending a topic does to everything that pointed at it."""

from __future__ import annotations

from typing import Any

import pytest

from services.admin.domain.source_form import source_field_errors
from services.admin.domain.topic_edits import (
    EditRefused,
    Rows,
    add_topic,
    rename_editor,
    retire_topic,
)
from services.admin.domain.topic_form import read_topic_form
from shared.catalogue_checks import parse_catalogue


def _rows() -> Rows:
    return {
        "topics": [
            {"slug": "a", "title": {"nb": "A"}, "related": ["b", "c"]},
            {"slug": "b", "title": {"nb": "B"}, "related": ["a"]},
            {"slug": "c", "title": {"nb": "C"}},
            {"slug": "old", "title": {"nb": "Gammelt"}, "retired": True, "successor": "b"},
        ],
        "sources": [
            {"url": "https://example.org/ab", "kind": "page", "topics": ["a", "b"]},
            {"url": "https://example.org/c", "kind": "page", "topics": ["c"]},
        ],
    }


def test_ending_a_topic_moves_everything_that_pointed_at_it() -> None:
    ended = retire_topic(_rows(), "b", "c")
    topics = {t["slug"]: t for t in ended["topics"]}
    assert topics["b"] == {"slug": "b", "title": {"nb": "B"}, "retired": True, "successor": "c"}
    assert topics["a"]["related"] == ["c"]
    # What an earlier ended topic told people to follow has ended too: they follow on to "c".
    assert topics["old"]["successor"] == "c"
    assert ended["sources"][0]["topics"] == ["a"]
    # The whole is a catalogue a file could hold.
    catalogue = parse_catalogue(ended, "test")
    assert [t.slug for t in catalogue.topics] == ["a", "c"]
    assert [t.slug for t in catalogue.ended] == ["b", "old"]


def test_ending_without_a_successor_leaves_none_behind() -> None:
    ended = retire_topic(_rows(), "b", None)
    topics = {t["slug"]: t for t in ended["topics"]}
    assert "successor" not in topics["b"] and "successor" not in topics["old"]
    parse_catalogue(ended, "test")


@pytest.mark.parametrize(
    ("slug", "successor", "key", "detail"),
    [
        ("c", None, "sources_feed_only_this", "https://example.org/c"),
        ("b", "b", "successor_unknown", ""),
        ("b", "old", "successor_unknown", ""),
        ("old", None, "topic_not_found", ""),
        ("nope", None, "topic_not_found", ""),
    ],
)
def test_an_ending_that_cannot_be_made_is_refused(
    slug: str, successor: str | None, key: str, detail: str
) -> None:
    with pytest.raises(EditRefused) as refused:
        retire_topic(_rows(), slug, successor)
    assert (refused.value.key, refused.value.detail) == (key, detail)


def test_a_new_topic_comes_before_the_ended_ones_and_never_takes_their_slug() -> None:
    added = add_topic(_rows(), {"slug": "d", "title": {"nb": "D"}})
    assert [t["slug"] for t in added["topics"]] == ["a", "b", "c", "d", "old"]
    with pytest.raises(EditRefused):
        add_topic(_rows(), {"slug": "old", "title": {"nb": "Igjen"}})


def _read(fields: dict[str, str], related: tuple[str, ...] = (), editing: str | None = None) -> Any:
    return read_topic_form(
        {"slug": "ny", "title_nb": "Ny", **fields},
        related,
        editing=editing,
        followed={"a", "b"},
        taken={"a", "b", "old"},
        staff={"kari", "ola"},
    )


def test_a_good_form_is_a_catalogue_entry() -> None:
    read = _read(
        {"title_en": " New ", "description_nb": "Om\nto linjer", "page": "https://x.no/a b"},
        ("a", "a"),
    )
    # A description may run over lines; the page is sent on as typed and checked whole later.
    assert read.errors == {"page": "bad_url"}
    read = _read({"title_en": " New ", "page": "https://x.no/side"}, ("a", "a"))
    assert read.errors == {}
    assert read.entry == {
        "slug": "ny",
        "title": {"nb": "Ny", "en": "New"},
        "page": "https://x.no/side",
        "related": ["a"],
    }


def test_an_edited_topic_keeps_its_slug_whatever_is_posted() -> None:
    read = _read({"slug": "!!"}, ("b",), editing="a")
    assert read.errors == {} and read.entry["slug"] == "a"
    assert _read({}, ("a",), editing="a").errors == {"related": "related_unknown"}


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({}, {}),
        ({"url": "www.fhi.no", "kind": "video"}, {"url": "bad_url", "kind": "bad_kind"}),
        ({"topics": []}, {"topics": "topics_missing"}),
        ({"topics": ["a", "old"]}, {"topics": "topics_unknown"}),
        ({"interval": "0s", "mode": "later"}, {"interval": "bad_interval", "mode": "bad_mode"}),
        ({"ignore": ["ok", "(open"]}, {"ignore": "bad_ignore"}),
        # Saved, it failed every poll of the source: refused here, as a wrong pattern is.
        ({"selector": "main >>> [["}, {"selector": "bad_selector"}),
        ({"selector": "main article, #innhold"}, {}),
    ],
)
def test_a_source_form_names_each_wrong_field(
    change: dict[str, Any], errors: dict[str, str]
) -> None:
    good = {
        "url": "https://www.fhi.no/",
        "kind": "page",
        "topics": ["a"],
        "interval": "15m",
        "mode": "automatic",
    }
    assert source_field_errors({**good, **change}, {"a", "b"}, allow_private=False) == errors


def test_editors_are_read_from_names_apart_by_commas_or_spaces() -> None:
    read = _read({"editors": " kari,ola  kari "})
    assert read.errors == {}
    assert read.entry["editors"] == ["kari", "ola"]
    assert "editors" not in _read({"editors": " , "}).entry


def test_an_editor_who_is_no_editor_or_operator_account_is_refused() -> None:
    unknown = _read({"editors": "kari, revisor, bob@etaten.no, revisor"})
    assert unknown.errors == {"editors": "editors_unknown_named"}
    assert unknown.named == {"editors": {"names": "revisor"}}, "once, and never an address"
    address = _read({"editors": "kari, bob@etaten.no"})
    assert address.errors == {"editors": "editors_address"} and address.named == {}
    assert _read({"editors": "kari " * 300}).errors == {"editors": "editors_unknown"}


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"description_nb": "Om\r\nto linjer\tog en tabulator"}, {}),
        ({"description_nb": "Fra Word\x0b med vertikal tabulator"}, {"description_nb": "x"}),
        ({"description_en": "NUL\x00"}, {"description_en": "x", "description_nb": "nb"}),
        ({"page": "https://www.fhi.no/side\x00"}, {"page": "bad_url"}),
        ({"page": "https://www.fhi.no/side\x7f"}, {"page": "bad_url"}),
        ({"title_nn": "To\nlinjer"}, {"title_nn": "one_line"}),
    ],
    ids=["line-breaks", "vertical-tab", "nul", "page-nul", "page-del", "title-break"],
)
def test_a_control_character_is_refused_beside_its_field(
    fields: dict[str, str], errors: dict[str, str]
) -> None:
    # The public pages and feeds show these texts: HTML and XML cannot hold such characters.
    expected = {
        key: {"x": "description_controls", "nb": "description_nb_missing"}.get(value, value)
        for key, value in errors.items()
    }
    assert _read(fields).errors == expected


def test_a_title_of_zero_width_characters_is_a_missing_one_beside_its_field() -> None:
    # Pasted from a word processor, it would label the sign-up box with nothing.
    assert _read({"title_nb": "\u200b\u200b"}).errors == {"title_nb": "title_nb_missing"}
    read = _read({"title_en": "\u2060 ", "section_nb": "\ufeff"})
    assert read.errors == {}
    assert read.entry["title"] == {"nb": "Ny"} and "section" not in read.entry


def test_a_renamed_account_is_named_where_it_was_an_editor_once_and_in_its_place() -> None:
    rows = _rows()
    rows["topics"][0]["editors"] = ["ola", "kari@example.no", "per"]
    rows["topics"][1]["editors"] = ["kari@example.no", "kari"]  # a stale name beside the old
    rows["topics"][3]["editors"] = ["kari@example.no"]  # an ended topic keeps its editors too
    renamed = rename_editor(rows, "kari@example.no", "kari")
    assert [t.get("editors") for t in renamed["topics"]] == [
        ["ola", "kari", "per"],
        ["kari"],
        None,
        ["kari"],
    ]
    assert rows["topics"][0]["editors"] == ["ola", "kari@example.no", "per"]  # not changed
    parse_catalogue(renamed, "test")
