"""Which topics hold a change no source claims: data and expected pairs."""

from __future__ import annotations

import pytest

from services.admin.domain.review_topics import mode_by_topics, reviewed_topics
from shared.catalogue import parse_catalogue_text
from shared.vocabulary import ReviewMode

CATALOGUE = parse_catalogue_text(
    """
[[topics]]
slug = "hel"
title = { nb = "Hel" }

[[topics]]
slug = "blandet"
title = { nb = "Blandet" }

[[topics]]
slug = "uten-kilder"
title = { nb = "Uten kilder" }

[[sources]]
url = "https://example.org/a"
kind = "page"
topics = ["hel", "blandet"]
mode = "review"

[[sources]]
url = "https://example.org/b"
kind = "page"
topics = ["blandet"]
""",
    "test",
)


@pytest.mark.parametrize(
    ("topics", "held", "mode"),
    [
        (["hel"], ["hel"], ReviewMode.REVIEW),
        (["blandet", "hel", "hel"], ["hel"], ReviewMode.REVIEW),
        (["blandet"], [], None),  # one automatic source: its editors take changes unreviewed
        (["uten-kilder"], [], None),  # no source asks for review
        (["finnes-ikke"], [], None),
    ],
)
def test_a_topic_fed_only_by_review_sources_holds_the_change(
    topics: list[str], held: list[str], mode: ReviewMode | None
) -> None:
    assert reviewed_topics(CATALOGUE, topics) == held
    assert mode_by_topics(CATALOGUE, topics) is mode
