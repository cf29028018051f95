"""Extract the main content, title and own dates of an HTML article.

The body is parsed once with lxml. Known chrome (navigation, header and footer, cookie
banners, browser warnings, skip links and the alert sign-up widget) is cut from that tree.
Then the main content comes from, in order: the per-source CSS selector; the page's own
single ``<article>`` or ``<main>``; the element its skip link («Hopp til hovedinnhold») leads
to, if that holds most of the page's text (from extraction 2 on, docs/decisions/0017);
trafilatura run on the already parsed tree. A container the page names wins over trafilatura
because trafilatura may pick a sub-container and lose the lead paragraph or the headings, and
because its heuristics can shift when a banner is added.

The steps live beside this module: html_parse, html_chrome and html_main_content.
"""

from __future__ import annotations

import lxml.html
from lxml import etree

from services.watcher.domain.html_chrome import attached, strip_chrome
from services.watcher.domain.html_dates import page_dates
from services.watcher.domain.html_main_content import (
    select,
    semantic_container,
    skip_link_target,
    trafilatura_blocks,
)
from services.watcher.domain.html_parse import TOO_DEEP, parse_page
from services.watcher.domain.html_text import HTML_BLOCKS, HTML_HEADINGS, walk_blocks
from services.watcher.domain.ignore import IgnorePatterns
from services.watcher.domain.model import (
    BROWSER_DECODING,
    DATES_BESIDE_LABELS,
    DEEP_PAGES,
    EXTRACTION,
    META_UTF16_AS_UTF8,
    SKIP_LINK_TARGETS,
    Content,
    ContentError,
    require_text,
)
from services.watcher.domain.normalise import clean_blocks, dates_beside_labels, normalise_text
from services.watcher.domain.outage_notices import SHORT_CHARS
from services.watcher.domain.stamps import page_stamps
from services.watcher.domain.walls import REDIRECTED_SIGN_IN_CHARS, refuse_stand_ins


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
    tree = parse_page(
        body,
        content_type,
        browser_decoding=extraction >= BROWSER_DECODING,
        deep=deep,
        meta_utf16=extraction >= META_UTF16_AS_UTF8,
    )
    try:
        return _extracted(tree, selector, ignore, extraction, redirected)
    except RecursionError:  # the walks over the tree go one call deeper for each level
        raise ContentError(TOO_DEEP) from None


def _extracted(
    tree: lxml.html.HtmlElement,
    selector: str | None,
    ignore: IgnorePatterns | None,
    extraction: int,
    redirected: bool,
) -> Content:
    """Extract the comparable content of a parsed page (see extract_page)."""
    container = None if selector else semantic_container(tree)
    if container is None and not selector and extraction >= SKIP_LINK_TARGETS:
        container = skip_link_target(tree)
    heading = _heading(tree)
    title = heading or _first_text(tree, _OG_TITLE) or _first_text(tree, _TITLE)
    published, updated = page_dates(tree, container)
    sign_in = strip_chrome(tree, container)

    if selector:
        roots = select(tree, selector)
        raw = walk_blocks(roots, HTML_BLOCKS, HTML_HEADINGS)
    elif container is not None and attached(container, tree):
        raw = walk_blocks([container], HTML_BLOCKS, HTML_HEADINGS)
    else:
        raw = trafilatura_blocks(tree) or walk_blocks([tree], HTML_BLOCKS, HTML_HEADINGS)

    stamps = page_stamps(extraction)
    if extraction >= DATES_BESIDE_LABELS:
        raw = dates_beside_labels(raw, stamps)
    blocks, headings = clean_blocks(raw, ignore, stamps=stamps)
    require_text(blocks, "page")
    chars = sum(len(b) for b in blocks)
    if chars < REDIRECTED_SIGN_IN_CHARS:  # a longer page is no error page, no wall
        head = _first_text(tree, _TITLE) if chars < SHORT_CHARS else ""
        refuse_stand_ins(
            title, head, blocks, chars, heading=heading, sign_in=sign_in, redirected=redirected
        )
    return Content(
        title=title or blocks[0][:200],
        blocks=blocks,
        headings=headings,
        published=published,
        updated=updated,
    )


def _first_text(tree: lxml.html.HtmlElement, path: etree.XPath) -> str:
    """Return the normalised text of the first element or attribute the XPath finds."""
    for hit in path(tree):
        text = normalise_text(hit if isinstance(hit, str) else hit.text_content())
        if text:
            return text
    return ""


def _heading(tree: lxml.html.HtmlElement) -> str:
    """Return the article's <h1> (the page's title is this, else og:title, else <title>)."""
    return _first_text(tree, _MAIN_H1) or _first_text(tree, _H1_OUTSIDE_CHROME)


# Compiled once: tree.xpath() compiles its expression again at every call.
_MAIN_H1 = etree.XPath("(//main//h1 | //article//h1)")
_H1_OUTSIDE_CHROME = etree.XPath("//h1[not(ancestor::header or ancestor::nav)]")
_OG_TITLE = etree.XPath("//meta[@property='og:title']/@content")
_TITLE = etree.XPath("//title")
