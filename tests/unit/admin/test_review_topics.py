"""Which topics hold a change no source claims: data and expected pairs."""

from __future__ import annotations

import pytest

from services.admin.domain.review_topics import mode_by_place, mode_by_topics, reviewed_topics
from shared.catalogue_file import parse_catalogue_text
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


def test_a_review_source_holds_any_query_at_its_place() -> None:
    catalogue = parse_catalogue_text(
        '[[topics]]\nslug = "t"\ntitle = { nb = "T" }\n'
        '\n[[sources]]\nurl = "https://example.org/side?id=3"\nkind = "page"\ntopics = ["t"]\n'
        'mode = "review"\n'
        '\n[[sources]]\nurl = "https://example.org/side"\nkind = "page"\ntopics = ["t"]\n',
        "test",
    )
    for url in ("https://example.org/side?id=3&lang=en", "http://EXAMPLE.org/side/?x=1"):
        assert mode_by_place(catalogue, url) is ReviewMode.REVIEW
    for url in ("https://example.org/sider?id=3", "https://example.org/", "not an address"):
        assert mode_by_place(catalogue, url) is None
