"""Review in the shared contracts: a source's mode in the catalogue, a change's note and flag."""

from __future__ import annotations

import json

import pytest

from services.admin.domain.catalogue_plan import Action, plan
from shared.catalogue_checks import CatalogueError
from shared.catalogue_file import dump_catalogue, parse_catalogue_text
from shared.events import ContentChanged, decode_event
from shared.vocabulary import ReviewMode

TOPIC = '[[topics]]\nslug = "t"\ntitle = { nb = "T" }\n'


def _source(extra: str = "") -> str:
    return (
        TOPIC + f'[[sources]]\nurl = "https://example.org/"\nkind = "page"\ntopics = ["t"]\n{extra}'
    )


def test_a_source_is_automatic_unless_the_file_says_review_and_exports_as_written() -> None:
    automatic = parse_catalogue_text(_source(), "f.toml")
    assert automatic.sources[0].mode is ReviewMode.AUTOMATIC
    assert "mode" not in dump_catalogue(automatic), "a default is not written out"
    reviewed = parse_catalogue_text(_source('mode = "review"\n'), "f.toml")
    assert reviewed.sources[0].mode is ReviewMode.REVIEW
    assert parse_catalogue_text(dump_catalogue(reviewed), "again") == reviewed


def test_an_unknown_mode_is_refused_naming_the_entry() -> None:
    with pytest.raises(CatalogueError) as refused:
        parse_catalogue_text(_source('mode = "manual"\n'), "f.toml")
    assert "[[sources]] entry 1 (https://example.org/): mode" in str(refused.value)


def _change(**fields: object) -> ContentChanged:
    return ContentChanged(
        source_id=1,
        source_url="https://example.org/",
        kind="page",
        topics=("t",),
        title="T",
        url="https://example.org/",
        summary="S",
        **fields,  # type: ignore[arg-type]
    )


def test_a_change_without_note_or_flag_is_written_as_before_they_existed() -> None:
    payload = json.loads(_change().model_dump_json())
    assert "note" not in payload and "minor" not in payload
    assert decode_event("content.changed.v1", payload) == _change(
        event_id=payload["event_id"], occurred_at=payload["occurred_at"]
    )


def test_a_change_with_a_note_and_the_minor_flag_carries_both() -> None:
    event = _change(note="Fra CMS", minor=True)
    payload = json.loads(event.model_dump_json())
    assert (payload["note"], payload["minor"]) == ("Fra CMS", True)
    assert decode_event("content.changed.v1", event.model_dump_json()) == event


def test_an_apply_plan_names_a_switch_to_review_as_a_changed_field() -> None:
    before = parse_catalogue_text(_source(), "before")
    after = parse_catalogue_text(_source('mode = "review"\n'), "after")
    (change,) = plan(before, after).changes
    assert (change.action, change.key, change.fields) == (
        Action.CHANGED,
        "https://example.org/",
        ("mode",),
    )
