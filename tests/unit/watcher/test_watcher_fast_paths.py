"""The parser's fast paths give exactly what the regular expressions they replace give.

A different answer would change stored fingerprints, and every source would alert once after
an upgrade; so each shortcut is checked against its plain definition on awkward text.
"""

from __future__ import annotations

import copy
import re
import tomllib
import unicodedata
from datetime import date
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from lxml import etree

from services.watcher.domain import dates, extract_html, normalise
from services.watcher.domain.content import parse_content
from services.watcher.domain.dates import (
    DATE_PHRASE_RE,
    LABEL_WORDS,
    PUBLISHED_LABEL,
    UPDATED_LABEL,
    find_labelled_dates,
    parse_date,
)
from services.watcher.domain.html_dates import visible_text
from services.watcher.domain.normalise import (
    _COOKIE_RE,
    _COOKIE_VERB_RE,
    _INVISIBLE_RE,
    _ONLY_LABELS_RE,
    BOILERPLATE_RE,
    clean_blocks,
    fold_text,
    is_boilerplate,
    normalise_text,
    normalise_texts,
    strip_date_phrases,
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
    for match in dates._LABELLED_RE.finditer(text):
        found = parse_date(match.group("date"))
        if found is None:
            continue
        if match.group("pub") and published is None:
            published = found
        elif match.group("upd") and updated is None:
            updated = found
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


@pytest.mark.parametrize("text", SAMPLES)
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


def _strip_by_definition(text: str) -> str:
    if not text:
        return text
    stripped = DATE_PHRASE_RE.sub(" ", text)
    if _ONLY_LABELS_RE.fullmatch(stripped):
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
    ],
)
def test_date_phrases_are_stripped_as_the_regex_strips_them(text: str) -> None:
    assert strip_date_phrases(text) == _strip_by_definition(text)
    if not dates.has_label_word(text):
        assert strip_date_phrases(text, labelled=False) == _strip_by_definition(text)


def test_the_separators_are_what_the_labels_pattern_lets_stand_but_whitespace() -> None:
    # A text without a label word that starts with none of them is never all separators.
    alone = {chr(c) for c in range(0x110000) if _ONLY_LABELS_RE.fullmatch(chr(c))}
    assert alone == normalise._SEPARATORS | {c for c in alone if c.isspace()}
    assert not any(c.isspace() for c in normalise._SEPARATORS)


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
    for label in (PUBLISHED_LABEL, UPDATED_LABEL):
        for alternative in label.removeprefix("(?:").removesuffix(")").split("|"):
            assert any(alternative.startswith(word) for word in LABEL_WORDS), alternative


PAGES = sorted((Path(__file__).parents[2] / "fixtures" / "watcher").rglob("*.html"))


def _pages_and(body: bytes, name: str) -> list[Any]:
    """Every HTML fixture and one crafted body, as pytest parameters."""
    return [*(pytest.param(p.read_bytes(), id=p.name) for p in PAGES), pytest.param(body, id=name)]


_EXSLT = {"re": "http://exslt.org/regular-expressions"}
_DROP_BY_XPATH = etree.XPath(
    "//*["
    + " or ".join(f"self::{t}" for t in extract_html._DROP_TAGS)
    + " or ((self::header or self::footer) and not(ancestor::article))"
    + " or "
    + " or ".join(f"@role='{r}'" for r in extract_html._DROP_ROLES)
    + "]"
)
_CHROME_BY_XPATH = etree.XPath(
    "//*[not(self::html or self::body or self::main or self::article)]"
    "[re:test(concat(@class, ' ', @id), $pattern, 'i')]",
    namespaces=_EXSLT,
)
_BREADCRUMBS_BY_XPATH = etree.XPath(
    "//*[self::ol or self::ul][count(li) <= 8]"
    "[li[1][re:test(normalize-space(.), '^(?:Forside|Hjem|Startside|Home|Front page)$', 'i')]]",
    namespaces=_EXSLT,
)
_CLASSED_BY_XPATH = etree.XPath(
    "//*[not(self::html or self::body or self::main or self::article)][@class or @id]"
)
_PHRASES_BY_XPATH = etree.XPath("//text()[re:test(., $pattern, 'i')]", namespaces=_EXSLT)
_VISIBLE_BY_XPATH = etree.XPath(
    ".//text()[not(ancestor::script or ancestor::style or ancestor::noscript"
    " or ancestor::template)]"
)


_CLASSED_IN_CHROME = b"""<html><body><nav class="site-nav"><ul id="menu"><li class="on">Hjem</li>
</ul></nav><div class="content"><h1>Tittel</h1><p class="lead">Ingress.</p></div>
<footer><div class="cookie">Vi bruker informasjonskapsler.</div></footer></body></html>"""


@pytest.mark.parametrize("body", _pages_and(_CLASSED_IN_CHROME, "classed elements in chrome"))
def test_classed_elements_left_after_the_cut_are_those_the_xpath_finds_then(body: bytes) -> None:
    # The walk collects classed elements before the chrome is cut; those inside a cut
    # subtree must be skipped, as an XPath run after the cut would never have seen them.
    tree = extract_html._parse(body, None)
    dropped, classed = extract_html._chrome_candidates(tree)
    for element in dropped:
        extract_html._remove(element)
    left = [e for e in classed if extract_html._attached(e, tree)]
    assert left == _CLASSED_BY_XPATH(tree)
    if body is _CLASSED_IN_CHROME:
        assert [e.get("class") for e in left] == ["content", "lead"]


