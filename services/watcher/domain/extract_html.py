"""Extract the main content, title and own dates of an HTML article.

The body is parsed once with lxml. Known chrome (navigation, header and footer, cookie
banners, browser warnings, skip links and the alert sign-up widget) is cut from that tree.
Then the main content comes from, in order: the per-source CSS selector; the page's own
single ``<article>`` or ``<main>``; the element its skip link («Hopp til hovedinnhold») leads
to, if that holds most of the page's text (from extraction 2 on, docs/decisions/0017);
trafilatura run on the already parsed tree. A container the page names wins over trafilatura
because trafilatura may pick a sub-container and lose the lead paragraph or the headings, and
because its heuristics can shift when a banner is added.
"""

from __future__ import annotations

import re
from functools import lru_cache

import lxml.html
import trafilatura
from cssselect import SelectorError
from lxml import etree
from lxml.cssselect import CSSSelector
from trafilatura.settings import Extractor

from services.watcher.domain.charsets import decode_page
from services.watcher.domain.files import refuse_binary_text
from services.watcher.domain.html_dates import page_dates
from services.watcher.domain.html_text import (
    HTML_BLOCKS,
    HTML_HEADINGS,
    TRAFILATURA_BLOCKS,
    TRAFILATURA_HEADINGS,
    settable_text,
    walk_blocks,
)
from services.watcher.domain.ignore import IgnorePatterns
from services.watcher.domain.model import (
    BROWSER_DECODING,
    DATES_BESIDE_LABELS,
    DEEP_PAGES,
    EXTRACTION,
    SKIP_LINK_TARGETS,
    Content,
    ContentError,
    require_text,
)
from services.watcher.domain.normalise import (
    BOILERPLATE_PREFIXES,
    clean_blocks,
    dates_beside_labels,
    normalise_text,
)
from services.watcher.domain.stamps import page_stamps
from services.watcher.domain.walls import (
    REDIRECTED_SIGN_IN_CHARS,
    SHORT_CHARS,
    SignIn,
    refuse_stand_ins,
    sign_in_in_main,
)
from shared.source_rules import compile_selector

_NS = {"re": "http://exslt.org/regular-expressions"}
_DROP_TAGS = (
    "script", "style", "noscript", "template", "nav", "aside", "form", "iframe", "svg",
    "button", "select", "input", "textarea", "label", "dialog", "canvas", "object",
    "embed", "img", "picture", "video", "audio", "map",
)  # fmt: skip
_DROP_ROLES = ("navigation", "banner", "contentinfo", "search", "dialog", "alertdialog")
_DROP_TAG_SET = frozenset(_DROP_TAGS)
_DROP_ROLE_SET = frozenset(_DROP_ROLES)
_CHROME_CLASS = (
    r"(?:^|[\s_-])(?:breadcrumbs?|brodsmule\w*|skip-?links?|skip-?to|samtykke|gdpr"
    r"|browser-?(?:warning|support|upgrade)|outdated-?browser|unsupported-?browser"
    r"|subscriptions?|subscribe|newsletter|nyhetsvarsel|share|sharing|social|feedback"
    r"|tilbakemelding|pager|pagination|toc|table-of-contents|innholdsfortegnelse"
    r"|(?:main-?|site-?)?menu|meny|navbar|site-?nav\w*)(?:$|[\s_-])"
    # Consent tools name their dialogs «CybotCookiebotDialog», «onetrust-consent-sdk».
    r"|cookie|consent|cybot|onetrust"
)
_CHROME_CLASS_RE = re.compile(_CHROME_CLASS, re.IGNORECASE)
# Breadcrumbs without a telling class: a short list that starts at the front page. The lists
# are found by name: libxml2 runs a predicate such as [self::ol or self::ul] on every element,
# which cost two thirds of this search.
_BREADCRUMB_XPATH = etree.XPath(
    "(//ol | //ul)[count(li) <= 8]"
    "[li[1][re:test(normalize-space(.), '^(?:Forside|Hjem|Startside|Home|Front page)$', 'i')]]",
    namespaces=_NS,
)
_PHRASE_PATTERN = r"^\W*(?:" + "|".join(re.escape(p) for p in BOILERPLATE_PREFIXES) + ")"
_PHRASE_RE = re.compile(_PHRASE_PATTERN, re.IGNORECASE)
_TEXT_XPATH = etree.XPath("//text()")
# A class-matched wrapper holding more text than this is layout, not a banner.
_CHROME_MAX_CHARS = 3000
# How much text beyond the widget phrase an ancestor may hold and still be the widget.
_WIDGET_SLACK_CHARS = 200
_KEEP = frozenset({"html", "body", "main", "article"})
# lxml.html picks each element's Python class in a Python callback, about a tenth of the
# parse; this lookup runs in C. It differs only for form controls (their ``value``
# helpers), which are cut as chrome and never read.
_LOOKUP = etree.ElementDefaultClassLookup(
    element=lxml.html.HtmlElement,
    comment=lxml.html.HtmlComment,
    pi=lxml.html.HtmlProcessingInstruction,
    entity=lxml.html.HtmlEntity,
)

