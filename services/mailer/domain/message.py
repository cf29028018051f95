"""The four mails: build each one's context, render it once, and hand back a ``RenderedMail``.

Each mail is a folder ``templates/<name>/`` with ``subject.txt``, ``body.txt`` and
``body.html``. Rendering happens once per (mail, language, content); ``RenderedMail.personalise``
then fills in the recipient's address and links (see ``mime``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from jinja2 import select_autoescape

from services.mailer.domain.ledger import DeliveryKind
from services.mailer.domain.mime import (
    MailTemplate,
    RecipientLinks,
    RenderedMail,
    Sentinels,
    assemble,
)
from services.mailer.domain.periods import Period
from services.mailer.domain.text import checked_url, one_line, paragraphs
from services.mailer.domain.views import ChangeView, DigestSection
from services.mailer.domain.wording import (
    TEMPLATE_GLOBALS,
    frequency_name,
    load_catalogues,
    normalise_language,
    quote,
    quoted_list,
)
from shared.brand import Brand
from shared.i18n.catalogues import Catalogues
from shared.i18n.templates import LocalisedTemplates
from shared.i18n.translator import N_, Translator
from shared.vocabulary import Frequency

IGNORE_NEW: Final = N_(
    "If you did not ask for this, you can ignore this email. Then nothing happens: "
    "you get no alerts, and the address is deleted automatically."
)
IGNORE_EXISTING: Final = N_(
    "If you did not ask for this, you can ignore this email. Then nothing changes."
)

__all__ = [
    "MailTemplate",
    "RecipientLinks",
    "RenderedMail",
    "build_environment",
    "render_alert",
    "render_confirm",
    "render_digest",
    "render_manage_link",
]

TEMPLATES_DIR: Final = Path(__file__).resolve().parent.parent / "templates"
_TITLE_MAX: Final = 200  # characters of a page or topic title shown (and put in a subject)


def build_environment(
    directory: Path = TEMPLATES_DIR, catalogues: Catalogues | None = None
) -> LocalisedTemplates:
    """Return the mail templates in every language: HTML autoescaped, undefined names an error."""
    return LocalisedTemplates(
        directory,
        catalogues or load_catalogues(),
        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        globals=TEMPLATE_GLOBALS,
    )


def render_alert(
    env: LocalisedTemplates,
    *,
    language: str,
    change: ChangeView,
    topic_title: str,
    sender: str,
    list_id: str,
    base_url: str,
    site_name: str | None = None,
    brand: Brand | None = None,
    privacy_url: str | None = None,
) -> RenderedMail:
    """Render the mail about one change, sent straight away to immediate subscribers."""
    t = env.translator(normalise_language(language))
    topic = quote(t, one_line(topic_title, max_length=_TITLE_MAX))
    context = _list_context(
        t, base_url, site_name, privacy_url, brand, frequency=Frequency.IMMEDIATE
    )
    context.update(topic=topic, change=_change_context(t, change))
    context["why"] = t.gettext(
        "You are receiving this email because you asked for alerts about %(topic)s from %(site)s.",
        topic=topic,
        site=context["site"],
    )
    return _render(env, DeliveryKind.ALERT, t, context, sender=sender, list_id=list_id)


def render_topic_ended(
    env: LocalisedTemplates,
    *,
    language: str,
    topic_title: str,
    successor_title: str | None,
    successor_url: str | None,
    frequency: str,
    sender: str,
    list_id: str,
    base_url: str,
    site_name: str | None = None,
    privacy_url: str | None = None,
    brand: Brand | None = None,
) -> RenderedMail:
    """Render the last mail of a topic that ended, naming what to follow instead if anything."""
    t = env.translator(normalise_language(language))
    topic = quote(t, one_line(topic_title, max_length=_TITLE_MAX))
    context = _list_context(t, base_url, site_name, privacy_url, brand, frequency=frequency)
    context.update(
        topic=topic,
        successor=quote(t, one_line(successor_title, max_length=_TITLE_MAX))
        if successor_title
        else None,
        successor_url=checked_url("successor_url", successor_url) if successor_url else None,
        why=t.gettext(
            "You are receiving this email because you asked for alerts about %(topic)s from "
            "%(site)s.",
            topic=topic,
            site=context["site"],
        ),
    )
    return _render(env, DeliveryKind.TOPIC_ENDED, t, context, sender=sender, list_id=list_id)


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
    context = _list_context(t, base_url, site_name, privacy_url, brand, frequency=period.frequency)
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
            _section_context(t, section, manage_url) for section in sections if section.total
        ],
        why=t.gettext(
            "You are receiving this email because you asked for alerts from %(site)s.",
            site=context["site"],
        ),
    )
    return _render(env, DeliveryKind.DIGEST, t, context, sender=sender, list_id=list_id)


def render_confirm(
    env: LocalisedTemplates,
    *,
    language: str,
    confirm_url: str,
    topics: Sequence[str],
    existing_topics: Sequence[str] = (),
    frequency: str,
    expires_days: int,
    sender: str,
    base_url: str,
    site_name: str | None = None,
    brand: Brand | None = None,
    previous_frequency: str | None = None,
    privacy_url: str | None = None,
) -> RenderedMail:
    """Render the double opt-in mail; ``existing_topics`` are alerts the person already has."""
    t = env.translator(normalise_language(language))
    if not topics:
        raise ValueError("a confirmation needs at least one topic")
    for name in (frequency, previous_frequency or frequency):
        if Frequency.parse(name) is None:
            raise ValueError(f"unknown frequency {name!r}")
    new = [one_line(topic, max_length=_TITLE_MAX) for topic in topics]
    existing = [one_line(topic, max_length=_TITLE_MAX) for topic in existing_topics]
    context = _base_context(t, base_url, site_name, privacy_url, brand)
    context.update(
        confirm_url=checked_url("confirm_url", confirm_url),
        topics=new,
        existing_text=(
            t.gettext(
                "You already get alerts about %(existing)s. Confirming adds %(new)s.",
                existing=quoted_list(t, existing),
                new=quoted_list(t, new),
            )
            if existing
            else None
        ),
        frequency_text=t.gettext(
            "Frequency: %(frequency)s (this affects all your alerts).",
            frequency=frequency_name(t, frequency),
        ),
        frequency_change_text=(
            t.gettext(
                "Confirming changes the frequency of all your alerts from %(old)s to %(new)s.",
                old=frequency_name(t, previous_frequency),
                new=frequency_name(t, frequency),
            )
            if previous_frequency is not None and previous_frequency != frequency
            else None
        ),
        expires_text=t.ngettext(
            "The link works for %(num)d day.", "The link works for %(num)d days.", expires_days
        ),
        why=t.gettext(
            "You are receiving this email because this address was registered for alerts on "
            "%(site)s.",
            site=context["site"],
        ),
        ignore=t.gettext(IGNORE_EXISTING if existing else IGNORE_NEW),
    )
    return _render(env, DeliveryKind.CONFIRM, t, context, sender=sender, list_id=None)


def render_manage_link(
    env: LocalisedTemplates,
    *,
    language: str,
    manage_url: str,
    sender: str,
    base_url: str,
    site_name: str | None = None,
    brand: Brand | None = None,
    expires_hours: int | None = None,
    privacy_url: str | None = None,
) -> RenderedMail:
    """Render the mail carrying a fresh link to the manage page, which the person asked for."""
    t = env.translator(normalise_language(language))
    context = _base_context(t, base_url, site_name, privacy_url, brand)
    context.update(
        manage_url=checked_url("manage_url", manage_url),
        expires_text=(
            t.ngettext(
                "The link works for %(num)d hour.",
                "The link works for %(num)d hours.",
                expires_hours,
            )
            if expires_hours is not None
            else None
        ),
        why=t.gettext(
            "You are receiving this email because someone asked for a link for this address "
            "on %(site)s.",
            site=context["site"],
        ),
        ignore=t.gettext(
            "If it was not you, you can ignore this email. Then nothing happens, "
            "and your alerts stay as they are."
        ),
    )
    return _render(env, DeliveryKind.MANAGE_LINK, t, context, sender=sender, list_id=None)


def _render(
    env: LocalisedTemplates,
    name: str,
    t: Translator,
    context: dict[str, Any],
    *,
    sender: str,
    list_id: str | None,
) -> RenderedMail:
    sentinels: Sentinels = context.pop("_sentinels")
    subject = one_line(env.render(t.language, f"{name}/subject.txt", context))
    context["subject"] = subject
    return assemble(
        kind=name,
        language=t.language,
        subject=subject,
        text=env.render(t.language, f"{name}/body.txt", context),
        html_body=env.render(t.language, f"{name}/body.html", context),
        sender=sender,
        list_id=list_id,
        sentinels=sentinels,
    )


def _base_context(
    t: Translator,
    base_url: str,
    site_name: str | None,
    privacy_url: str | None,
    brand: Brand | None = None,
) -> dict[str, Any]:
    base_url = checked_url("base_url", base_url)
    site = one_line(site_name) if site_name else (urlsplit(base_url).hostname or base_url)
    brand = brand or Brand()
    return {
        # The organisation's look in the mail's header: its accent and logo (served by varsel).
        "accent": brand.accent,
        "logo_url": f"{base_url}{brand.logo_path}" if brand.logo_path else None,
        "_sentinels": Sentinels.new(),
        "lang": t.language,
        "site": site,
        "base_url": base_url,
        # The topic index (the site's root), linked from every mail's footer. It and varsel's
        # own privacy notice open in the mail's language, not the browser's (the pages take
        # ?lang); an organisation's own privacy page (VARSEL_PRIVACY_URL) is linked whole.
        "index_url": in_language(base_url.rstrip("/") + "/", t.language),
        "privacy_url": _privacy_link(base_url, privacy_url, t.language) if privacy_url else None,
    }


def _privacy_link(base_url: str, privacy_url: str, language: str) -> str:
    url = checked_url("privacy_url", privacy_url)
    own = url.startswith(base_url.rstrip("/") + "/")
    return in_language(url, language) if own else url


def in_language(url: str, language: str) -> str:
    """Return the address of one of varsel's pages that opens it in ``language``."""
    return f"{url}{'&' if '?' in url else '?'}lang={language}"


