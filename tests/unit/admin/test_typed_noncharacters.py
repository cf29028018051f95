"""A noncharacter typed into a staff form is refused by the field it is in, never cleaned away.

U+FDD0 to U+FDEF, U+FFFE, U+FFFF and the last two code points of every plane: no page or mail may
show one, and the person typing cannot see one either (it comes pasted from another program).
Left out unseen, their words would be saved or sent other than they wrote them.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from services.admin.domain.bulletin_draft import DraftRefused, read_draft
from services.admin.domain.source_form import source_field_errors
from services.admin.domain.topic_form import read_topic_form


def _topic(fields: dict[str, str]) -> Any:
    return read_topic_form(
        {"slug": "ny", "title_nb": "Ny", **fields},
        (),
        editing=None,
        followed={"a"},
        taken={"a"},
        staff={"kari"},
    )


@pytest.mark.parametrize(
    ("fields", "field", "key", "character"),
    [
        ({"title_nb": "Vaks\ufdd0iner"}, "title_nb", "title_noncharacter", "U+FDD0"),
        ({"title_en": "Vaccines\ufffe"}, "title_en", "title_noncharacter", "U+FFFE"),
        ({"section_nb": "Seksjon\uffff"}, "section_nb", "section_noncharacter", "U+FFFF"),
        (
            {"description_nb": "Om\nto\U0010ffff linjer"},
            "description_nb",
            "description_noncharacter",
            "U+10FFFF",
        ),
        ({"page": "https://x.no/\ufdefside"}, "page", "page_noncharacter", "U+FDEF"),
        ({"editors": "kari\U0001fffe"}, "editors", "editors_noncharacter", "U+1FFFE"),
    ],
)
def test_a_topic_field_with_a_noncharacter_is_refused_naming_the_code_point(
    fields: dict[str, str], field: str, key: str, character: str
) -> None:
    read = _topic(fields)
    assert read.errors == {field: key}
    assert read.named == {field: {"character": character}}
    # What was typed is kept to be shown again, the noncharacter with it (the page leaves it out).
    assert read.shown[field] == fields[field]


def test_a_topic_field_of_a_noncharacter_alone_is_refused_not_taken_as_empty() -> None:
    read = _topic({"title_nb": "\ufdd0"})
    assert read.errors == {"title_nb": "title_noncharacter"}


def test_a_source_address_with_a_noncharacter_is_refused() -> None:
    good = {
        "url": "https://x.no/side",
        "kind": "page",
        "topics": ["a"],
        "mode": "automatic",
        "interval": "1h",
    }
    assert source_field_errors(good, {"a"}, allow_private=False) == {}
    refused = {**good, "url": "https://x.no/si\ufdd0de"}
    assert source_field_errors(refused, {"a"}, allow_private=False) == {"url": "url_noncharacter"}


def _bulletin(**texts: str) -> dict[str, str]:
    return {
        "bulletin_id": str(uuid.uuid4()),
        "mode": "next",
        "subject_nb": "Stengt i julen",
        "body_nb": "Kontoret er **stengt**.",
        "subject_en": "Closed at Christmas",
        "body_en": "The office is **closed**.",
        **texts,
    }


@pytest.mark.parametrize(
    ("texts", "reason", "detail", "field"),
    [
        (
            {"subject_nb": "Stengt\ufffe i julen"},
            "bulletin_subject_noncharacter",
            "nb: U+FFFE",
            "subject_nb",
        ),
        (
            {"body_en": "The office\ufdd0 is closed."},
            "bulletin_body_noncharacter",
            "en: U+FDD0",
            "body_en",
        ),
        # Nynorsk may be left out, but not by a noncharacter alone that would be cleaned away.
        (
            {"subject_nn": "\U0010ffff"},
            "bulletin_subject_noncharacter",
            "nn: U+10FFFF",
            "subject_nn",
        ),
    ],
)
def test_a_bulletin_text_with_a_noncharacter_is_refused_naming_language_and_field(
    texts: dict[str, str], reason: str, detail: str, field: str
) -> None:
    assert read_draft(_bulletin(), ["a"], ["a"]).texts["nb"]["subject"] == "Stengt i julen"
    with pytest.raises(DraftRefused) as refused:
        read_draft(_bulletin(**texts), ["a"], ["a"])
    assert (refused.value.reason, refused.value.detail, refused.value.field) == (
        reason,
        detail,
        field,
    )
