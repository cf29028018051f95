"""The notice that a watched page was removed: once to each follower, after an editor confirmed.

Kept apart from ``message`` (the four mails of every day), whose rendering it shares.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.mailer.domain.ledger import DeliveryKind
from services.mailer.domain.mail_context import TITLE_MAX, list_context
from services.mailer.domain.mail_templates import render_mail
from services.mailer.domain.mime import RenderedMail
from services.mailer.domain.text import one_line, safe_url
from services.mailer.domain.wording import normalise_language, quote, quoted_list
from shared.brand import Brand
from shared.i18n.templates import LocalisedTemplates


def render_page_removed(
    env: LocalisedTemplates,
    *,
    language: str,
    page_title: str,
    page_url: str,
    moved_to: str | None,
    topic_titles: Sequence[str],
    frequency: str,
    sender: str,
    list_id: str,
    base_url: str,
    site_name: str | None = None,
    privacy_url: str | None = None,
    brand: Brand | None = None,
) -> RenderedMail:
    """Render the notice that a page is gone, with where it led before if it redirected."""
    t = env.translator(normalise_language(language))
    topics = [one_line(title, max_length=TITLE_MAX) for title in topic_titles]
    context = list_context(t, base_url, site_name, privacy_url, brand, frequency=frequency)
    context.update(
        page=quote(t, one_line(page_title, max_length=TITLE_MAX) or page_url),
        page_url=safe_url(page_url),
        moved_to=safe_url(moved_to) if moved_to else None,
        why=t.gettext(
            "You are receiving this email because you asked for alerts about %(topic)s from "
            "%(site)s.",
            topic=quoted_list(t, topics) if topics else context["site"],
            site=context["site"],
        ),
    )
    return render_mail(env, DeliveryKind.PAGE_REMOVED, t, context, sender=sender, list_id=list_id)
