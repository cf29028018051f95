"""Each problem of a refused catalogue comes with its kind and the values it names, for a page
to word in its reader's language; the English lines for the terminal stay as they were."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from services.admin.entrypoints.problem_wording import TROUBLES
from shared.catalogue_checks import CatalogueError, parse_catalogue
from shared.catalogue_problems import Problem, Trouble
from shared.i18n.catalogues import Catalogues

ADMIN_LOCALE = Path(__file__).parents[3] / "services" / "admin" / "locale"
TOPICS = [
    {"slug": "helse", "title": {"nb": "Helse"}, "related": ["borte"]},
    {"slug": "gammel", "title": {"nb": "Gammel"}, "retired": True},
]
URL = "https://example.org/side"


def _refused(sources: list[dict[str, Any]]) -> CatalogueError:
    with pytest.raises(CatalogueError) as refused:
        parse_catalogue({"topics": TOPICS, "sources": sources}, "the admin's source form")
    return refused.value


def test_each_problem_names_its_entry_and_value() -> None:
    source = {"url": URL, "kind": "page", "topics": ["helse"]}
    refused = _refused(
        [
            {**source, "interval": "sometimes"},
            {**source, "url": "https://example.org/b", "ignore": ["ok", "(uavsluttet"]},
            {**source, "url": "https://example.org/c", "selector": "main[["},
            {**source, "url": "https://example.org/d", "topics": ["finnes-ikke", "helse"]},
            {**source, "url": "https://example.org/e", "topics": ["gammel"]},
            {**source, "url": "https://example.org/f", "kind": "video", "mode": "later"},
            {**source, "url": "ftp://example.org/g"},
            {**source, "url": "https://example.org/h", "topics": []},
            {**source, "url": "https://example.org/i"},
            {**source, "url": "https://example.org/i"},
        ]
    )
    assert refused.problems == (
        Problem(Trouble.RELATED_UNKNOWN, {"topic": "helse", "value": "borte"}),
        Problem(Trouble.SOURCE_INTERVAL, {"source": URL, "value": "sometimes"}),
        Problem(Trouble.SOURCE_IGNORE, {"source": "https://example.org/b", "value": "(uavsluttet"}),
        Problem(Trouble.SOURCE_SELECTOR, {"source": "https://example.org/c", "value": "main[["}),
        Problem(
            Trouble.SOURCE_TOPICS_UNKNOWN,
            {"source": "https://example.org/d", "value": "finnes-ikke"},
        ),
        Problem(
            Trouble.SOURCE_TOPICS_ENDED, {"source": "https://example.org/e", "value": "gammel"}
        ),
        Problem(Trouble.SOURCE_KIND, {"source": "https://example.org/f", "value": "video"}),
        Problem(Trouble.SOURCE_MODE, {"source": "https://example.org/f", "value": "later"}),
        Problem(
            Trouble.SOURCE_URL, {"source": "ftp://example.org/g", "value": "ftp://example.org/g"}
        ),
        Problem(Trouble.SOURCE_NO_TOPICS, {"source": "https://example.org/h"}),
        Problem(Trouble.SOURCE_TWICE, {"source": "https://example.org/i"}),
    )
    # The terminal's lines, as `varsel catalogue apply` and check-config print them.
    lines = str(refused).split("\n  ")
    assert lines[0] == "the admin's source form: invalid configuration"
    assert lines[1] == "[[topics]] helse: related topic 'borte' is not declared"
    assert lines[2].startswith(f"[[sources]] entry 1 ({URL}): interval: ")
    assert "selector 'main[[' is not a CSS selector: " in lines[4]
    assert (
        lines[5] == "[[sources]] entry 4 (https://example.org/d): unknown topic(s) ['finnes-ikke']"
    )
    assert (
        lines[6] == "[[sources]] entry 5 (https://example.org/e): topic(s) ['gammel'] are retired"
    )
    assert lines[-1] == "[[sources]] url 'https://example.org/i' is declared more than once"


def test_a_catalogue_without_topics_says_so() -> None:
    with pytest.raises(CatalogueError) as refused:
        parse_catalogue({"topics": [], "extra": 1}, "f.toml")
    problems = refused.value.problems
    assert Problem(Trouble.UNKNOWN_SECTIONS, {"value": "extra"}) in problems
    assert Problem(Trouble.NO_TOPICS) in problems


@pytest.mark.parametrize("trouble", list(Trouble))
def test_every_kind_is_worded_in_every_language_with_its_values(trouble: Trouble) -> None:
    catalogues = Catalogues.load(ADMIN_LOCALE, "admin")
    values = {"source": URL, "topic": "helse", "value": "x", "field": "title", "limit": "100"}
    for language in catalogues.languages:
        worded = catalogues[language].gettext(TROUBLES[trouble], **values)
        assert "%(" not in worded and worded.strip(), (language, trouble)


def test_a_topic_related_to_itself_is_refused_and_says_so() -> None:
    # Its sign-up page would offer the topic itself as one to follow as well; the admin's
    # topic form refuses it too.
    topics = [{"slug": "rel-y", "title": {"nb": "Y"}, "related": ["rel-y"]}]
    with pytest.raises(CatalogueError) as refused:
        parse_catalogue({"topics": topics}, "f.toml")
    assert refused.value.problems == (Problem(Trouble.RELATED_ITSELF, {"topic": "rel-y"}),)
    assert str(refused.value).split("\n  ")[1] == (
        "[[topics]] rel-y: names itself as a related topic; a topic is not related to itself"
    )


def test_a_related_topic_that_has_ended_is_said_to_have_ended() -> None:
    # It is declared: «is not declared» would send the editor looking for a missing entry.
    topics = [
        {"slug": "helse", "title": {"nb": "Helse"}, "related": ["norge-i-verden"]},
        {"slug": "norge-i-verden", "title": {"nb": "Norge i verden"}, "retired": True},
    ]
    with pytest.raises(CatalogueError) as refused:
        parse_catalogue({"topics": topics}, "f.toml")
    assert refused.value.problems == (
        Problem(Trouble.RELATED_ENDED, {"topic": "helse", "value": "norge-i-verden"}),
    )
    assert str(refused.value).split("\n  ")[1] == (
        "[[topics]] helse: related topic 'norge-i-verden' has ended and is not a topic people "
        "can follow"
    )
