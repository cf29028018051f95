"""No template shows a word of its own: every visible text goes through gettext.

What remains of a template once its tags, expressions and ``{% trans %}`` blocks are taken out
must hold no letters, and no attribute a person reads (``alt``, ``title``, ``aria-label``,
``placeholder``) may be written out: a literal would stay in one language on every page.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.words import DOMAINS

TEMPLATES = sorted(
    path
    for folder in DOMAINS.values()
    for path in (folder / "templates").rglob("*")
    if path.suffix in {".html", ".txt"}
)
TRANS_BLOCK = re.compile(r"{%-?\s*trans\b.*?{%-?\s*endtrans\s*-?%}", re.DOTALL)
JINJA = re.compile(r"{{.*?}}|{%.*?%}|{#.*?#}", re.DOTALL)
READ_ATTRIBUTE = re.compile(r"""\b(alt|title|aria-label|placeholder)=["']([^"']*)["']""")
WORD = re.compile(r"[^\W\d_]{2,}")


def _leftover_words(source: str) -> list[str]:
    source = TRANS_BLOCK.sub(" ", source)
    source = JINJA.sub(" ", source)
    source = re.sub(r"<!doctype html>", " ", source, flags=re.IGNORECASE)
    source = re.sub(r"<[^>]*>", " ", source)
    source = re.sub(r"&\w+;", " ", source)
    return WORD.findall(source)


def _literal_attributes(source: str) -> list[str]:
    source = TRANS_BLOCK.sub(" ", source)
    return [
        value for _, value in READ_ATTRIBUTE.findall(source) if WORD.search(JINJA.sub(" ", value))
    ]


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(p.parents[2])))
def test_template_has_no_words_outside_gettext(path: Path) -> None:
    source = path.read_text("utf-8")
    assert _leftover_words(source) == []
    assert _literal_attributes(source) == []


def test_the_check_finds_a_literal_word_and_a_literal_label() -> None:
    assert _leftover_words("<p>Meld meg på</p>") == ["Meld", "meg", "på"]
    assert _leftover_words("<p>{% trans %}Subscribe{% endtrans %} {{ _('x') }}</p>") == []
    assert _literal_attributes('<img src="/logo" alt="Logo">') == ["Logo"]
    assert _literal_attributes('<img src="/logo" alt="{{ site }}">') == []
