"""The products' words as tests read them: each gettext domain's catalogues, loaded once.

Tests assert what a person reads in their language by asking the catalogues for it, so they
follow the translators' words instead of copying them.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Final

from shared.i18n.catalogues import Catalogues
from shared.i18n.translator import Translator
from shared.vocabulary import Language

ROOT: Final = Path(__file__).resolve().parents[2]
# Each gettext domain and the service folder whose templates and code it is extracted from.
DOMAINS: Final[dict[str, Path]] = {
    "pages": ROOT / "services" / "subscriptions",
    "admin": ROOT / "services" / "admin",
    "mails": ROOT / "services" / "mailer",
}


@cache
def catalogues(domain: str) -> Catalogues:
    """Return a domain's catalogues in every language."""
    return Catalogues.load(DOMAINS[domain] / "locale", domain)


def words(domain: str, language: str | Language) -> Translator:
    """Return the translator of a domain in a language (``"nn"`` or ``Language.NN``)."""
    return catalogues(domain)[Language(language)]


def page_text(language: str | Language, message: str, /, **values: object) -> str:
    """Return a public page's message in a language, placeholders filled."""
    return words("pages", language).gettext(message, **values)


def admin_text(language: str | Language, message: str, /, **values: object) -> str:
    """Return a staff page's message in a language, placeholders filled."""
    return words("admin", language).gettext(message, **values)


def mail_text(language: str | Language, message: str, /, **values: object) -> str:
    """Return a mail's message in a language, placeholders filled."""
    return words("mails", language).gettext(message, **values)
