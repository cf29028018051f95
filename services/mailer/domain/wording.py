"""Every visible word of the mails, in Norwegian bokmål and English, plus date formatting.

The templates hold structure only; all words come from here through ``Translator``. Values
interpolated into a message are plain text: the HTML templates escape the finished string.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final
from zoneinfo import ZoneInfo

from shared.vocabulary import LANGUAGES, Language

_ALIASES: Final[dict[str, Language]] = {
    "nb": Language.NB,
    "no": Language.NB,
    "nob": Language.NB,
    # Until the mails have catalogues of their own, nynorsk readers get bokmål mails.
    "nn": Language.NB,
    "en": Language.EN,
    "eng": Language.EN,
}

# A plural entry is a (one, other) pair; both languages pluralise the same way.
Message = str | tuple[str, str]

MESSAGES: Final[dict[Language, dict[str, Message]]] = {
    Language.NB: {
        "quote": "«{text}»",
        "list.and": "og",
        "frequency.immediate": "straks",
        "frequency.daily": "daglig",
        "frequency.weekly": "ukentlig",
        "change.published": "Publisert",
        "change.updated": "Oppdatert",
        "change.summary": "Dette er endret",
        "change.go_to_page": "Gå til siden",
        "footer.why_alert": (
            "Du får denne e-posten fordi du har bedt om varsler om {topic} fra {site}."
        ),
        "footer.why_digest": "Du får denne e-posten fordi du har bedt om varsler fra {site}.",
        "footer.frequency": "Hyppighet: {frequency} (gjelder alle dine varsler).",
        "footer.promise": (
            "Du kan når som helst avslutte dine varsler og slette din e-postadresse "
            "ved å følge lenken nedenfor."
        ),
        "footer.manage": "Endre varslene dine",
        "footer.unsubscribe": "Avslutt alle varsler og slett e-postadressen din",
        "footer.privacy": "Les mer om personvern",
        "alert.subject": "Oppdatering i {topic}: {title}",
        "alert.intro": "Det er en oppdatering i {topic}:",
        "digest.subject.daily": "Daglig oppsummering fra {site}: {count}",
        "digest.subject.weekly": "Ukentlig oppsummering fra {site}: {count}",
        "digest.heading.daily": "Daglig oppsummering",
        "digest.heading.weekly": "Ukentlig oppsummering",
        "digest.period": "Endringer fra {start} til {end}.",
        "digest.count": ("{n} endring", "{n} endringer"),
        "digest.also_in": "Også i: {topics}",
        "digest.more": (
            "1 endring til i {topic} vises ikke her.",
            "{n} endringer til i {topic} vises ikke her.",
        ),
        "digest.see_all": "Se alle endringer i {topic}",
        "operator.subject.failing": "Kilden svarer ikke",
        "operator.subject.recovered": "Kilden virker igjen",
        "operator.body.failing": (
            "Kilden {title} har feilet {failures} ganger på rad. Abonnentene får ikke varsler "
            "fra den før den virker igjen."
        ),
        "operator.body.recovered": (
            "Kilden {title} virker igjen etter {failures} feil på rad. Endringer blir varslet "
            "som før."
        ),
        "operator.url": "Adresse",
        "operator.last_error": "Siste feil",
        "operator.operations": "Driftsoversikt",
        "confirm.subject": "Bekreft at du vil ha varsler",
        "confirm.heading": "Bekreft at du vil ha varsler",
        "confirm.intro": (
            "Noen, forhåpentligvis du, har bedt om varsler på e-post fra {site} "
            "til denne adressen om:"
        ),
        "confirm.existing": (
            "Du får allerede varsler om {existing}. Bekrefter du, legges {new} til."
        ),
        "confirm.frequency": "Hyppighet: {frequency} (gjelder alle dine varsler).",
        "confirm.frequency_change": (
            "Bekrefter du, endres hyppigheten for alle dine varsler fra {old} til {new}."
        ),
        "confirm.button": "Bekreft varslene",
        "confirm.link_intro": "Bekreft ved å åpne denne lenken:",
        "confirm.expires": ("Lenken virker i 1 dag.", "Lenken virker i {n} dager."),
        "confirm.address_use": (
            "E-postadressen vil kun bli brukt til å sende ut varslene du har bedt om."
        ),
        "confirm.why": (
            "Du får denne e-posten fordi adressen ble registrert for varsler på {site}."
        ),
        "confirm.ignore_new": (
            "Hvis du ikke ba om dette, kan du se bort fra e-posten. Da skjer ingenting: "
            "du får ingen varsler, og adressen slettes automatisk."
        ),
        "confirm.ignore_existing": (
            "Hvis du ikke ba om dette, kan du se bort fra e-posten. Da endres ingenting."
        ),
        "manage.subject": "Lenke for å endre varslene dine",
        "manage.heading": "Endre varslene dine",
        "manage.intro": "Du ba om en lenke for å endre eller avslutte varslene dine fra {site}.",
        "manage.button": "Endre varslene dine",
        "manage.link_intro": "Åpne denne lenken:",
        "manage.expires": ("Lenken virker i 1 time.", "Lenken virker i {n} timer."),
        "manage.why": (
            "Du får denne e-posten fordi noen ba om en lenke for denne adressen på {site}."
        ),
        "manage.ignore": (
            "Hvis det ikke var deg, kan du se bort fra e-posten. Da skjer ingenting, "
            "og varslene dine endres ikke."
        ),
    },
    Language.EN: {
        "quote": "“{text}”",
        "list.and": "and",
        "frequency.immediate": "immediately",
        "frequency.daily": "daily",
        "frequency.weekly": "weekly",
        "change.published": "Published",
        "change.updated": "Updated",
        "change.summary": "What changed",
        "change.go_to_page": "Go to the page",
        "footer.why_alert": (
            "You are receiving this email because you asked for alerts about {topic} from {site}."
        ),
        "footer.why_digest": (
            "You are receiving this email because you asked for alerts from {site}."
        ),
        "footer.frequency": "Frequency: {frequency} (this affects all your alerts).",
        "footer.promise": (
            "You can cancel your alerts and delete your email address at any time "
            "by following the link below."
        ),
        "footer.manage": "Change your alerts",
        "footer.unsubscribe": "Cancel all alerts and delete your email address",
        "footer.privacy": "Read more about privacy",
        "alert.subject": "Update in {topic}: {title}",
        "alert.intro": "There is an update in {topic}:",
        "digest.subject.daily": "Daily digest from {site}: {count}",
        "digest.subject.weekly": "Weekly digest from {site}: {count}",
        "digest.heading.daily": "Daily digest",
        "digest.heading.weekly": "Weekly digest",
        "digest.period": "Changes from {start} to {end}.",
        "digest.count": ("{n} change", "{n} changes"),
        "digest.also_in": "Also in: {topics}",
        "digest.more": (
            "1 more change in {topic} is not shown here.",
            "{n} more changes in {topic} are not shown here.",
        ),
        "digest.see_all": "See all changes in {topic}",
        "operator.subject.failing": "Source failing",
        "operator.subject.recovered": "Source recovered",
        "operator.body.failing": (
            "The source {title} has failed {failures} times in a row. Subscribers get no alerts "
            "from it until it works again."
        ),
        "operator.body.recovered": (
            "The source {title} works again after {failures} failures in a row. Changes are "
            "alerted as before."
        ),
        "operator.url": "URL",
        "operator.last_error": "Last error",
        "operator.operations": "Operations",
        "confirm.subject": "Confirm that you want alerts",
        "confirm.heading": "Confirm that you want alerts",
        "confirm.intro": (
            "Someone, hopefully you, asked {site} to send email alerts to this address about:"
        ),
        "confirm.existing": "You already get alerts about {existing}. Confirming adds {new}.",
        "confirm.frequency": "Frequency: {frequency} (this affects all your alerts).",
        "confirm.frequency_change": (
            "Confirming changes the frequency of all your alerts from {old} to {new}."
        ),
        "confirm.button": "Confirm the alerts",
        "confirm.link_intro": "Confirm by opening this link:",
        "confirm.expires": ("The link works for 1 day.", "The link works for {n} days."),
        "confirm.address_use": (
            "The email address will only be used to send you the alerts you asked for."
        ),
        "confirm.why": (
            "You are receiving this email because this address was registered for alerts on {site}."
        ),
        "confirm.ignore_new": (
            "If you did not ask for this, you can ignore this email. Then nothing happens: "
            "you get no alerts, and the address is deleted automatically."
        ),
        "confirm.ignore_existing": (
            "If you did not ask for this, you can ignore this email. Then nothing changes."
        ),
        "manage.subject": "Link to change your alerts",
        "manage.heading": "Change your alerts",
        "manage.intro": "You asked for a link to change or cancel your alerts from {site}.",
        "manage.button": "Change your alerts",
        "manage.link_intro": "Open this link:",
        "manage.expires": ("The link works for 1 hour.", "The link works for {n} hours."),
        "manage.why": (
            "You are receiving this email because someone asked for a link for this address "
            "on {site}."
        ),
        "manage.ignore": (
            "If it was not you, you can ignore this email. Then nothing happens, "
            "and your alerts stay as they are."
        ),
    },
}

_MONTHS: Final[dict[Language, tuple[str, ...]]] = {
    Language.NB: (
        "januar", "februar", "mars", "april", "mai", "juni",
        "juli", "august", "september", "oktober", "november", "desember",
    ),
    Language.EN: (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
}  # fmt: skip


def normalise_language(language: str) -> Language:
    """Map a subscriber's language tag (``nb``, ``nb-NO``, ``en-GB``...) to a mail language."""
    primary = language.strip().lower().replace("_", "-").split("-", 1)[0]
    try:
        return _ALIASES[primary]
    except KeyError:
        raise ValueError(f"no mail language for {language!r}; have {LANGUAGES}") from None


