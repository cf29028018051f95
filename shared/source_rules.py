"""How a source's own rules (its ignore patterns, its CSS selector) are compiled: the same where
an editor or a file gives them, so a wrong one is refused there, and where the watcher runs them.
"""

from __future__ import annotations

import regex
from cssselect import SelectorError
from lxml import etree
from lxml.cssselect import CSSSelector


def compile_ignore(pattern: str) -> regex.Pattern[str]:
    """Compile an ignore pattern as the watcher runs it; raise regex.error if it is none."""
    # The regex package, with re's syntax: it can stop a search at a time limit, which the
    # watcher needs (services/watcher/domain/ignore.py), and a pattern is checked by the
    # engine that runs it.
    return regex.compile(pattern)


def compile_selector(selector: str) -> CSSSelector:
    """Compile a source's CSS selector as the watcher runs it; raise SelectorError or
    etree.XPathError if it is none."""
    return CSSSelector(selector, translator="html")


def selector_problem(selector: str) -> str | None:
    """Say why a CSS selector cannot be used, or None if it can."""
    try:
        compile_selector(selector)
    except (SelectorError, etree.XPathError) as exc:
        return str(exc) or type(exc).__name__
    return None
