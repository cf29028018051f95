"""Cut a page's chrome out of its parsed tree: navigation, header and footer, cookie banners,
browser warnings, skip links, breadcrumbs and the alert sign-up widget."""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from services.watcher.domain.html_text import settable_text
from services.watcher.domain.normalise import BOILERPLATE_PREFIXES
from services.watcher.domain.walls import SignIn, sign_in_in_main

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


def attached(element: lxml.html.HtmlElement, root: lxml.html.HtmlElement) -> bool:
    """Tell whether an element is still in the tree under root (not in a cut subtree)."""
    ancestors = list(element.iterancestors())
    return (ancestors[-1] if ancestors else element) is root


def strip_chrome(tree: lxml.html.HtmlElement, container: lxml.html.HtmlElement | None) -> SignIn:
    """Cut navigation, banners, browser warnings and the sign-up widget out of the tree.

    Tell whether the main content asked for a password or an electronic ID
    (walls.sign_in_in_main).
    """
    dropped, classed = _chrome_candidates(tree)
    sign_in = sign_in_in_main(dropped, container)
    for element in dropped:
        _remove(element)
    for element in classed:
        if not attached(element, tree):
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
