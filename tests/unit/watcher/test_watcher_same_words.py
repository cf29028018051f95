"""The same words in the same order, laid out otherwise, are no change: a PDF whose lines break
elsewhere is guessed into other paragraphs, and told as a change its followers were sent the
text they had, word for word."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.watcher.domain.content import Content, compare, parse_content
from services.watcher.domain.summary import same_words
from tests.support.pdfs import lines_pdf


def _report(*lines: str) -> Content:
    return parse_content("pdf", lines_pdf(list(lines)))


BEFORE = ("Dette er en rapport om helse og omsorg i kommunene.", "Andre linje om folkehelse.")


def test_a_pdf_whose_lines_break_elsewhere_is_no_change() -> None:
    before = _report(*BEFORE)
    after = _report("Dette er en rapport om helse og", "omsorg i kommunene.", BEFORE[1])
    assert before.blocks != after.blocks  # guessed into other paragraphs

    assert not compare(before, after).changed


def test_a_word_changed_in_the_new_layout_is_a_change() -> None:
    before = _report(*BEFORE)
    after = _report("Dette er en rapport om helse og", "omsorg i fylkene.", BEFORE[1])
    change = compare(before, after)

    assert change.changed and "fylkene" in change.summary


def test_words_joined_or_in_another_order_are_not_the_same_words() -> None:
    assert same_words(("helse og omsorg",), ("helse og", "omsorg"))
    assert not same_words(("helse og omsorg",), ("omsorg og helse",))
    assert not same_words(("Fristen er 15. mars.",), ("Fristen er 16. mars.",))


words = st.lists(st.text(alphabet="abcæøå.,0123", min_size=1, max_size=8), min_size=1, max_size=30)


@given(words=words, cuts=st.lists(st.integers(min_value=1, max_value=29), max_size=6))
def test_any_split_of_the_same_words_into_blocks_is_the_same_words(
    words: list[str], cuts: list[int]
) -> None:
    ends = sorted({c for c in cuts if c < len(words)})
    starts = [0, *ends]
    blocks = tuple(" ".join(words[a:b]) for a, b in zip(starts, [*ends, len(words)], strict=True))

    assert same_words((" ".join(words),), blocks)
