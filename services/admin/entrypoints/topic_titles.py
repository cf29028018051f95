"""A topic's title as a staff page shows it, marked where it falls back to bokmål (WCAG 3.1.2).

A topic with no title in the page's language shows its bokmål one; an English or nynorsk page
wraps it in ``lang="nb"`` so a screen reader reads it with a bokmål voice.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from services.admin.entrypoints.wording import ENDED_TOPIC
from shared.catalogue_entries import Topic
from shared.i18n.translator import Translator
from shared.web.text_language import in_language


def shown_title(topic: Topic, language: str) -> Markup:
    """Return the topic's title in ``language``, in a span naming bokmål where it falls back."""
    return in_language(topic.title_in(language), topic.title_language(language), language)


def ended_title(words: Translator, topic: Topic, language: str) -> Markup:
    """Return an ended topic's title, marked as ``shown_title``, with the words saying it ended."""
    # The message escaped is Markup, whose % keeps the marked title as it is.
    return escape(words.translations.gettext(ENDED_TOPIC)) % {"title": shown_title(topic, language)}