_ROLES_AND_NAMES = b"""<html><body><div role="navigation">Meny</div>
<div role="main" class="a"><p id="p1" role="search" class="b">S\xc3\xb8k</p>
<span title="t">x</span><header role="note">H</header>
<section data-x="1" role="banner"><i class="">c</i></section><div role="">r</div>
<article id="a1"><footer class="f">F</footer></article><main role="dialog">M</main>
</div></body></html>"""


_NINE_ITEMS = "<li>Forside</li>" * 9
_EIGHT_ITEMS = "<li>Startside</li>" + "<li>x</li>" * 7
_LISTS = f"""<html><body><ul><li> hjem </li><li>A</li></ul><div><ol><li>FORSIDE</li>
<li><ul><li>Home</li></ul></li></ol></div><ul><li>Hjemme</li></ul><dl><li>Hjem</li></dl>
<ol>{_NINE_ITEMS}</ol><ul><li><b>Front</b>  page</li></ul><ul>{_EIGHT_ITEMS}</ul>
<ul></ul><ol><li></li><li>Hjem</li></ol></body></html>""".encode()


@pytest.mark.parametrize("body", _pages_and(_LISTS, "lists"))
def test_breadcrumbs_are_the_lists_the_plain_xpath_finds(body: bytes) -> None:
    tree = extract_html._parse(body, None)
    found = extract_html._BREADCRUMB_XPATH(tree)
    assert found == _BREADCRUMBS_BY_XPATH(tree)
    if body is _LISTS:
        assert len(found) == 5  # hjem, FORSIDE, Home (nested), Front page, Startside


_IDS_AND_ROLES = b"""<html id="top"><body><div role="main" id="a">A</div><p id="b" role="x">B</p>
<section role="main"><div id="a">igjen</div><span role="main  ">C</span></section>
<div ID="c" Role="Main">D</div><div id="">E</div></body></html>"""


