"""The bulletin mail: an editor's message in the same layout, footer and headers as alerts.

Built with the alert's list context (``message``), so it carries the manage and unsubscribe
links and the List-Unsubscribe headers every mail to a follower carries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from services.mailer.domain.bulletins import markdown_html, markdown_text, words_for
from services.mailer.domain.ledger import DeliveryKind
from services.mailer.domain.mail_context import list_context
from services.mailer.domain.mail_templates import render_mail
from services.mailer.domain.mime import RenderedMail
from services.mailer.domain.text import one_line
from services.mailer.domain.wording import normalise_language, quoted_list
from shared.brand import Brand
from shared.i18n.templates import LocalisedTemplates
from shared.i18n.translator import Translator

BulletinTexts = Mapping[str, Mapping[str, str]]


def bulletin_context(texts: BulletinTexts, language: str, *, level: int = 1) -> dict[str, Any]:
    """Return what a mail shows of a bulletin for a reader of ``language``, its subject a
    heading of ``level`` (1 in its own mail, 2 inside a digest)."""
    words = words_for(texts, language)
    return {
        "subject": one_line(words.subject, max_length=200),
        "heading": f"h{level}",
        "html": markdown_html(words.body, below=level),
        "text": markdown_text(words.body),
        # The body's own language, so a screen reader reads bokmål shown to an nn reader right.
        "lang": words.language,
    }


def render_bulletin(
    env: LocalisedTemplates,
    *,
    language: str,
    texts: BulletinTexts,
    topic_titles: Sequence[str],
    frequency: str,
    sender: str,
    list_id: str,
    base_url: str,
    site_name: str | None = None,
    brand: Brand | None = None,
    privacy_url: str | None = None,
    test: bool = False,
) -> RenderedMail:
    """Render a bulletin for one language: its subject, its Markdown body as HTML and text.

    ``test`` marks the editor's own test send, in the subject and above the message.
    """
    t = env.translator(normalise_language(language))
    context = list_context(t, base_url, site_name, privacy_url, brand, frequency=frequency)
    context.update(
        bulletin=bulletin_context(texts, t.language),
        why=_why(t, topic_titles, context),
        test=test,
    )
    return render_mail(env, DeliveryKind.BULLETIN, t, context, sender=sender, list_id=list_id)


def _why(t: Translator, topic_titles: Sequence[str], context: Mapping[str, Any]) -> str:
    return t.gettext(
        "You are receiving this message because you asked for alerts about %(topics)s from "
        "%(site)s.",
        topics=quoted_list(t, [one_line(title, max_length=200) for title in topic_titles]),
        site=context["site"],
    )
