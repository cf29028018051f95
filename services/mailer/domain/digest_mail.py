"""The daily or weekly digest: every change in a person's topics for one period, by topic."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from services.mailer.domain.ledger import DeliveryKind
from services.mailer.domain.mail_context import (
    TITLE_MAX,
    change_context,
    earlier_context,
    list_context,
)
from services.mailer.domain.mail_templates import render_mail
from services.mailer.domain.mime import RenderedMail
from services.mailer.domain.periods import Period
from services.mailer.domain.text import one_line
from services.mailer.domain.views import DigestSection
from services.mailer.domain.wording import normalise_language, quote
from shared.brand import Brand
from shared.i18n.templates import LocalisedTemplates
from shared.i18n.translator import Translator


def render_digest(
    env: LocalisedTemplates,
    *,
    language: str,
    period: Period,
    sections: Sequence[DigestSection],
    sender: str,
    list_id: str,
    base_url: str,
    site_name: str | None = None,
    brand: Brand | None = None,
    privacy_url: str | None = None,
    bulletins: Sequence[dict[str, Any]] = (),
) -> RenderedMail:
    """Render a daily or weekly digest of every change in a person's topics for ``period``,
    after the bulletins (``bulletin_mail.bulletin_context``) it carries."""
    t = env.translator(normalise_language(language))
    total = sum(section.total for section in sections)
    if total == 0 and not bulletins:
        raise ValueError("a digest needs at least one change or bulletin")
    context = list_context(t, base_url, site_name, privacy_url, brand, frequency=period.frequency)
    manage_url = context["links"]["manage_url"]
    context.update(
        frequency=period.frequency,
        count=t.ngettext("%(num)d change", "%(num)d changes", total)
        if total
        else t.ngettext("%(num)d message", "%(num)d messages", len(bulletins)),
        bulletins=list(bulletins),
        period_text=t.gettext(
            "Changes from %(start)s to %(end)s.",
            start=t.format_datetime(period.start, period.tz),
            end=t.format_datetime(period.end, period.tz),
        ),
        sections=[
            _section_context(t, section, manage_url, period.tz)
            for section in sections
            if section.total
        ],
        why=t.gettext(
            "You are receiving this email because you asked for alerts from %(site)s.",
            site=context["site"],
        ),
    )
    return render_mail(env, DeliveryKind.DIGEST, t, context, sender=sender, list_id=list_id)


def _section_context(
    t: Translator, section: DigestSection, manage_url: str, tz: ZoneInfo
) -> dict[str, Any]:
    topic = quote(t, one_line(section.topic_title, max_length=TITLE_MAX))
    items = []
    for item in section.items:
        also_in = [quote(t, one_line(title, max_length=TITLE_MAX)) for title in item.also_in]
        items.append(
            change_context(t, item.change)
            | {
                "also_in": t.gettext("Also in: %(topics)s", topics=t.join(also_in))
                if also_in
                else None
            }
            | earlier_context(
                t,
                item.earlier,
                t.ngettext(
                    "This page changed %(num)d time in this period; above is its latest version.",
                    "This page changed %(num)d times in this period; above is its latest version.",
                    item.times,
                ),
                tz,
            )
        )
    return {
        "topic": topic,
        "count": t.ngettext("%(num)d change", "%(num)d changes", section.total),
        "items": items,
        "more_text": t.ngettext(
            "%(num)d more change in %(topic)s is not shown here.",
            "%(num)d more changes in %(topic)s are not shown here.",
            section.hidden,
            topic=topic,
        )
        if section.hidden
        else None,
        "more_link_text": t.gettext("See all changes in %(topic)s", topic=topic),
        # Without a public page for the topic, the person's manage page lists the rest.
        "more_url": section.more_url or manage_url,
    }