_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>")


def extract_page(
    body: bytes,
    *,
    content_type: str | None,
    selector: str | None,
    ignore: IgnorePatterns | None,
    extraction: int = EXTRACTION,
    redirected: bool = False,
) -> Content:
    """Extract the comparable content of an HTML page (under the rules of ``extraction``).

    ``redirected``: the address led to a page on another path (a sign-in page may be longer).
    """
    deep = extraction >= DEEP_PAGES
    tree = _parse(body, content_type, browser_decoding=extraction >= BROWSER_DECODING, deep=deep)
    try:
        return _extracted(tree, selector, ignore, extraction, redirected)
    except RecursionError:  # the walks over the tree go one call deeper for each level
        raise ContentError(_TOO_DEEP) from None


def _extracted(
    tree: lxml.html.HtmlElement,
    selector: str | None,
    ignore: IgnorePatterns | None,
    extraction: int,
    redirected: bool,
) -> Content:
    """Extract the comparable content of a parsed page (see extract_page)."""
    container = None if selector else _semantic_container(tree)
    if container is None and not selector and extraction >= SKIP_LINK_TARGETS:
        container = _skip_link_target(tree)
    title = _title(tree)
    published, updated = page_dates(tree, container)
    sign_in = _strip_chrome(tree, container)

    if selector:
        roots = _select(tree, selector)
        raw = walk_blocks(roots, HTML_BLOCKS, HTML_HEADINGS)
    elif container is not None and _attached(container, tree):
        raw = walk_blocks([container], HTML_BLOCKS, HTML_HEADINGS)
    else:
        raw = _trafilatura_blocks(tree) or walk_blocks([tree], HTML_BLOCKS, HTML_HEADINGS)

    stamps = page_stamps(extraction)
    if extraction >= DATES_BESIDE_LABELS:
        raw = dates_beside_labels(raw, stamps)
    blocks, headings = clean_blocks(raw, ignore, stamps=stamps)
    require_text(blocks, "page")
    chars = sum(len(b) for b in blocks)
    if chars < REDIRECTED_SIGN_IN_CHARS:  # a longer page is no error page, no wall
        head = _first_text(tree, "//title") if chars < SHORT_CHARS else ""
        refuse_stand_ins(title, head, blocks, chars, sign_in=sign_in, redirected=redirected)
    return Content(
        title=title or blocks[0][:200],
        blocks=blocks,
        headings=headings,
        published=published,
        updated=updated,
    )


