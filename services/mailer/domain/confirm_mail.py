"""The double opt-in mail: the topics a sign-up asks for, the frequency, the link that confirms."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from services.mailer.domain.ledger import DeliveryKind
from services.mailer.domain.mail_context import TITLE_MAX, base_context
from services.mailer.domain.mail_templates import render_mail
from services.mailer.domain.mime import RenderedMail
from services.mailer.domain.text import checked_url, one_line
from services.mailer.domain.wording import frequency_name, normalise_language, quoted_list
from shared.brand import Brand
from shared.i18n.templates import LocalisedTemplates
from shared.i18n.translator import N_
from shared.vocabulary import Frequency

IGNORE_NEW: Final = N_(
    "If you did not ask for this, you can ignore this email. Then nothing happens: "
    "you get no alerts, and the address is deleted automatically."
)
IGNORE_EXISTING: Final = N_(
    "If you did not ask for this, you can ignore this email. Then nothing changes."
)


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
    new = [one_line(topic, max_length=TITLE_MAX) for topic in topics]
    existing = [one_line(topic, max_length=TITLE_MAX) for topic in existing_topics]
    context = base_context(t, base_url, site_name, privacy_url, brand)
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
    return render_mail(env, DeliveryKind.CONFIRM, t, context, sender=sender, list_id=None)
