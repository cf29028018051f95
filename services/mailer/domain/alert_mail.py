"""The mail about one change, sent straight away, and the last mail of a topic that ended."""

from __future__ import annotations

from collections.abc import Sequence
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
from services.mailer.domain.text import checked_url, one_line
from services.mailer.domain.views import ChangeView
from services.mailer.domain.wording import normalise_language, quote
from shared.brand import Brand
from shared.i18n.templates import LocalisedTemplates
from shared.vocabulary import Frequency


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
    earlier: Sequence[ChangeView] = (),
    tz: ZoneInfo | None = None,
) -> RenderedMail:
    """Render the mail about one change, sent straight away to immediate subscribers, with
    the ``earlier`` changes of its page it tells too (what waited for a digest), whose times
    are given in ``tz``."""
    t = env.translator(normalise_language(language))
    topic = quote(t, one_line(topic_title, max_length=TITLE_MAX))
    context = list_context(
        t, base_url, site_name, privacy_url, brand, frequency=Frequency.IMMEDIATE
    )
    times = t.ngettext(
        "This page changed %(num)d time while your alerts were gathered for a digest; above is "
        "its latest version.",
        "This page changed %(num)d times while your alerts were gathered for a digest; above is "
        "its latest version.",
        1 + len(earlier),
    )
    told = earlier_context(t, earlier, times, tz or ZoneInfo("UTC"))
    context.update(topic=topic, change=change_context(t, change) | told)
    context["why"] = t.gettext(
        "You are receiving this email because you asked for alerts about %(topic)s from %(site)s.",
        topic=topic,
        site=context["site"],
    )
    return render_mail(env, DeliveryKind.ALERT, t, context, sender=sender, list_id=list_id)


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
    """Render the last mail of a topic that ended, naming what to follow instead if anything:
    with no ``successor_url``, the reader follows the successor already and is told so."""
    t = env.translator(normalise_language(language))
    topic = quote(t, one_line(topic_title, max_length=TITLE_MAX))
    context = list_context(t, base_url, site_name, privacy_url, brand, frequency=frequency)
    context.update(
        topic=topic,
        successor=quote(t, one_line(successor_title, max_length=TITLE_MAX))
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
    return render_mail(env, DeliveryKind.TOPIC_ENDED, t, context, sender=sender, list_id=list_id)
