"""Parse an HTML page's body once into an lxml tree, decoded as a browser would.

The tree is what every later step of extract_html reads and cuts.
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from services.watcher.domain.charsets import decode_page
from services.watcher.domain.files import refuse_binary_text
from services.watcher.domain.html_text import CUT_DEEP
from services.watcher.domain.model import ContentError

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


def parse_page(
    body: bytes,
    content_type: str | None,
    *,
    browser_decoding: bool = True,
    deep: bool = True,
    meta_utf16: bool = True,
) -> lxml.html.HtmlElement:
    """Parse the body once into an lxml HTML tree.

    ``deep`` (from extraction 8 on): a page whose elements nest more than 255 deep (a
    template's unclosed <div> in a loop) is read whole, where libxml2 stopped reading at that
    depth and the rest of the page was silently lost; deeper than can be read, it is refused.
    ``meta_utf16`` is charsets.decode_page's (from extraction 10 on).
    """
    text, whole_utf8 = decode_page(
        body, content_type, browser=browser_decoding, meta_utf16=meta_utf16
    )
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
    if deep and any(CUT_DEEP in error.message for error in parser.error_log):
        raise ContentError(TOO_DEEP)  # libxml2's own limit: read on, the rest is lost
    return tree


TOO_DEEP = "page: unparseable HTML (its elements nest deeper than varsel reads: unclosed tags?)"
