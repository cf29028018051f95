"""Read an HTML page's own publication and update dates."""

from __future__ import annotations

from datetime import date

import lxml.html
from lxml import etree

from services.watcher.domain.dates import find_labelled_dates, parse_date
from services.watcher.domain.normalise import fold_text

_HIDDEN = frozenset({"script", "style", "noscript", "template"})
_META_PUBLISHED = frozenset(
    {"article:published_time", "datepublished", "dc.date", "dc.date.issued", "dcterms.created",
     "dcterms.issued", "publish_date", "pubdate"}
)  # fmt: skip
_META_UPDATED = frozenset(
    {"article:modified_time", "og:updated_time", "datemodified", "dc.date.modified",
     "dcterms.modified", "last-modified", "lastmod"}
)  # fmt: skip


def page_dates(
    tree: lxml.html.HtmlElement, container: lxml.html.HtmlElement | None
) -> tuple[date | None, date | None]:
    """Read «Publisert»/«Oppdatert» text, then <time> elements, then meta tags."""
    scopes = [container, tree] if container is not None else [tree]
    published: date | None = None
    updated: date | None = None
    for scope in scopes:
        pub, upd = find_labelled_dates(fold_text(" ".join(visible_text(scope))))
        published, updated = published or pub, updated or upd
        if published and updated:
            return published, updated
    time_pub, time_upd = _time_elements(tree)
    meta_pub, meta_upd = _meta_dates(tree)
    return published or time_pub or meta_pub, updated or time_upd or meta_upd


def visible_text(scope: etree._Element) -> list[str]:
    """Return the text nodes under scope that a reader sees, in document order."""
    if any(a.tag in _HIDDEN for a in scope.iterancestors()):
        return []
    tag = scope.tag
    if isinstance(tag, str) and tag not in _HIDDEN and next(scope.iter(*_HIDDEN), None) is None:
        # Nothing hidden below (most article containers, many whole pages): lxml's own walk,
        # in C, yields the same text nodes in the same order, at a fraction of the cost.
        return list(scope.itertext())
    parts: list[str] = []

    # A recursive walk costs a fraction of the equivalent XPath's ancestor tests per node.
    def walk(element: etree._Element) -> None:
        text = element.text  # read once: lxml builds a new string at every reading
        if text:
            parts.append(text)
        for child in element:
            tag = child.tag
            if isinstance(tag, str) and tag not in _HIDDEN:
                walk(child)
            tail = child.tail
            if tail:
                parts.append(tail)

    if isinstance(scope.tag, str) and scope.tag not in _HIDDEN:
        walk(scope)
    return parts


def _time_elements(tree: lxml.html.HtmlElement) -> tuple[date | None, date | None]:
    """Read <time datetime> elements labelled by itemprop or by the text just before them."""
    published: date | None = None
    updated: date | None = None
    for element in tree.iter("time"):
        found = parse_date(element.get("datetime") or element.text_content())
        if found is None:
            continue
        previous = element.getprevious()
        parent = element.getparent()
        before = (
            previous.tail if previous is not None else parent.text if parent is not None else ""
        )
        label = f"{element.get('itemprop', '')} {before or ''}".lower()
        if "modified" in label or "oppdatert" in label or "updated" in label or "endret" in label:
            updated = updated or found
        elif "published" in label or "publisert" in label:
            published = published or found
    return published, updated


def _meta_dates(tree: lxml.html.HtmlElement) -> tuple[date | None, date | None]:
    """Read article:published_time / article:modified_time style meta tags."""
    published: date | None = None
    updated: date | None = None
    for meta in tree.iter("meta"):
        name = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        if name in _META_PUBLISHED:
            published = published or parse_date(meta.get("content"))
        elif name in _META_UPDATED:
            updated = updated or parse_date(meta.get("content"))
    return published, updated
