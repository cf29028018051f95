"""What every producer's words lose on their way to a store, a page or a mail."""

from __future__ import annotations

import pytest

from shared.carried_text import (
    bidi_control_in,
    carried_line,
    carried_text,
    noncharacter_in,
    without_bidi_controls,
)

NONCHARACTERS = [chr(c) for c in range(0xFDD0, 0xFDF0)] + [
    chr(plane << 16 | last) for plane in range(17) for last in (0xFFFE, 0xFFFF)
]


def test_there_are_66_noncharacters() -> None:
    assert len(set(NONCHARACTERS)) == 66


@pytest.mark.parametrize("character", NONCHARACTERS, ids=lambda c: f"U+{ord(c):04X}")
def test_a_noncharacter_is_left_out_of_a_text_and_a_line(character: str) -> None:
    # No HTML document may hold one, and it means nothing to a reader.
    assert carried_text(f"Ny{character} rapport\n{character}") == "Ny rapport\n"
    assert carried_line(f"Ny{character} rapport {character} om vann") == "Ny rapport om vann"


@pytest.mark.parametrize("character", ["\ud800", "\udbff", "\udc00", "\udfff"])
def test_a_lone_surrogate_is_left_out(character: str) -> None:
    assert carried_text(f"a{character}b") == "ab"
    assert carried_line(f"a{character} b") == "a b"


@pytest.mark.parametrize(
    "good",
    [
        "Blåbær og tyttebær – «sitat» … ﷏ ﷰ \ufffd \ufffc",  # neighbours of the noncharacters
        "\U0001f469\u200d\U0001f467 e\u0301 \u200e\u200f",  # emoji, joiners, combining, marks
        "\U0001fffd \U0010fffd \uefff",  # the code points just below a plane's last two
    ],
)
def test_good_text_is_kept_as_it_is(good: str) -> None:
    assert carried_text(good) == good
    assert carried_line(good) == good


@pytest.mark.parametrize("character", NONCHARACTERS, ids=lambda c: f"U+{ord(c):04X}")
def test_a_noncharacter_in_typed_text_is_named_by_its_code_point(character: str) -> None:
    # Forms and APIs refuse what a person typed with one, naming it: they cannot see it.
    assert noncharacter_in(f"Ny rapport{character} om {character}vann") == f"U+{ord(character):04X}"


def test_text_without_a_noncharacter_names_none() -> None:
    assert noncharacter_in("Blåbær og tyttebær – «sitat» … ﷏ ﷰ \ufffd \ufffc \U0010fffd") is None
    assert noncharacter_in("") is None


@pytest.mark.parametrize(
    "character", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2069"]
)
def test_a_direction_control_in_typed_text_is_named_by_its_code_point(character: str) -> None:
    typed = f"Bedt om i brev {character}sak 117"
    assert bidi_control_in(typed) == f"U+{ord(character):04X}"
    assert without_bidi_controls(typed) == "Bedt om i brev sak 117"


@pytest.mark.parametrize("good", ["Bedt om i brev", "\u200fعربي\u200e", "a\u200db", "שלום"])
def test_marks_joiners_and_right_to_left_scripts_are_no_direction_control(good: str) -> None:
    assert bidi_control_in(good) is None
