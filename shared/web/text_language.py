"""Marking text shown in another language than its page's (WCAG 3.1.2, language of parts).

A topic with no title or description in the page's language shows its bokmål one; a screen
reader reads it with the page's voice unless the element says ``lang="nb"``.
"""

from __future__ import annotations

from markupsafe import Markup, escape


def lang_attribute(text_language: str, page_language: str) -> Markup:
    """Return ` lang="nb"` for an element whose text is not in the page's language, else nothing."""
    if text_language == page_language:
        return Markup("")
    return Markup(' lang="{}"').format(text_language)


def in_language(text: str, text_language: str, page_language: str) -> Markup:
    """Return ``text`` escaped, in a span naming its language when not the page's."""
    if text_language == page_language:
        return escape(text)
    return Markup('<span lang="{}">{}</span>').format(text_language, text)
