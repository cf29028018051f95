"""Which old block a new one rewrites: rapidfuzz's bound leaves difflib's choice as it was."""

from __future__ import annotations

import difflib

from hypothesis import given, settings
from hypothesis import strategies as st

from services.watcher.domain.summary import _SIMILAR_RATIO, _most_similar


def difflib_alone(block: str, candidates: tuple[str, ...]) -> str | None:
    """The choice as difflib alone makes it: the first candidate with the highest ratio."""
    best, best_ratio = None, _SIMILAR_RATIO
    for candidate in candidates:
        ratio = difflib.SequenceMatcher(a=candidate, b=block, autojunk=False).ratio()
        if ratio > best_ratio:
            best, best_ratio = candidate, ratio
    return best


# Few letters, so that blocks share much and land on both sides of the bound.
words = st.text(alphabet="abcæø .", max_size=40)


@settings(max_examples=500)
@given(block=words, candidates=st.lists(words, max_size=8).map(tuple))
def test_the_choice_is_difflibs_alone(block: str, candidates: tuple[str, ...]) -> None:
    assert _most_similar(block, candidates) == difflib_alone(block, candidates)


def test_an_edited_paragraph_is_found_among_others() -> None:
    old = (
        "Vaksinen gis i to doser med fire ukers mellomrom.",
        "Folkehelseinstituttet anbefaler vaksine til alle over 65 år.",
        "Les mer om bivirkninger.",
    )
    edited = "Folkehelseinstituttet anbefaler vaksine til alle over 60 år."
    assert _most_similar(edited, old) == old[1]
    assert _most_similar("Helt ny tekst om noe annet.", old) is None
