"""What the mails say beyond their templates: quoting, frequency names, and chosen messages.

Every visible word is in the ``mails`` gettext catalogues (``locale/<language>/LC_MESSAGES``);
templates translate with ``_()`` and the code that builds a mail's context with its language's
``Translator``. Values filled into a message are plain text: the HTML templates escape the
finished string.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Final

from shared.i18n.catalogues import Catalogues
from shared.i18n.negotiation import language_of_tag
from shared.i18n.translator import N_, Translator
from shared.vocabulary import LANGUAGES, Frequency, Language

LOCALES: Final = Path(__file__).resolve().parent.parent / "locale"
DOMAIN: Final = "mails"

_FREQUENCIES: Final[dict[Frequency, str]] = {
    Frequency.IMMEDIATE: N_("immediately"),
    Frequency.DAILY: N_("daily"),
    Frequency.WEEKLY: N_("weekly"),
}
# Staff notices: the operators' by the source's new state, the editors' reminder (templates
# name these).
TEMPLATE_GLOBALS: Final[dict[str, str]] = {
    "FAILING": N_(
        "The source %(title)s has failed %(failures)s times in a row. Subscribers get no alerts "
        "from it until it works again."
    ),
    "RECOVERED": N_(
        "The source %(title)s works again after %(failures)s failures in a row. Changes are "
        "alerted as before."
    ),
    # The editors' reminder of a change on the desk.
    "WAITING_FOR_REVIEW": N_(
        "A change to %(title)s has waited on the editor's desk since %(since)s. Nobody is "
        "alerted until an editor approves it or marks it minor."
    ),
}


def load_catalogues(directory: Path = LOCALES) -> Catalogues:
    """Read the mails' catalogues in every language (at start-up, not at import)."""
    return Catalogues.load(directory, DOMAIN)


def normalise_language(language: str) -> Language:
    """Map a subscriber's language tag (``nb``, ``nn-NO``, ``en-GB``...) to a mail language."""
    found = language_of_tag(language)
    if found is None:
        raise ValueError(f"no mail language for {language!r}; have {LANGUAGES}")
    return found


def quote(t: Translator, text: str) -> str:
    """Put ``text`` in the language's quotation marks."""
    return t.pgettext("quotation marks around a title", "“%(text)s”", text=text)


def quoted_list(t: Translator, items: Sequence[str]) -> str:
    """Join quoted ``items`` as the language lists them (``«a», «b» og «c»``)."""
    return t.join([quote(t, item) for item in items])


def frequency_name(t: Translator, frequency: str) -> str:
    """Name a frequency (``immediate``, ``daily``, ``weekly``) in a sentence."""
    return t.gettext(_FREQUENCIES[Frequency(frequency)])