def _container_by_definition(tree: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    for path in ("//article", "//main", "//*[@role='main']"):
        found = tree.xpath(path)
        if len(found) == 1:
            element: lxml.html.HtmlElement = found[0]
            return element
    return None


@pytest.mark.parametrize("body", _pages_and(_IDS_AND_ROLES, "ids and roles"))
def test_elements_found_by_role_and_id_are_those_the_element_tests_find(body: bytes) -> None:
    tree = extract_html._parse(body, None)
    assert tree.xpath("//@role[. = 'main']/..") == tree.xpath("//*[@role='main']")
    assert extract_html._semantic_container(tree) == _container_by_definition(tree)
    if body is _IDS_AND_ROLES:  # with one role='main' left, that is the container
        assert len(tree.xpath("//@role[. = 'main']/..")) == 2
        assert len(extract_html._BY_ID(tree, id="a")) == 2
        tree.find(".//section").attrib.pop("role")
        assert extract_html._semantic_container(tree) == _container_by_definition(tree)
        assert extract_html._semantic_container(tree) is not None
    for name in ["top", "a", "b", "c", "", "none", *(e.get("id") for e in tree.iter())]:
        assert extract_html._BY_ID(tree, id=name) == tree.xpath("//*[@id=$id]", id=name)


def test_chrome_candidates_with_roles_and_names_are_those_the_xpaths_find() -> None:
    # Elements with roles, classes and ids in every mix, and attributes that are neither.
    tree = extract_html._parse(_ROLES_AND_NAMES, None)
    dropped, classed = extract_html._chrome_candidates(tree)
    assert dropped == _DROP_BY_XPATH(tree)
    assert classed == _CLASSED_BY_XPATH(tree)
    assert [e.tag for e in dropped] == ["div", "p", "header", "section", "main"]
    assert [e.tag for e in classed] == ["div", "p", "i", "footer"]


@pytest.mark.parametrize("path", PAGES, ids=[p.name for p in PAGES])
def test_tree_walks_find_what_the_xpaths_found(path: Path) -> None:
    tree = extract_html._parse(path.read_bytes(), None)
    dropped, classed = extract_html._chrome_candidates(tree)
    assert dropped == _DROP_BY_XPATH(tree)
    chrome = [
        e
        for e in classed
        if extract_html._CHROME_CLASS_RE.search(f"{e.get('class', '')} {e.get('id', '')}")
    ]
    assert chrome == _CHROME_BY_XPATH(tree, pattern=extract_html._CHROME_CLASS)
    phrases = [t for t in extract_html._TEXT_XPATH(tree) if extract_html._PHRASE_RE.match(t)]
    assert phrases == _PHRASES_BY_XPATH(tree, pattern=extract_html._PHRASE_PATTERN)
    # Every element: scopes with hidden elements below take the walk, the others lxml's own.
    for scope in tree.iter():
        assert visible_text(scope) == [str(t) for t in _VISIBLE_BY_XPATH(scope)]


@pytest.mark.parametrize(
    "body",
    [
        *(p.read_bytes() for p in PAGES),
        b'<meta charset="windows-1252"><p>Bl\xc3\xa5b\xc3\xa6r \xe2\x80\x93 \xf0\x9f\x98\x80</p>',
        b"<p>f\xc3\xb8r\x00etter\r\nog\rs\xc3\xa5\x0c \xc2\x85</p><p>a\xef\xbb\xbfb</p>",
        b"  <p>ASCII med <b>uavsluttet</p>",
    ],
)
def test_a_utf8_body_parses_as_its_text_parses(body: bytes) -> None:
    # UTF-8 bodies are parsed from their bytes, every other from their decoded text.
    text, whole_utf8 = extract_html._decode(body, None)
    assert whole_utf8
    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
    from_text = lxml.html.document_fromstring(text, parser=parser)
    assert etree.tostring(extract_html._parse(body, None)) == etree.tostring(from_text)


def test_only_a_body_read_whole_as_utf8_is_said_to_be() -> None:
    text = "<p>Blåbær</p>"
    assert extract_html._decode(text.encode(), None) == (text, True)
    assert extract_html._decode(text.encode(), "text/html; charset=UTF8") == (text, True)
    assert extract_html._decode(b"\xef\xbb\xbf" + text.encode(), None) == (text, False)
    assert extract_html._decode(text.encode("latin-1"), None) == (text, False)
    assert extract_html._decode(text.encode("utf-16"), "text/html; charset=utf-16") == (
        text,
        False,
    )


def test_visible_text_skips_hidden_elements_but_keeps_their_tails() -> None:
    tree = extract_html._parse(
        b"<html><body><div><p>Publisert<script>var x;</script> 3. mars 2024</p>"
        b"<noscript><p>Skru p\xc3\xa5 JavaScript</p></noscript>Hale</div></body></html>",
        None,
    )
    div = tree.find(".//div")
    assert visible_text(div) == ["Publisert", " 3. mars 2024", "Hale"]
    assert visible_text(div.find("p")) == ["Publisert", " 3. mars 2024"]
    assert visible_text(div.find(".//script")) == []


_CASES: list[dict[str, Any]] = tomllib.loads(
    (Path(__file__).parents[2] / "fixtures" / "watcher" / "cases.toml").read_text("utf-8")
)["case"]
_FORM_CONTROLS = """<!DOCTYPE html><html><head><title>Skjema</title></head><body>
<nav><label for="q">Søk</label><input id="q" value="helse"><button>Søk</button></nav>
<div class="content"><h1>Søknad om tilskudd</h1>
<p>Fyll ut skjemaet under for å søke om tilskudd til folkehelsearbeid i kommunen din.</p>
<form><label>Kommune <select name="k"><option selected>Oslo</option><option>Bergen</option>
</select></label><textarea name="t">Beskriv tiltaket her</textarea></form>
<p>Søknadsfristen er 1. mars, og svar kommer innen seks uker etter fristen.</p></div>
</body></html>"""


def _page_bodies() -> list[Any]:
    """Every HTML fixture, each page case's edited version, and a page full of form controls."""
    bodies = [(p.name, p.read_bytes(), {}) for p in PAGES]
    for case in _CASES:
        if case["kind"] != "page" or "edits" not in case:
            continue
        text = (Path(__file__).parents[2] / "fixtures" / "watcher" / case["base"]).read_text()
        for edit in case["edits"]:
            text = text.replace(edit["old"], edit["new"])
        options = {"selector": case.get("selector"), "ignore": tuple(case.get("ignore", ()))}
        bodies.append((case["name"], text.encode(), options))
    bodies.append(("form controls", _FORM_CONTROLS.encode(), {}))
    return [pytest.param(body, options, id=name) for name, body, options in bodies]


@pytest.mark.parametrize(("body", "options"), _page_bodies())
def test_trafilatura_finds_the_same_body_whatever_the_output_format(
    body: bytes, options: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # "xml" hands back the body without rendering it as text; what is read from it is the same.
    fast = parse_content("page", body, **options)
    rendered = copy.copy(extract_html._TRAFILATURA_OPTIONS)
    rendered.format = "python"
    monkeypatch.setattr(extract_html, "_TRAFILATURA_OPTIONS", rendered)
    assert parse_content("page", body, **options) == fast


@pytest.mark.parametrize(("body", "options"), _page_bodies())
def test_the_c_class_lookup_extracts_what_lxml_html_lookup_extracts(
    body: bytes, options: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The C lookup gives form controls the plain element class; nothing extracted may differ.
    assert type(extract_html._parse(_FORM_CONTROLS.encode(), None).find(".//input")) is (
        lxml.html.HtmlElement
    )
    fast = parse_content("page", body, **options)
    monkeypatch.setattr(extract_html, "_LOOKUP", lxml.html.HtmlElementClassLookup())
    assert type(extract_html._parse(_FORM_CONTROLS.encode(), None).find(".//input")) is (
        lxml.html.InputElement
    )
    assert parse_content("page", body, **options) == fast
