"""One language's words and formats: gettext lookups and Babel's dates and lists.

Messages are English source texts with named placeholders (``%(topic)s``), as in the templates'
``{% trans %}`` blocks. As with Jinja's new-style gettext, a message is always ``%``-formatted,
so a literal percent sign is written ``%%`` everywhere. Values filled in are plain text: HTML
templates escape the finished string.
"""

from __future__ import annotations

import gettext
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Final
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_time, get_datetime_format
from babel.lists import format_list
from babel.numbers import format_decimal

from shared.vocabulary import Language

# Dates in English follow British order (18 August 2022): day before month, as Norwegian
# readers of the English pages expect. Every other language uses its own CLDR locale.
_FORMAT_LOCALES: Final[dict[Language, str]] = {Language.EN: "en_GB"}


def N_(message: str) -> str:
    """Mark a message for extraction without translating it yet (``gettext_noop``)."""
    return message


def format_locale(language: Language) -> Locale:
    """Return the Babel locale whose conventions a language's dates and lists follow."""
    return Locale.parse(_FORMAT_LOCALES.get(language, language.value))


def language_name(language: Language) -> str:
    """Return a language's name in that language (``Norsk nynorsk``, ``English``)."""
    name = Locale.parse(language.value).get_display_name(language.value) or language.value
    return name[:1].upper() + name[1:]


@dataclass(frozen=True, slots=True)
class Translator:
    """Look up, fill and format messages for one language."""

    language: Language
    translations: gettext.NullTranslations
    locale: Locale = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "locale", format_locale(self.language))

    def gettext(self, message: str, /, **values: object) -> str:
        """Return ``message`` in this language with ``values`` filled in."""
        return self.translations.gettext(message) % values

    def ngettext(self, singular: str, plural: str, n: int, /, **values: object) -> str:
        """Return the form of a message for ``n`` (available as ``%(num)d``), filled in."""
        values.setdefault("num", n)
        return self.translations.ngettext(singular, plural, n) % values

    def pgettext(self, context: str, message: str, /, **values: object) -> str:
        """Return ``message`` as meant in ``context`` (a short word may mean several things)."""
        return self.translations.pgettext(context, message) % values

    def join(self, items: Sequence[str]) -> str:
        """Join ``items`` as the language lists them (``a, b og c``)."""
        return format_list(list(items), locale=self.locale) if items else ""

    def format_number(self, number: int) -> str:
        """Format a whole number grouped as the language writes it (``1 007``, ``1,007``)."""
        return format_decimal(number, locale=self.locale)

    def format_date(self, day: date) -> str:
        """Format a calendar date in the language's long form (``18. august 2022``)."""
        return babel_format_date(day, "long", locale=self.locale)

    def format_datetime(self, moment: datetime, tz: ZoneInfo) -> str:
        """Format a moment in local time: the long date and short time in the locale's order."""
        local = moment.astimezone(tz)
        pattern = str(get_datetime_format("long", locale=self.locale)).replace("'", "")
        return pattern.replace("{1}", self.format_date(local.date())).replace(
            "{0}", format_time(local, "short", locale=self.locale)
        )
