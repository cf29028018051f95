"""The parser's fast paths give exactly what the regular expressions they replace give.

A different answer would change stored fingerprints, and every source would alert once after
an upgrade; so each shortcut is checked against its plain definition on awkward text.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

import pytest

from services.watcher.domain import dates, normalise
from services.watcher.domain.dates import (
    CAPITAL_WORDS,
    LABEL_WORDS,
    MORE_LABEL_WORDS,
    PUBLISHED_LABEL,
    UPDATED_LABEL,
    find_labelled_dates,
    parse_date,
)
from services.watcher.domain.normalise import (
    _COOKIE_RE,
    _COOKIE_VERB_RE,
    _INVISIBLE_RE,
    BOILERPLATE_RE,
    clean_blocks,
    fold_text,
    is_boilerplate,
    normalise_text,
    normalise_texts,
    strip_date_phrases,
)
from services.watcher.domain.stamps import (
    FIRST_STAMPS,
    SEPARATORS,
    STAMPS_7,
    STAMPS_9,
    WORDINGS,
    Stamps,
)

SAMPLES = [
    "",
    "   ",
    "Publisert 03.02.2021 Sist oppdatert 5. mars 2024",
    "Først publisert: 1. okt. 2023, kl. 14.30 – Oppdatert 2024-01-05T09:00:00+01:00",
    "Den ble oppdatert 5. mars 2024 i en setning, ikke et stempel.",
    "xPublisert 03.02.2021 (inne i et ord) og Publisert 31.02.2021 (ugyldig)",
    "Last updated August 18, 2022. Modified: 18 Aug 2022. Updated 5.3.24",
    "Endret\u00a03.\u202fmars\u20092024\u00ad med\u200b usynlige\ufeff tegn",
    "ﬁre ﬂate Ｆｕｌｌ  bredde\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\u2028\u2029 slutt",
    "Sist Sist Sist faglig oppdatert 18. august 2022 Sist endret 19.08.2022",
    "Vi bruker informasjonskapsler (cookies). Godta alle?",
    "Vi bruker COOKIES for å måle trafikk – aksepter",
    "Artikkel om cookie-lovgivning uten verb",
    "Vi bruker INFORMASJONSKAPSLER: godta?",
    "Vi bruker ınformasjonskapſler, godta dem",
    "Vi bruker inKformasjonskapsler Kapsler og kunnskap: aksepter",
    "Kunnskap om kapasitet: vi bruker informasjon om samarbeid",
]


def _normalise_by_definition(text: str) -> str:
    text = unicodedata.normalize("NFKC", _INVISIBLE_RE.sub("", text))
    return re.sub(r"\s+", " ", text).strip()


def _labelled_by_definition(text: str) -> tuple[object, object]:
    published = updated = None
    found: list[tuple[bool, str]] = []
    at = 0
    while (match := dates._LABELLED_RE.search(text, at)) is not None:
        found.append((match.group("pub") is not None, match.group("date")))
        at = max(match.end(), match.start() + 1)
        # Labels in lower case after a stamp and a comma (extraction 9's).
        while (then := dates._THEN_RE.match(text, match.end())) is not None:
            found.append((then.group("pub2") is not None, then.group("date2")))
            match = then
            at = then.end()
    for is_published, written in found:
        day = parse_date(written)
        if day is None:
            continue
        if is_published and published is None:
            published = day
        elif not is_published and updated is None:
            updated = day
    return published, updated


@pytest.mark.parametrize("text", SAMPLES)
def test_normalise_text_equals_its_definition(text: str) -> None:
    assert normalise_text(text) == _normalise_by_definition(text)


def test_a_no_break_space_next_to_any_character_normalises_as_by_definition() -> None:
    # The no-break space is replaced before NFKC: that must hold beside every character of
    # the Basic Multilingual Plane, combining marks included.
    for code in range(0x10000):
        char = chr(code)
        text = f"a\u00a0{char}\u00e5{char}\u00a0"
        assert normalise_text(text) == _normalise_by_definition(text), hex(code)


def test_texts_normalised_together_equal_each_normalised_alone() -> None:
    assert normalise_texts([]) == []
    assert normalise_texts(SAMPLES) == [_normalise_by_definition(t) for t in SAMPLES]
    # A text holding the joining character itself is still normalised as itself.
    with_nul = ["før\x00etter", "a\u00a0b", "\x00"]
    assert normalise_texts(with_nul) == [_normalise_by_definition(t) for t in with_nul]


def test_latin1_text_folds_as_nfkc_folds_it() -> None:
    # Latin-1 text skips NFKC unless it holds a character NFKC changes: no pair of the others
    # may compose or change either.
    latin1 = [chr(code) for code in range(0x20, 0x100) if chr(code).isprintable()]
    for first in latin1:
        for second in latin1:
            text = f"{first}{second}"
            assert fold_text(text) == unicodedata.normalize("NFKC", text), (first, second)
    assert fold_text("2\u00b2 \u00bd \u00e5 x") == "22 1\u20442 \u00e5 x"


def test_only_the_plain_space_among_whitespace_is_printable() -> None:
    # What lets a printable block without double or outer spaces pass as already collapsed.
    for code in range(0x110000):
        char = chr(code)
        if char != " " and len(f"a{char}b".split()) == 2:
            assert not char.isprintable(), hex(code)


def test_the_other_whitespace_is_every_character_split_splits_on_but_the_space() -> None:
    # What lets a page's blocks be searched for whitespace rather than each checked.
    splitting = [chr(code) for code in range(0x110000) if len(f"a{chr(code)}b".split()) == 2]
    assert sorted(normalise._OTHER_WHITESPACE) == [c for c in splitting if c != " "]


_UNCOLLAPSED_PARTS = [
    ["a b", "c  d", "e", "", " f", "g ", "h\ni\nj", "k  l  m", "n\u3000o", "p q"],
    ["", "", "x  y"],
    ["x\ty", "\n", " ", "  ", "ok", "a\x85b\u2028c  d "],
    ["én to", "tre fire"],
    [" "],
    [""],
]


@pytest.mark.parametrize("parts", _UNCOLLAPSED_PARTS)
def test_parts_are_collapsed_as_each_alone(parts: list[str]) -> None:
    joined = "\x00".join(parts)
    assert normalise._collapsed_parts(joined) == [" ".join(p.split()) for p in parts]
    assert normalise_texts(parts) == [_normalise_by_definition(p) for p in parts]


@pytest.mark.parametrize(
    "text", ["", " ", "a", "a b", " a", "a ", "a  b", "a\tb", "a\u00a0b", "a\u3000b", "a\x1fb"]
)
def test_collapsing_gives_what_splitting_and_joining_gives(text: str) -> None:
    assert normalise._collapsed(text) == " ".join(text.split())
    assert normalise_texts([text, text]) == [_normalise_by_definition(text)] * 2


def test_no_character_joins_with_its_neighbour_text_when_normalised_together() -> None:
    # Combining marks and compatibility characters at either end of a text must not
    # compose or reorder with the text beside it.
    for code in range(0x10000):
        char = chr(code)
        texts = [f"a{char}", f"{char}\u0301e", char, f"\u00e5{char}\u00a0"]
        assert normalise_texts(texts) == [_normalise_by_definition(t) for t in texts], hex(code)


def test_clean_blocks_strips_dates_in_every_block_or_in_none_alike() -> None:
    raw = [(text, False) for text in SAMPLES] + [("·", False), ("Kun innhold", True)]
    expected = [
        b
        for b in (_strip_by_definition(_normalise_by_definition(t)) for t, _ in raw)
        if b and not is_boilerplate(b)
    ]
    assert list(clean_blocks(raw)[0]) == expected
    # With no label word anywhere, a block of only separators still goes.
    assert clean_blocks([("·", False), ("Kun innhold", True)]) == (("Kun innhold",), {0})


# Extraction 7's forms: capitals, «dato» after the label, a weekday, the wordings it added.
_WORDINGS_7 = [
    "SIST OPPDATERT 05.12.2026 · PUBLISERT: 01.12.2026 og SIST Oppdatert 6.12.2026",
    "Sist oppdatert dato: fredag 5. desember 2026 Publiseringsdato 1.12.2026",
    "PUBLICATION DATE 1 December 2026, Publication date: 2 December 2026, Sist revidert 3.12.26",
    "SISTE OPPDATERT 5.12.2026 PPUBLISERT 1.12.2026 Last updated on Friday, December 5, 2026",
    "S" * 300 + "SIST REVIDERT 05.12.2026 " + "P" * 300 + "PUBLISERINGSDATO 01.12.2026",
]


# Extraction 9's: a sentence as a label, a time before the date, lower case after a comma.
_WORDINGS_9 = [
    "Denne siden ble sist oppdatert 5. mars 2024. Siden er sist oppdatert 14:30 15.03.2021",
    "Publisert 03.02.2021, oppdatert 05.03.2024; sist endret kl. 10.15, 6.3.2024 Revidert 1.1.24",
    "Page last updated: March 5, 2024, published 1 March 2024 Sist gjennomgått 2024-03-01",
    "Hentet 05.03.2024 Generert 06.03.2024 Sist oppdatert 16. mars SIDAN ER SIST OPPDATERT 1.2.24",
    "D" * 300 + "Denne sida vart sist oppdatert 05.03.2024, oppdatert 06.03.2024",
]


@pytest.mark.parametrize("text", [*SAMPLES, *_WORDINGS_7, *_WORDINGS_9])
def test_labelled_dates_equal_a_scan_at_every_position(text: str) -> None:
    assert find_labelled_dates(text) == _labelled_by_definition(text)
    spaced = _normalise_by_definition(text)
    assert find_labelled_dates(spaced) == _labelled_by_definition(spaced)


_SPREAD = [
    "Sist \n faglig\toppdatert  18.\n august\u00a0 2022 og\r\nFørst\u2028publisert\x1c1.10.2023",
    "  Last\n\nupdated:\t August  18,\n2022  Publisert\u00a0dato 3. mars 2024",
    "Sist\u00adoppdatert 5. mars 2024, Sist  endret 6. mars 2024, Endret\u200b 7. mars 2024",
    "xSist oppdatert 5. mars 2024 Modified:\u3000 2024-01-05",
]


@pytest.mark.parametrize("text", [*SAMPLES, *_SPREAD])
def test_labelled_dates_are_the_same_in_folded_and_in_normalised_text(text: str) -> None:
    # Pages are searched folded but uncollapsed (html_dates): runs of whitespace, labels of
    # several words included, must not change what is found.
    normalised = normalise_text(text)
    assert find_labelled_dates(fold_text(text)) == find_labelled_dates(normalised)
    assert find_labelled_dates(normalised) == _labelled_by_definition(normalised)
    assert " ".join(fold_text(text).split()) == normalised


def test_spread_labels_are_found() -> None:
    # The cases above must hold dates to find, or their equality would prove nothing.
    assert find_labelled_dates(fold_text(_SPREAD[0])) == (date(2023, 10, 1), date(2022, 8, 18))
    assert find_labelled_dates(fold_text(_SPREAD[1])) == (date(2024, 3, 3), date(2022, 8, 18))
    # A soft hyphen is removed: «Sistoppdatert» is no label, «Sist  endret» is.
    assert find_labelled_dates(fold_text(_SPREAD[2])) == (None, date(2024, 3, 6))


def _strip_by_definition(text: str, stamps: Stamps = FIRST_STAMPS) -> str:
    if not text:
        return text
    stripped = stamps.phrases.sub(" ", text)
    if stamps.only_labels.fullmatch(stripped):
        return ""
    if stripped == text:
        return text
    return re.sub(r"\s+", " ", stripped).strip()


@pytest.mark.parametrize(
    "text",
    [
        *(_normalise_by_definition(t) for t in SAMPLES),
        "·",
        " – / ",
        "\u3000",
        ": Innhold",
        "Innhold ·",
        "–",
        "x",
        "Oppdatert",
        "| Sist endret |",
        "SIST OPPDATERT: 05.12.2026 · Publisert dato 1.12.2026",
        "| SIST ENDRA DATO |",
        "Sist Oppdatert for 5 minutter siden, LAST UPDATED 2 hours ago",
        "Oppdatert i går. Oppdatert i dag er veilederen ny.",
        *_WORDINGS_9,
        "Publisert 03.02.2021, oppdatert med nye tall. Oppdatert 09:12, 14:30",
    ],
)
@pytest.mark.parametrize("stamps", [FIRST_STAMPS, STAMPS_7, STAMPS_9], ids=["first", "7", "9"])
def test_date_phrases_are_stripped_as_the_regex_strips_them(text: str, stamps: Stamps) -> None:
    assert strip_date_phrases(text, stamps=stamps) == _strip_by_definition(text, stamps)
    if not stamps.may_hold(text):
        assert strip_date_phrases(text, labelled=False, stamps=stamps) == _strip_by_definition(
            text, stamps
        )


@pytest.mark.parametrize("stamps", [FIRST_STAMPS, STAMPS_7, STAMPS_9], ids=["first", "7", "9"])
def test_the_separators_are_what_the_labels_pattern_lets_stand_but_whitespace(
    stamps: Stamps,
) -> None:
    # A text without a label word that starts with none of them is never all separators.
    alone = {chr(c) for c in range(0x110000) if stamps.only_labels.fullmatch(chr(c))}
    assert alone == SEPARATORS | {c for c in alone if c.isspace()}
    assert not any(c.isspace() for c in SEPARATORS)


_COOKIE_BLOCKS = [
    # Latin-1 blocks, searched lowered as bytes, and wider ones (a dash, the Kelvin sign, a
    # dotless i), lowered as str.
    "Vi bruker COOKIES – godta",
    "Vi bruker Cookies, godta dem",
    "Vi bruker INFORMASJONSKAPSLER på nettstedet, godta",
    "Vi bruker informasjons\u212aapsler, godta",
    "Vi bruker ınformasjonskapsler på nettstedet, godta",
    "Blåbær og COOK\u00e6 godta",
    "Cookiebot: tillat alle",
]


@pytest.mark.parametrize("text", [*(_normalise_by_definition(t) for t in SAMPLES), *_COOKIE_BLOCKS])
def test_boilerplate_equals_its_definition(text: str) -> None:
    expected = bool(BOILERPLATE_RE.match(text)) or (
        len(text) <= 400
        and _COOKIE_RE.search(text) is not None
        and _COOKIE_VERB_RE.search(text) is not None
    )
    assert is_boilerplate(text) == expected


def test_no_latin1_character_lowers_to_ascii_but_an_ascii_one() -> None:
    # What lets a Latin-1 block be searched for the cookie words lowered as bytes.
    for code in range(0x100):
        lowered = chr(code).lower()
        assert len(lowered) == 1, hex(code)
        assert lowered.isascii() == (code < 0x80), hex(code)


def test_texts_with_label_words_are_those_that_hold_one() -> None:
    texts = [*SAMPLES, "Sist", "Publiser", "NUL\x00Publisert", "Oppdatert\x00", "", "Endret"]
    expected = {i for i, text in enumerate(texts) if dates.has_label_word(text)}
    assert dates.texts_with_label_words(texts) == expected
    # A word split across two texts is in neither.
    assert dates.texts_with_label_words(["Publi", "sert", "x"]) == set()
    assert dates.texts_with_label_words([]) == set()


def _label_starts_by_definition(text: str) -> list[int]:
    return sorted({m.start() for w in LABEL_WORDS for m in re.finditer(re.escape(w), text)})


@pytest.mark.parametrize(
    "text",
    [
        *SAMPLES,
        *_SPREAD,
        "SistSist FirstFørst Publisert,Published",
        # More of one capital than the letter search takes: the rest by the words' searches.
        "S" * 300 + "Sist" + "S" * 5 + "Sist Oppdatert",
        "Sist " * 400 + "Endret",
        "Ss" * 255 + "Sist",
    ],
)
def test_label_starts_are_where_each_word_is_found(text: str) -> None:
    assert dates._label_starts(text) == _label_starts_by_definition(text)


def test_every_label_starts_with_a_searched_word() -> None:
    for label in (PUBLISHED_LABEL, UPDATED_LABEL, dates.PAGE_ONLY_LABEL):
        for alternative in label.removeprefix("(?:").removesuffix(")").split("|"):
            assert any(alternative.startswith(word) for word in LABEL_WORDS), alternative
    # Extraction 7's labels start with their first word as written or in capitals.
    for wording in WORDINGS:
        first = wording.split(" ")[0]
        assert first in LABEL_WORDS | MORE_LABEL_WORDS, wording
        assert first.upper() in CAPITAL_WORDS, wording
    # So do extraction 9's.
    for wording in (*dates.UPDATED_WORDINGS_9, *dates.MADE_WORDINGS_9):
        first = wording.split(" ")[0]
        assert first in LABEL_WORDS | dates.MORE_LABEL_WORDS_9, wording
        assert first.upper() in dates.CAPITAL_WORDS_9, wording


def test_texts_holding_a_label_word_of_extraction_7_are_those_that_hold_one() -> None:
    texts = [*SAMPLES, "SIST", "OPPDATERT\x00", "\x00FØRST", "Sist", "Oppd", "ATERT", ""]
    # The capitals are searched with the label words' letters: more of one letter than that
    # search takes (the rest by each word's own search), and a word inside another's match.
    texts += ["S" * 300, "PUBLISER", "S" * 300 + "SIST", "POPPDATERT", "O" * 260 + "Oppdatert"]
    expected = {i for i, text in enumerate(texts) if STAMPS_7.may_hold(text)}
    assert STAMPS_7.holding(texts) == expected
    assert {len(SAMPLES), len(SAMPLES) + 1, len(SAMPLES) + 2} <= expected
    assert STAMPS_7.holding(["S" * 300 + "SIST"] * 2 + ["S" * 300]) == {0, 1}


def test_texts_holding_a_label_word_of_extraction_9_are_those_that_hold_one() -> None:
    texts = [*SAMPLES, "Denne", "DENNE\x00", "Sidan", "Revidert", "Hent", "D" * 300 + "Denne"]
    texts += ["H" * 260 + "Hentet", "Page", "GENERERT", "Det er", ""]
    expected = {i for i, text in enumerate(texts) if STAMPS_9.may_hold(text)}
    assert STAMPS_9.holding(texts) == expected
    assert {len(SAMPLES), len(SAMPLES) + 1, len(SAMPLES) + 5} <= expected
