"""The plan of a catalogue apply, and the TOML export it compares against."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.admin.domain.catalogue_plan import Action, describe, plan
from shared.catalogue_checks import CatalogueError
from shared.catalogue_file import dump_catalogue, load_catalogue, parse_catalogue_text
from shared.intervals import format_interval

DEFAULT = Path(__file__).resolve().parents[3] / "varsel" / "default_catalogue.toml"


def test_export_of_the_bundled_catalogue_reads_back_the_same() -> None:
    catalogue = load_catalogue(DEFAULT)
    again = parse_catalogue_text(dump_catalogue(catalogue), "export.toml")
    assert again == catalogue
    assert plan(catalogue, again).empty
    assert describe(plan(catalogue, again)) == [
        "no changes: the catalogue already matches the file"
    ]


@pytest.mark.parametrize(
    ("seconds", "text"), [(2, "2s"), (90, "90s"), (900, "15m"), (3600, "1h"), (172800, "2d")]
)
def test_intervals_are_written_with_their_unit(seconds: int, text: str) -> None:
    assert format_interval(seconds) == text


def test_a_new_order_is_a_change_of_its_own() -> None:
    catalogue = load_catalogue(DEFAULT)
    reordered = catalogue.model_copy(update={"topics": tuple(reversed(catalogue.topics))})
    result = plan(catalogue, reordered)
    assert result.reordered == ("topics",) and not result.changes
    assert not result.empty
    assert "  ~ the order of the topics changes" in describe(result)


def test_a_pause_is_a_change_of_the_source() -> None:
    catalogue = load_catalogue(DEFAULT)
    first = catalogue.sources[0]
    paused = catalogue.model_copy(
        update={"sources": (first.model_copy(update={"paused": True}), *catalogue.sources[1:])}
    )
    result = plan(catalogue, paused)
    assert [(c.key, c.action, c.fields) for c in result.changes] == [
        (first.url, Action.CHANGED, ("paused",))
    ]


ENDED = """
[[topics]]
slug = "nytt"
title = { nb = "Nytt" }

[[topics]]
slug = "gammelt"
title = { nb = "Gammelt" }
retired = true
successor = "nytt"
"""


def test_an_ended_topic_is_kept_apart_and_written_back() -> None:
    catalogue = parse_catalogue_text(ENDED, "ended.toml")
    assert [t.slug for t in catalogue.topics] == ["nytt"]
    assert catalogue.topic("gammelt") is None
    ended = catalogue.ended_topic("gammelt")
    assert ended is not None and ended.successor == "nytt"
    assert parse_catalogue_text(dump_catalogue(catalogue), "export.toml") == catalogue


def test_ending_a_topic_is_a_retirement_and_leaving_it_out_later_changes_nothing() -> None:
    before = parse_catalogue_text(
        ENDED.replace("retired = true\n", "").replace('successor = "nytt"\n', ""), "before.toml"
    )
    ended = parse_catalogue_text(ENDED, "ended.toml")
    result = plan(before, ended)
    assert [(c.key, c.action) for c in result.changes] == [("gammelt", Action.RETIRED)]
    left_out = ended.model_copy(update={"ended": ()})
    assert plan(ended, left_out).empty
    back = plan(ended, before)
    assert [(c.key, c.action) for c in back.changes] == [("gammelt", Action.ADDED)]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (ENDED.replace('successor = "nytt"', 'successor = "finnes-ikke"'), "'finnes-ikke' is not"),
        (ENDED.replace('successor = "nytt"', 'successor = "gammelt"'), "'gammelt' is not"),
        (
            ENDED.replace('title = { nb = "Nytt" }', 'title = { nb = "Nytt" }\nsuccessor = "nytt"'),
            "only a retired topic has a successor",
        ),
        (
            ENDED + '[[sources]]\nurl = "https://example.org/"\nkind = "page"\n'
            'topics = ["gammelt"]\n',
            "topic(s) ['gammelt'] are retired",
        ),
        (
            ENDED.replace(
                'title = { nb = "Nytt" }', 'title = { nb = "Nytt" }\nrelated = ["gammelt"]'
            ),
            "related topic 'gammelt' has ended and is not a topic people can follow",
        ),
    ],
)
def test_what_an_ended_topic_cannot_be(text: str, problem: str) -> None:
    with pytest.raises(CatalogueError) as refused:
        parse_catalogue_text(text, "wrong.toml")
    assert problem in str(refused.value) and "wrong.toml" in str(refused.value)
