"""The parser's tree walks and lookups find exactly what the XPaths they replace find.

Each walk, each lookup by attribute and the bytes-in parse is checked against its plain XPath
or the text path on the fixture pages and on crafted ones: a different element found would
change stored fingerprints, and every source would alert once after an upgrade. The text-level
shortcuts (normalising, dates, cookie words) are in test_watcher_fast_paths.py.
"""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from lxml import etree

from services.watcher.domain import html_chrome, html_main_content, html_parse
from services.watcher.domain.charsets import decode_page
from services.watcher.domain.content import parse_content
from services.watcher.domain.html_dates import visible_text

PAGES = sorted((Path(__file__).parents[2] / "fixtures" / "watcher").rglob("*.html"))


def _pages_and(body: bytes, name: str) -> list[Any]:
    """Every HTML fixture and one crafted body, as pytest parameters."""
    return [*(pytest.param(p.read_bytes(), id=p.name) for p in PAGES), pytest.param(body, id=name)]


_EXSLT = {"re": "http://exslt.org/regular-expressions"}
_DROP_BY_XPATH = etree.XPath(
    "//*["
    + " or ".join(f"self::{t}" for t in html_chrome._DROP_TAGS)
    + " or ((self::header or self::footer) and not(ancestor::article))"
    + " or "
    + " or ".join(f"@role='{r}'" for r in html_chrome._DROP_ROLES)
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
    tree = html_parse.parse_page(body, None)
    dropped, classed = html_chrome._chrome_candidates(tree)
    for element in dropped:
        html_chrome._remove(element)
    left = [e for e in classed if html_chrome.attached(e, tree)]
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
    tree = html_parse.parse_page(body, None)
    found = html_chrome._BREADCRUMB_XPATH(tree)
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
    tree = html_parse.parse_page(body, None)
    assert tree.xpath("//@role[. = 'main']/..") == tree.xpath("//*[@role='main']")
    assert html_main_content.semantic_container(tree) == _container_by_definition(tree)
    if body is _IDS_AND_ROLES:  # with one role='main' left, that is the container
        assert len(tree.xpath("//@role[. = 'main']/..")) == 2
        assert len(html_main_content._BY_ID(tree, id="a")) == 2
        tree.find(".//section").attrib.pop("role")
        assert html_main_content.semantic_container(tree) == _container_by_definition(tree)
        assert html_main_content.semantic_container(tree) is not None
    for name in ["top", "a", "b", "c", "", "none", *(e.get("id") for e in tree.iter())]:
        assert html_main_content._BY_ID(tree, id=name) == tree.xpath("//*[@id=$id]", id=name)


def test_chrome_candidates_with_roles_and_names_are_those_the_xpaths_find() -> None:
    # Elements with roles, classes and ids in every mix, and attributes that are neither.
    tree = html_parse.parse_page(_ROLES_AND_NAMES, None)
    dropped, classed = html_chrome._chrome_candidates(tree)
    assert dropped == _DROP_BY_XPATH(tree)
    assert classed == _CLASSED_BY_XPATH(tree)
    assert [e.tag for e in dropped] == ["div", "p", "header", "section", "main"]
    assert [e.tag for e in classed] == ["div", "p", "i", "footer"]


@pytest.mark.parametrize("path", PAGES, ids=[p.name for p in PAGES])
def test_tree_walks_find_what_the_xpaths_found(path: Path) -> None:
    tree = html_parse.parse_page(path.read_bytes(), None)
    dropped, classed = html_chrome._chrome_candidates(tree)
    assert dropped == _DROP_BY_XPATH(tree)
    chrome = [
        e
        for e in classed
        if html_chrome._CHROME_CLASS_RE.search(f"{e.get('class', '')} {e.get('id', '')}")
    ]
    assert chrome == _CHROME_BY_XPATH(tree, pattern=html_chrome._CHROME_CLASS)
    phrases = [t for t in html_chrome._TEXT_XPATH(tree) if html_chrome._PHRASE_RE.match(t)]
    assert phrases == _PHRASES_BY_XPATH(tree, pattern=html_chrome._PHRASE_PATTERN)
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
    text, whole_utf8 = decode_page(body, None)
    assert whole_utf8
    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
    from_text = lxml.html.document_fromstring(text, parser=parser)
    assert etree.tostring(html_parse.parse_page(body, None)) == etree.tostring(from_text)


def test_only_a_body_read_whole_as_utf8_is_said_to_be() -> None:
    text = "<p>Blåbær</p>"
    assert decode_page(text.encode(), None) == (text, True)
    assert decode_page(text.encode(), "text/html; charset=UTF8") == (text, True)
    assert decode_page(b"\xef\xbb\xbf" + text.encode(), None) == (text, False)
    assert decode_page(text.encode("latin-1"), None) == (text, False)
    assert decode_page(text.encode("utf-16"), "text/html; charset=utf-16") == (
        text,
        False,
    )


def test_visible_text_skips_hidden_elements_but_keeps_their_tails() -> None:
    tree = html_parse.parse_page(
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
    rendered = copy.copy(html_main_content._TRAFILATURA_OPTIONS)
    rendered.format = "python"
    monkeypatch.setattr(html_main_content, "_TRAFILATURA_OPTIONS", rendered)
    assert parse_content("page", body, **options) == fast


@pytest.mark.parametrize(("body", "options"), _page_bodies())
def test_the_c_class_lookup_extracts_what_lxml_html_lookup_extracts(
    body: bytes, options: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The C lookup gives form controls the plain element class; nothing extracted may differ.
    assert type(html_parse.parse_page(_FORM_CONTROLS.encode(), None).find(".//input")) is (
        lxml.html.HtmlElement
    )
    fast = parse_content("page", body, **options)
    monkeypatch.setattr(html_parse, "_LOOKUP", lxml.html.HtmlElementClassLookup())
    assert type(html_parse.parse_page(_FORM_CONTROLS.encode(), None).find(".//input")) is (
        lxml.html.InputElement
    )
    assert parse_content("page", body, **options) == fast
