"""The mail carrying a fresh link to the manage page, which the person asked for."""

from __future__ import annotations

from services.mailer.domain.ledger import DeliveryKind
from services.mailer.domain.mail_context import base_context
from services.mailer.domain.mail_templates import render_mail
from services.mailer.domain.mime import RenderedMail
from services.mailer.domain.text import checked_url
from services.mailer.domain.wording import normalise_language
from shared.brand import Brand
from shared.i18n.templates import LocalisedTemplates


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
    context = base_context(t, base_url, site_name, privacy_url, brand)
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
    return render_mail(env, DeliveryKind.MANAGE_LINK, t, context, sender=sender, list_id=None)