def _parse(
    body: bytes, content_type: str | None, *, browser_decoding: bool = True, deep: bool = True
) -> lxml.html.HtmlElement:
    """Parse the body once into an lxml HTML tree.

    ``deep`` (from extraction 8 on): a page whose elements nest more than 255 deep (a
    template's unclosed <div> in a loop) is read whole, where libxml2 stopped reading at that
    depth and the rest of the page was silently lost; deeper than can be read, it is refused.
    """
    text, whole_utf8 = decode_page(body, content_type, browser=browser_decoding)
    refuse_binary_text("page", text, body if whole_utf8 else None)
    declared = _XML_DECL_RE.match(text)
    if declared:
        text = text[declared.end() :]
    if not text.strip():
        raise ContentError("page: empty body")
    # A UTF-8 body is handed to libxml2 as it came: its text given as str would be handed
    # over as Latin-1 or UTF-16 and converted back to UTF-8, a fifth of the parse. The
    # parser's encoding outranks the page's <meta charset>, as it does for str (a test
    # checks both read alike); a body with an XML declaration is read from its text.
    encoding = "utf-8" if whole_utf8 and not declared else None
    parser = lxml.html.HTMLParser(
        remove_comments=True, remove_pis=True, no_network=True, encoding=encoding, huge_tree=deep
    )
    parser.set_element_class_lookup(_LOOKUP)
    try:
        tree = lxml.html.document_fromstring(body if encoding else text, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise ContentError(f"page: unparseable HTML ({exc})") from exc
    if deep and any(_CUT_DEEP in error.message for error in parser.error_log):
        raise ContentError(_TOO_DEEP)  # libxml2's own limit: read on, the rest is lost
    return tree


_CUT_DEEP = "Excessive depth in document"  # what libxml2 says where it stops reading
_TOO_DEEP = "page: unparseable HTML (its elements nest deeper than varsel reads: unclosed tags?)"


def _semantic_container(tree: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    """Return the page's single <article>, else its single <main>, else None."""
    # The role's element is found from its attribute: libxml2 would test [@role='main'] on
    # every element of the page, at four times the cost.
    for path in ("//article", "//main", "//@role[. = 'main']/.."):
        found = tree.xpath(path)
        if len(found) == 1:
            element: lxml.html.HtmlElement = found[0]
            return element
    return None


# «Hopp til hovedinnhold», «Skip to main content»: the link a page offers past its chrome.
_IN_PAGE_LINKS = etree.XPath("//a[starts-with(@href, '#')]")
_SKIP_LINK_RE = re.compile(
    r"(?:hopp|gå) til (?:hoved)?innhold(?:et)?|skip to (?:the )?(?:main )?content", re.IGNORECASE
)
_BY_ID = etree.XPath("//@id[. = $id]/..")  # from the attributes, as the role above


def _skip_link_target(tree: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    """Return the element the page's skip link leads to, if it holds most of the page's text.

    A target that holds little (its heading, an empty anchor before the content) is not the
    content, and neither is the whole body: trafilatura reads such pages.
    """
    for link in _IN_PAGE_LINKS(tree):
        if not _SKIP_LINK_RE.fullmatch(normalise_text(link.text_content())):
            continue
        found = _BY_ID(tree, id=link.get("href", "")[1:])
        if len(found) != 1 or found[0].tag in ("html", "body", "head"):
            return None
        target: lxml.html.HtmlElement = found[0]
        if 2 * len(target.text_content()) < len(tree.text_content()):
            return None
        return target
    return None


def _first_text(tree: lxml.html.HtmlElement, path: str) -> str:
    """Return the normalised text of the first element or attribute the XPath finds."""
    for hit in tree.xpath(path):
        text = normalise_text(hit if isinstance(hit, str) else hit.text_content())
        if text:
            return text
    return ""


def _title(tree: lxml.html.HtmlElement) -> str:
    """Return the article's <h1>, else og:title, else <title>."""
    return (
        _first_text(tree, "(//main//h1 | //article//h1)")
        or _first_text(tree, "//h1[not(ancestor::header or ancestor::nav)]")
        or _first_text(tree, "//meta[@property='og:title']/@content")
        or _first_text(tree, "//title")
    )


def _remove(element: lxml.html.HtmlElement) -> None:
    """Remove an element but keep its tail text in the document (as lxml's drop_tree)."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    if tail:
        previous = element.getprevious()
        if previous is None:
            parent.text = settable_text((parent.text or "") + tail)
        else:
            previous.tail = settable_text((previous.tail or "") + tail)
    parent.remove(element)


def _chrome_candidates(
    tree: lxml.html.HtmlElement,
) -> tuple[list[lxml.html.HtmlElement], list[lxml.html.HtmlElement]]:
    """Return the chrome elements by tag or role, and the elements with a class or id.

    Both in document order, from one walk of the tree. Header and footer inside an <article>
    usually hold its h1 and dates, so they stay. A plain loop: the equivalent XPath with two
    dozen self:: tests is several times slower, and EXSLT's re:test for the class names would
    call back into Python for every element (the caller runs the regex on the few classed).
    """
    dropped = []
    classed = []
    for element in tree.iter(etree.Element):
        tag = element.tag
        # One list of the attribute names: most elements have none, and asking for the role,
        # the class and the id one by one cost a lookup (and .attrib a new proxy) each.
        names = element.keys()
        if (
            tag in _DROP_TAG_SET
            or ("role" in names and element.get("role") in _DROP_ROLE_SET)
            or (
                tag in ("header", "footer")
                and not any(a.tag == "article" for a in element.iterancestors())
            )
        ):
            dropped.append(element)
        if names and tag not in _KEEP and ("class" in names or "id" in names):
            classed.append(element)
    return dropped, classed


def _attached(element: lxml.html.HtmlElement, root: lxml.html.HtmlElement) -> bool:
    """Tell whether an element is still in the tree under root (not in a cut subtree)."""
    ancestors = list(element.iterancestors())
    return (ancestors[-1] if ancestors else element) is root


def _strip_chrome(tree: lxml.html.HtmlElement, container: lxml.html.HtmlElement | None) -> SignIn:
    """Cut navigation, banners, browser warnings and the sign-up widget out of the tree.

    Tell whether the main content asked for a password or an electronic ID
    (walls.sign_in_in_main).
    """
    dropped, classed = _chrome_candidates(tree)
    sign_in = sign_in_in_main(dropped, container)
    for element in dropped:
        _remove(element)
    for element in classed:
        if not _attached(element, tree):
            continue  # inside chrome already cut
        names = f"{element.get('class', '')} {element.get('id', '')}"
        if _CHROME_CLASS_RE.search(names) and len(element.text_content()) <= _CHROME_MAX_CHARS:
            _remove(element)
    for element in _BREADCRUMB_XPATH(tree):
        _remove(element)
    # Widgets without a telling class: climb from the phrase while the ancestor holds
    # little beyond it (the topic list of «Du har meldt deg på …», radio labels).
    for text in [t for t in _TEXT_XPATH(tree) if _PHRASE_RE.match(t)]:
        element = text.getparent()
        if element is None or element.getparent() is None:
            continue  # already removed with an earlier match
        if text.is_tail:
            element = element.getparent()
        if element is None or element.tag in _KEEP:
            continue
        limit = len(element.text_content().strip()) + _WIDGET_SLACK_CHARS
        parent = element.getparent()
        while (
            parent is not None
            and parent.tag not in _KEEP
            and len(parent.text_content().strip()) <= limit
        ):
            element, parent = parent, parent.getparent()
        _remove(element)
    return sign_in


@lru_cache(maxsize=256)
def _compiled_selector(selector: str) -> CSSSelector:
    """Compile a per-source CSS selector once per process."""
    return compile_selector(selector)


def _select(tree: lxml.html.HtmlElement, selector: str) -> list[lxml.html.HtmlElement]:
    """Return the outermost elements the source's selector matches."""
    try:
        found: list[lxml.html.HtmlElement] = _compiled_selector(selector)(tree)
    except (SelectorError, etree.XPathError) as exc:
        raise ContentError(
            f"page: invalid CSS selector {selector!r} ({exc})", "bad_selector"
        ) from exc
    if not found:
        raise ContentError(f"page: CSS selector {selector!r} matched nothing", "selector_nothing")
    chosen = set(found)
    # Nested matches would repeat text; keep only the outermost.
    return [el for el in found if not any(a in chosen for a in el.iterancestors())]


# Built once: trafilatura builds these options from its configuration file's values on every
# call otherwise (about a twentieth of its work on a page), and never changes a shared one.
# "xml": bare_extraction hands back the body tree (all that is read here) without rendering it
# as text first, which "python" does (about an eighth of its work on a page); the extraction
# is the same for every format.
_TRAFILATURA_OPTIONS = Extractor(
    output_format="xml",
    fast=True,  # no readability/justext fallback: faster and steadier between polls
    recall=True,  # a missed change costs more than a little extra text
    comments=False,
    images=False,
    links=False,
    tables=True,
    with_metadata=False,
)


def _trafilatura_blocks(tree: lxml.html.HtmlElement) -> list[tuple[str, bool]]:
    """Let trafilatura find the main content in the cleaned tree (it copies the tree)."""
    document = trafilatura.bare_extraction(tree, options=_TRAFILATURA_OPTIONS)
    body = getattr(document, "body", None)
    if body is None:
        return []
    return walk_blocks([body], TRAFILATURA_BLOCKS, TRAFILATURA_HEADINGS)
