"""A feed's address that answers a web page: the feed has moved, or the address is a page's.

A rebuilt site often keeps its old feed address answering its news page (200, HTML). Read as a
feed, the page has no entries, and the reason the XML parser gives («not well-formed (invalid
token)» at some line) told an editor nothing of what to do. Such a failure is said to be a web
page, and the feed the page's head links to (``<link rel="alternate"
type="application/rss+xml" href="…">``), if any, is named: usually where the feed is now.
Only a body that has no entries is asked: what a feed reads as is never changed here.
"""

from __future__ import annotations

import codecs
import re
from typing import Final

import lxml.html
from lxml import etree

from services.watcher.domain.outbound import absolute_link

PAGE_NOT_FEED: Final = "feed: the address answers a web page, not a web feed"
NAMES_FEED: Final = "; the page names a feed at "
# A page starts so (after a byte order mark, blanks and comments), as no feed does.
_PAGE_START: Final = re.compile(
    rb"\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)[\s>]", re.IGNORECASE | re.DOTALL
)
_SNIFFED: Final = 1445  # bytes looked at: WHATWG's resource header
_FEED_TYPES: Final = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/feed+json"}
)
_MOST_CHARS: Final = 500  # of the feed's address named: a longer one is not
_ANY_HOST: Final = "http://host"  # what a path is resolved against, to be quoted as links are


def page_not_feed(body: bytes) -> str | None:
    """Return why a feed's body is a web page (naming the feed the page links to, if it does);
    None for a body that is no HTML page."""
    if _PAGE_START.match(body[:_SNIFFED].removeprefix(codecs.BOM_UTF8)) is None:
        return None
    named = _named_feed(body)
    return f"{PAGE_NOT_FEED}{NAMES_FEED}{named}" if named else PAGE_NOT_FEED


def _named_feed(body: bytes) -> str | None:
    """Return the address of the first feed the page's links name, as written (a path stays
    a path: which address the page was read from is not known here); None if none."""
    try:
        tree = lxml.html.document_fromstring(body)
    except (etree.ParserError, ValueError):
        return None
    for link in tree.iter("link"):
        rels = str(link.get("rel") or "").lower().split()
        kind = str(link.get("type") or "").split(";", 1)[0].strip().lower()
        if "alternate" not in rels or kind not in _FEED_TYPES:
            continue
        written = str(link.get("href") or "").strip()
        named = absolute_link(written, written)  # None unless http(s) with a host
        if named is None and written.startswith("/") and not written.startswith("//"):
            # Quoted as a link in an alert is, against any host, which is then left out.
            named = (absolute_link(_ANY_HOST, written) or "").removeprefix(_ANY_HOST) or None
        if named is not None and len(named) <= _MOST_CHARS:
            return named
    return None
