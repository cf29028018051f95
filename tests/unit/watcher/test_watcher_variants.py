"""A rotating page's new text that differs from a version of the week only in the blocks that
rotate is that version with another teaser (variants.py); an edit of the rest is not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.watcher.domain.returns import RECALL_WINDOW
from services.watcher.domain.variants import Versions, moving_blocks, variant_of

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
HEADING, INTRO, ADVICE = "Vaksiner", "Slik får du vaksine.", "Ta kontakt med kommunen."
TEASERS = [f"Aktuelt: sak {n}." for n in range(4)]


def _week(*versions: tuple[str, ...]) -> Versions:
    """Return versions shown a minute apart, the last given the newest (newest first)."""
    return [(v, NOW - timedelta(minutes=len(versions) - i)) for i, v in enumerate(versions)][::-1]


ROUND = [(HEADING, INTRO, t, ADVICE) for t in TEASERS]
EDITED = ("Vaksiner i 2027", INTRO, TEASERS[0], ADVICE)  # told: its heading is new
WEEK = _week(*ROUND, *ROUND, EDITED)


def test_blocks_that_come_and_go_rotate_and_a_block_edited_once_does_not() -> None:
    chain = [frozenset(v) for v, _ in reversed(WEEK)]
    assert moving_blocks(chain) == set(TEASERS)


def test_the_edit_with_another_teaser_is_the_version_told_with_the_first() -> None:
    told_at = WEEK[0][1]
    assert variant_of(("Vaksiner i 2027", INTRO, TEASERS[2], ADVICE), WEEK, NOW) == told_at


@pytest.mark.parametrize(
    "blocks",
    [
        ("Vaksiner i desember 2027", INTRO, TEASERS[2], ADVICE),  # a second edit
        ("Vaksiner i 2027", INTRO, TEASERS[2]),  # a block of the stable part removed
        ("Vaksiner i 2027", ADVICE, TEASERS[2], INTRO),  # the stable part reordered
        ("Vaksiner i 2027", INTRO, "Aktuelt: en ny sak.", ADVICE),  # a new teaser
    ],
    ids=["second-edit", "removed", "reordered", "new-teaser"],
)
def test_an_edit_of_the_stable_part_or_a_new_teaser_is_news(blocks: tuple[str, ...]) -> None:
    assert variant_of(blocks, WEEK, NOW) is None


def test_only_the_weeks_versions_count() -> None:
    assert (
        variant_of(("Vaksiner i 2027", INTRO, TEASERS[2], ADVICE), WEEK, NOW + RECALL_WINDOW)
        is None
    )
    assert variant_of(ROUND[0], [], NOW) is None


TEASERS_8 = [f"Aktuelt: sak {n}." for n in range(8)]
# One round of eight teasers, then the heading edited: no version has come back whole.
EDITED_8 = ("Vaksiner i 2027", INTRO, TEASERS_8[0], ADVICE)
FIRST_ROUND = _week(*[(HEADING, INTRO, t, ADVICE) for t in TEASERS_8], EDITED_8)


def test_before_the_mark_a_teaser_back_after_more_than_five_versions_shows_the_rotation() -> None:
    told_at = FIRST_ROUND[0][1]
    edited = ("Vaksiner i 2027", INTRO, TEASERS_8[1], ADVICE)
    assert variant_of(edited, FIRST_ROUND, NOW, marked=False) == told_at


def test_before_the_mark_a_block_back_within_five_versions_is_news() -> None:
    # An editor writing a page: a paragraph put in, taken out and put back beside another.
    drafts = _week((HEADING, INTRO), (HEADING,), (HEADING, ADVICE))
    assert variant_of((HEADING, INTRO, ADVICE), drafts, NOW) == drafts[0][1]  # as a rotation's
    assert variant_of((HEADING, INTRO, ADVICE), drafts, NOW, marked=False) is None