@dataclass(frozen=True, slots=True)
class Translator:
    """Look up and fill messages for one language."""

    language: Language

    def __call__(self, key: str, /, **values: object) -> str:
        """Return the message ``key`` with ``values`` filled in."""
        message = MESSAGES[self.language][key]
        if isinstance(message, tuple):
            raise KeyError(f"{key!r} is a plural message; use plural()")
        return message.format(**values)

    def plural(self, key: str, n: int, /, **values: object) -> str:
        """Return the singular or plural form of ``key`` for ``n``."""
        message = MESSAGES[self.language][key]
        if not isinstance(message, tuple):
            raise KeyError(f"{key!r} is not a plural message")
        return message[0 if n == 1 else 1].format(n=n, **values)

    def quote(self, text: str) -> str:
        """Put ``text`` in the language's quotation marks."""
        return self("quote", text=text)

    def join(self, items: Sequence[str]) -> str:
        """Join ``items`` as ``a, b and c``."""
        if len(items) <= 1:
            return "".join(items)
        return f"{', '.join(items[:-1])} {self('list.and')} {items[-1]}"

    def quoted_list(self, items: Sequence[str]) -> str:
        """Join quoted ``items`` as ``«a», «b» og «c»``."""
        return self.join([self.quote(item) for item in items])

    def frequency(self, frequency: str) -> str:
        """Name a frequency (``immediate``, ``daily``, ``weekly``)."""
        return self(f"frequency.{frequency}")

    def format_date(self, day: date) -> str:
        """Format a calendar date: ``18. august 2022`` / ``18 August 2022``."""
        month = _MONTHS[self.language][day.month - 1]
        if self.language == Language.NB:
            return f"{day.day}. {month} {day.year}"
        return f"{day.day} {month} {day.year}"

    def format_datetime(self, moment: datetime, tz: ZoneInfo) -> str:
        """Format a moment in local time: ``23. november 2026 kl. 07.00``."""
        local = moment.astimezone(tz)
        if self.language == Language.NB:
            return f"{self.format_date(local)} kl. {local:%H.%M}"
        return f"{self.format_date(local)}, {local:%H:%M}"
