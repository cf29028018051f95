"""Ignore patterns: what they match is left out, and one that backtracks without end fails the
body with a reason naming it, within the body's time budget, instead of freezing the process.

The budget is never asserted as a time: a pattern that runs away fails with its reason, and
pytest-timeout's limit only stops a run that hangs.
"""

from __future__ import annotations

import pytest

from services.watcher.domain.content import ContentError, parse_content

# Backtracks without end on a long run of «a» that ends otherwise, in re and in regex alike.
RUNAWAY = "(a|aa)+$"
# The pattern of the report: re backtracks on it without end (7.9 s at 27 «a», doubling with
# each one more); regex sees through it.
NESTED = "(a+)+$"
LONG_LINE = "a" * 60 + "!"
TEXT = "Folkehelseinstituttet følger smittetallene i alle fylkene gjennom hele året."


def _page(*paragraphs: str) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in (TEXT, *paragraphs))
    return (
        "<!doctype html><html lang='nb'><head><meta charset='utf-8'><title>Smitte</title></head>"
        f"<body><main><h1>Smittetall</h1>{body}</main></body></html>"
    ).encode()


def _feed(*titles: str) -> bytes:
    items = "".join(
        f"<item><title>{t}</title><guid>sak-{n}</guid><description>{TEXT}</description></item>"
        for n, t in enumerate(titles)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Nyheter</title>'
        f"<link>https://example.no/</link>{items}</channel></rss>"
    ).encode()


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("kind", "body", "word"),
    [
        ("page", _page(LONG_LINE), "page"),
        ("feed", _feed("Nytt om smitte", LONG_LINE), "feed"),
    ],
)
def test_a_runaway_pattern_fails_the_body_with_a_reason_naming_it(
    kind: str, body: bytes, word: str
) -> None:
    with pytest.raises(ContentError) as raised:
        parse_content(kind, body, ignore=("Sist oppdatert .*", RUNAWAY, "^Les mer$"))

    assert raised.value.reason == "slow_ignore"
    message = str(raised.value)
    # The pattern that spent the budget is named, not whichever ran when it ran out.
    assert f"the ignore pattern '{RUNAWAY}' took too long on this {word}" in message
    assert "Sist oppdatert" not in message
    assert "simplify the pattern or remove it" in message


@pytest.mark.timeout(60)
def test_the_reported_nested_pattern_is_read_at_once_and_ignores_what_it_matches() -> None:
    content = parse_content("page", _page("a" * 40 + "!", "Slutt med aaa"), ignore=(NESTED,))

    assert content.blocks == ("Smittetall", TEXT, "a" * 40 + "!")


@pytest.mark.timeout(60)
def test_a_long_pattern_is_cut_in_the_reason() -> None:
    pattern = RUNAWAY + "|" + "x" * 1000
    with pytest.raises(ContentError, match="took too long") as raised:
        parse_content("page", _page(LONG_LINE), ignore=(pattern,))

    assert f"the ignore pattern '{pattern[:200]}…' took too long" in str(raised.value)


def test_ordinary_patterns_leave_out_the_blocks_and_feed_items_they_match() -> None:
    page = _page("Sist oppdatert 3. mars 2025", "Les mer", "Tallene kommer hver uke.")
    content = parse_content("page", page, ignore=("^Sist oppdatert", r"^Les mer$"))
    assert content.blocks == ("Smittetall", TEXT, "Tallene kommer hver uke.")

    feed = parse_content("feed", _feed("Nytt om smitte", "Annonse: kurs"), ignore=("^Annonse",))
    assert [e.title for e in feed.entries] == ["Nytt om smitte"]


def test_ordinary_patterns_on_a_long_document_stay_within_the_budget() -> None:
    # Thousands of blocks, each searched by a few patterns: microseconds each, far inside.
    paragraphs = [f"Avsnitt {n} om smittevern, med tall for uke {n}." for n in range(1000)]
    patterns = ("Sist oppdatert .*", r"^Annonse\b", r"\bkampanje\w*", "Del på (?:Facebook|X)")
    content = parse_content("page", _page(*paragraphs), ignore=patterns)
    assert len(content.blocks) == 1002


def test_a_pattern_that_is_no_regular_expression_is_still_refused_as_such() -> None:
    with pytest.raises(ContentError, match="invalid ignore pattern") as raised:
        parse_content("page", _page(), ignore=("(uavsluttet",))
    assert raised.value.reason == "bad_ignore"
