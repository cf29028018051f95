"""The mails' templates in every language, and rendering one mail from them once.

Each mail is a folder ``templates/<name>/`` with ``subject.txt``, ``body.txt`` and
``body.html``. Rendering happens once per (mail, language, content); ``RenderedMail.personalise``
then fills in the recipient's address and links (see ``mime``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from jinja2 import select_autoescape

from services.mailer.domain.mime import RenderedMail, Sentinels, assemble
from services.mailer.domain.text import one_line
from services.mailer.domain.wording import TEMPLATE_GLOBALS, load_catalogues
from shared.i18n.catalogues import Catalogues
from shared.i18n.templates import LocalisedTemplates
from shared.i18n.translator import Translator

TEMPLATES_DIR: Final = Path(__file__).resolve().parent.parent / "templates"


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


def render_mail(
    env: LocalisedTemplates,
    name: str,
    t: Translator,
    context: dict[str, Any],
    *,
    sender: str,
    list_id: str | None,
) -> RenderedMail:
    """Render the mail ``name`` from a context ``mail_context`` built, once for every recipient."""
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