def _list_context(
    t: Translator,
    base_url: str,
    site_name: str | None,
    privacy_url: str | None,
    brand: Brand | None,
    *,
    frequency: str,
) -> dict[str, Any]:
    context = _base_context(t, base_url, site_name, privacy_url, brand)
    context["links"] = context["_sentinels"].context()
    context["frequency_text"] = t.gettext(
        "Frequency: %(frequency)s (this affects all your alerts).",
        frequency=frequency_name(t, frequency),
    )
    return context


def _change_context(t: Translator, change: ChangeView) -> dict[str, Any]:
    return {
        "title": one_line(change.title, max_length=_TITLE_MAX) or change.url or "",
        "url": change.url,
        "published": t.format_date(change.published) if change.published else None,
        "updated": t.format_date(change.updated) if change.updated else None,
        "summary": paragraphs(change.summary),
    }


def _section_context(t: Translator, section: DigestSection, manage_url: str) -> dict[str, Any]:
    topic = quote(t, one_line(section.topic_title, max_length=_TITLE_MAX))
    items = []
    for item in section.items:
        also_in = [quote(t, one_line(title, max_length=_TITLE_MAX)) for title in item.also_in]
        items.append(
            _change_context(t, item.change)
            | {
                "also_in": t.gettext("Also in: %(topics)s", topics=t.join(also_in))
                if also_in
                else None
            }
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
