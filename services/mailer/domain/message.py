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

import jinja2

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
from services.mailer.domain.wording import Translator, normalise_language
from shared.vocabulary import Frequency

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


def build_environment(directory: Path = TEMPLATES_DIR) -> jinja2.Environment:
    """Return the mail template environment: HTML autoescaped, undefined names an error."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(directory),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def render_alert(
    env: jinja2.Environment,
    *,
    language: str,
    change: ChangeView,
    topic_title: str,
    sender: str,
    list_id: str,
    base_url: str,
    site_name: str | None = None,
    privacy_url: str | None = None,
) -> RenderedMail:
    """Render the mail about one change, sent straight away to immediate subscribers."""
    t = Translator(normalise_language(language))
    topic = t.quote(one_line(topic_title, max_length=_TITLE_MAX))
    context = _list_context(t, base_url, site_name, privacy_url, frequency=Frequency.IMMEDIATE)
    context.update(topic=topic, change=_change_context(t, change))
    context["why"] = t("footer.why_alert", topic=topic, site=context["site"])
    return _render(env, DeliveryKind.ALERT, t, context, sender=sender, list_id=list_id)


def render_digest(
    env: jinja2.Environment,
    *,
    language: str,
    period: Period,
    sections: Sequence[DigestSection],
    sender: str,
    list_id: str,
    base_url: str,
    site_name: str | None = None,
    privacy_url: str | None = None,
) -> RenderedMail:
    """Render a daily or weekly digest of every change in a person's topics for ``period``."""
    t = Translator(normalise_language(language))
    total = sum(section.total for section in sections)
    if total == 0:
        raise ValueError("a digest needs at least one change")
    context = _list_context(t, base_url, site_name, privacy_url, frequency=period.frequency)
    manage_url = context["links"]["manage_url"]
    context.update(
        frequency=period.frequency,
        count=t.plural("digest.count", total),
        period_text=t(
            "digest.period",
            start=t.format_datetime(period.start, period.tz),
            end=t.format_datetime(period.end, period.tz),
        ),
        sections=[
            _section_context(t, section, manage_url) for section in sections if section.total
        ],
        why=t("footer.why_digest", site=context["site"]),
    )
    return _render(env, DeliveryKind.DIGEST, t, context, sender=sender, list_id=list_id)


def render_confirm(
    env: jinja2.Environment,
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
    previous_frequency: str | None = None,
    privacy_url: str | None = None,
) -> RenderedMail:
    """Render the double opt-in mail; ``existing_topics`` are alerts the person already has."""
    t = Translator(normalise_language(language))
    if not topics:
        raise ValueError("a confirmation needs at least one topic")
    for name in (frequency, previous_frequency or frequency):
        if Frequency.parse(name) is None:
            raise ValueError(f"unknown frequency {name!r}")
    new = [one_line(topic, max_length=_TITLE_MAX) for topic in topics]
    existing = [one_line(topic, max_length=_TITLE_MAX) for topic in existing_topics]
    context = _base_context(t, base_url, site_name, privacy_url)
    context.update(
        confirm_url=checked_url("confirm_url", confirm_url),
        topics=new,
        existing_text=(
            t("confirm.existing", existing=t.quoted_list(existing), new=t.quoted_list(new))
            if existing
            else None
        ),
        frequency_text=t("confirm.frequency", frequency=t.frequency(frequency)),
        frequency_change_text=(
            t(
                "confirm.frequency_change",
                old=t.frequency(previous_frequency),
                new=t.frequency(frequency),
            )
            if previous_frequency is not None and previous_frequency != frequency
            else None
        ),
        expires_text=t.plural("confirm.expires", expires_days),
        why=t("confirm.why", site=context["site"]),
        ignore=t("confirm.ignore_existing" if existing else "confirm.ignore_new"),
    )
    return _render(env, DeliveryKind.CONFIRM, t, context, sender=sender, list_id=None)


def render_manage_link(
    env: jinja2.Environment,
    *,
    language: str,
    manage_url: str,
    sender: str,
    base_url: str,
    site_name: str | None = None,
    expires_hours: int | None = None,
    privacy_url: str | None = None,
) -> RenderedMail:
    """Render the mail carrying a fresh link to the manage page, which the person asked for."""
    t = Translator(normalise_language(language))
    context = _base_context(t, base_url, site_name, privacy_url)
    context.update(
        manage_url=checked_url("manage_url", manage_url),
        expires_text=(
            t.plural("manage.expires", expires_hours) if expires_hours is not None else None
        ),
        why=t("manage.why", site=context["site"]),
        ignore=t("manage.ignore"),
    )
    return _render(env, DeliveryKind.MANAGE_LINK, t, context, sender=sender, list_id=None)


def _render(
    env: jinja2.Environment,
    name: str,
    t: Translator,
    context: dict[str, Any],
    *,
    sender: str,
    list_id: str | None,
) -> RenderedMail:
    sentinels: Sentinels = context.pop("_sentinels")
    subject = one_line(env.get_template(f"{name}/subject.txt").render(context))
    context["subject"] = subject
    return assemble(
        kind=name,
        language=t.language,
        subject=subject,
        text=env.get_template(f"{name}/body.txt").render(context),
        html_body=env.get_template(f"{name}/body.html").render(context),
        sender=sender,
        list_id=list_id,
        sentinels=sentinels,
    )


def _base_context(
    t: Translator, base_url: str, site_name: str | None, privacy_url: str | None
) -> dict[str, Any]:
    base_url = checked_url("base_url", base_url)
    site = one_line(site_name) if site_name else (urlsplit(base_url).hostname or base_url)
    return {
        "_sentinels": Sentinels.new(),
        "t": t,
        "lang": t.language,
        "site": site,
        "base_url": base_url,
        "privacy_url": checked_url("privacy_url", privacy_url) if privacy_url else None,
    }


def _list_context(
    t: Translator,
    base_url: str,
    site_name: str | None,
    privacy_url: str | None,
    *,
    frequency: str,
) -> dict[str, Any]:
    context = _base_context(t, base_url, site_name, privacy_url)
    context["links"] = context["_sentinels"].context()
    context["frequency_text"] = t("footer.frequency", frequency=t.frequency(frequency))
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
    topic = t.quote(one_line(section.topic_title, max_length=_TITLE_MAX))
    items = []
    for item in section.items:
        also_in = [t.quote(one_line(title, max_length=_TITLE_MAX)) for title in item.also_in]
        items.append(
            _change_context(t, item.change)
            | {"also_in": t("digest.also_in", topics=t.join(also_in)) if also_in else None}
        )
    return {
        "topic": topic,
        "count": t.plural("digest.count", section.total),
        "items": items,
        "more_text": t.plural("digest.more", section.hidden, topic=topic)
        if section.hidden
        else None,
        "more_link_text": t("digest.see_all", topic=topic),
        # Without a public page for the topic, the person's manage page lists the rest.
        "more_url": section.more_url or manage_url,
    }
