"""Find where a page's main content is: the source's CSS selector, the page's own single
<article> or <main>, the element its skip link leads to, or what trafilatura picks."""

from __future__ import annotations

import re
from functools import lru_cache

import lxml.html
import trafilatura
from cssselect import SelectorError
from lxml import etree
from lxml.cssselect import CSSSelector
from trafilatura.settings import Extractor

from services.watcher.domain.html_text import (
    TRAFILATURA_BLOCKS,
    TRAFILATURA_HEADINGS,
    walk_blocks,
)
from services.watcher.domain.model import ContentError
from services.watcher.domain.normalise import normalise_text
from shared.source_rules import compile_selector

# Compiled once: tree.xpath() compiles its expression again at every call. The role's element
# is found from its attribute: libxml2 would test [@role='main'] on every element of the page,
# at four times the cost.
_CONTAINERS = tuple(etree.XPath(path) for path in ("//article", "//main", "//@role[. = 'main']/.."))


def semantic_container(tree: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    """Return the page's single <article>, else its single <main>, else None."""
    for path in _CONTAINERS:
        found = path(tree)
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


def skip_link_target(tree: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
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


@lru_cache(maxsize=256)
def _compiled_selector(selector: str) -> CSSSelector:
    """Compile a per-source CSS selector once per process."""
    return compile_selector(selector)


def select(tree: lxml.html.HtmlElement, selector: str) -> list[lxml.html.HtmlElement]:
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


def trafilatura_blocks(tree: lxml.html.HtmlElement) -> list[tuple[str, bool]]:
    """Let trafilatura find the main content in the cleaned tree (it copies the tree)."""
    document = trafilatura.bare_extraction(tree, options=_TRAFILATURA_OPTIONS)
    body = getattr(document, "body", None)
    if body is None:
        return []
    return walk_blocks([body], TRAFILATURA_BLOCKS, TRAFILATURA_HEADINGS)
