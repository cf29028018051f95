"""Turn an lxml tree (HTML, or trafilatura's XML output) into text blocks."""

from __future__ import annotations

import re
from collections.abc import Iterable

import lxml.html
from lxml import etree

HTML_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
HTML_BLOCKS = HTML_HEADINGS | frozenset(
    {
        "p", "div", "section", "article", "main", "header", "footer", "li", "ul", "ol", "dl",
        "dt", "dd", "table", "thead", "tbody", "tfoot", "tr", "caption", "blockquote", "pre",
        "figure", "figcaption", "address", "details", "summary", "hr", "fieldset", "legend",
    }
)  # fmt: skip
TRAFILATURA_HEADINGS = frozenset({"head"})
TRAFILATURA_BLOCKS = TRAFILATURA_HEADINGS | frozenset(
    {"p", "list", "item", "table", "row", "quote", "code", "div"}
)
_CELLS = frozenset({"td", "th", "cell"})
_BREAKS = frozenset({"br", "lb"})
_SKIP = frozenset({"script", "style", "noscript", "template"})


def walk_blocks(
    roots: Iterable[etree._Element], block_tags: frozenset[str], heading_tags: frozenset[str]
) -> list[tuple[str, bool]]:
    """Return (text, is_heading) for every block of text under the roots, in document order."""
    out: list[tuple[str, bool]] = []
    buffer: list[str] = []
    append = buffer.append

    def flush(is_heading: bool) -> None:
        text = "".join(buffer).strip()
        buffer.clear()
        if text:
            out.append((text, is_heading))

    def visit(element: etree._Element) -> None:
        tag = element.tag
        if not isinstance(tag, str) or tag in _SKIP:
            return  # comments, processing instructions, scripts: their tail is added by the caller
        is_block = tag in block_tags
        if is_block:
            if buffer:  # most blocks start with nothing before them: no call to flush nothing
                flush(False)
        elif tag in _BREAKS:
            append(" ")
        elif tag in _CELLS and buffer:
            append(" | ")
        # Read once: lxml builds a new string at every reading of .text or .tail.
        text = element.text
        if text:
            append(text)
        for child in element:
            visit(child)
            tail = child.tail
            if tail:
                append(tail)
        if is_block:
            if buffer:
                flush(tag in heading_tags)
        elif tag in _CELLS:
            append(" ")

    for root in roots:
        visit(root)
        flush(False)
    return out


class NestedTooDeep(Exception):
    """Markup nests deeper than can be read whole (libxml2's limit, or the walk's)."""


# What libxml2 says where it stops reading a document nested too deep, and reads on: all
# below that depth is silently lost.
CUT_DEEP = "Excessive depth in document"


def html_fragment_blocks(markup: str, *, deep: bool = False) -> list[tuple[str, bool]]:
    """Return the (text, is_heading) blocks of an untrusted HTML fragment.

    ``deep`` (a feed entry's, from extraction 12 on): markup that nests more than 255 deep is
    read whole, as a page is since extraction 8 (html_parse.parse_page), where libxml2
    stopped at that depth and the text below was silently lost (a pasted document's wrappers
    made an entry's text empty); deeper than can be read, NestedTooDeep is raised.
    """
    if "<" not in markup and "&" not in markup:
        return [(markup, False)]
    # A parser of its own for each fragment: its error log is what tells of the cut.
    parser = lxml.html.HTMLParser(huge_tree=True) if deep else None
    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div", parser=parser)
    except (etree.ParserError, ValueError):
        return [(markup, False)]
    if parser is not None and any(CUT_DEEP in error.message for error in parser.error_log):
        raise NestedTooDeep
    try:
        return walk_blocks([root], HTML_BLOCKS, HTML_HEADINGS)
    except RecursionError:  # the walk goes one call deeper for each level
        raise NestedTooDeep from None


def html_fragment_text(markup: str, *, deep: bool = False) -> str:
    """Reduce untrusted HTML (a feed entry's summary) to plain text, blocks joined by spaces
    (``deep`` as html_fragment_blocks')."""
    return " ".join(text for text, _ in html_fragment_blocks(markup, deep=deep))


def settable_text(text: str) -> str:
    """Return text as lxml lets it be set.

    libxml2 parses a control character into the text (Word's line break, \\x0b, pasted next to
    an image), but lxml refuses to set such text: joining a removed element's tail to the text
    before it crashed the poll, and crashed it again at every claim.
    """
    if text.isprintable() or not _UNSETTABLE_RE.search(text):
        return text
    return text.translate(_UNSETTABLE)


# The characters lxml refuses in text (XML 1.0's forbidden ones): those that are whitespace
# become the space they read as when text is normalised, the others (invisible) go.
_UNSETTABLE = {
    code: " " if chr(code).isspace() else None
    for code in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF)
}
_UNSETTABLE_RE = re.compile("[" + "".join(map(chr, _UNSETTABLE)) + "]")
