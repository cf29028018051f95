"""Every word the public pages show, in Norwegian bokmål and English.

The sign-up wording follows the fhi.no widget word for word. A plain dictionary rather than
gettext catalogues: two languages, no translators' tooling, and tests can check both are complete.
"""

from __future__ import annotations

from typing import Final

from shared.vocabulary import DEFAULT_LANGUAGE, Language

TEXTS: Final[dict[str, dict[str, str]]] = {
    "nb": {
        "site_name": "Varsler",
        "skip_to_content": "Hopp til innhold",
        "subscribe_heading": "Få varsel ved oppdateringer av «{topic}»",
        "email_label": "E-postadresse",
        "email_hint": "For eksempel navn@eksempel.no",
        "frequency_legend": (
            "Hvor ofte ønsker du å motta varsler fra {site}? (Gjelder alle dine varsler)"
        ),
        "frequency_immediate": "Straks",
        "frequency_daily": "Daglig",
        "frequency_weekly": "Ukentlig",
        "related_legend": "Ønsker du også varsler om:",
        "privacy_text": (
            "E-postadressen du registrerer her vil kun bli brukt til å sende ut nyhetsvarsler du "
            "har bedt om. Du kan når som helst avslutte dine varsler og slette din e-post adresse "
            "ved å følge lenken i varslene du mottar."
        ),
        "privacy_link": "Les mer om personvern på {site}",
        "subscribe_button": "Meld meg på",
        "language_switch": "English",
        "check_email_title": "Sjekk e-posten din",
        "check_email_body": (
            "Hvis adressen kan motta varsler, har vi sendt en e-post med en lenke du må følge for "
            "å bekrefte påmeldingen. Lenken virker i {days} dager. Uten bekreftelse sender vi "
            "ingenting, og påmeldingen slettes."
        ),
        "confirm_title": "Bekreft påmeldingen",
        "confirm_body": "Trykk på knappen for å bekrefte at du vil ha varsler på e-post.",
        "confirm_button": "Bekreft påmeldingen",
        "confirmed_title": "Påmeldingen er bekreftet",
        "confirmed_body": "Du har meldt deg på nyhetsvarsel for:",
        "link_invalid_title": "Lenken virker ikke",
        "link_invalid_body": (
            "Lenken er ugyldig, utløpt eller allerede brukt. Du kan melde deg på igjen eller be om "
            "en ny lenke for å endre varslene dine."
        ),
        "manage_title": "Dine varsler",
        "manage_topics_legend": "Du får varsler om:",
        "manage_save": "Lagre endringene",
        "manage_saved": "Endringene er lagret.",
        "unsubscribe_all_button": "Avslutt alle varsler",
        "erase_button": "Avslutt alle varsler og slett e-postadressen min",
        "unsubscribe_explain": (
            "Du får ingen flere varsler fra oss, men e-postadressen din blir ikke slettet."
        ),
        "erase_explain": (
            "Vi sletter e-postadressen din og alt vi har lagret om deg, og sender deg ingen flere "
            "e-poster."
        ),
        "unsubscribe_title": "Avslutt varsler",
        "unsubscribed_title": "Varslene er avsluttet",
        "unsubscribed_body": "Du får ikke flere varsler fra oss.",
        "erased_title": "E-postadressen din er slettet",
        "erased_body": (
            "Vi har slettet e-postadressen din, alle varslene dine og alt som ventet på å bli "
            "sendt til deg. Du får ingen flere e-poster fra oss."
        ),
        "erased_kept": (
            "Det vi beholder: en logg over at du meldte deg på og av, med hvilke emner, når og "
            "hvilken personvernerklæring du så. Loggen viser ikke e-postadressen din, bare en "
            "nøkkelbasert kode laget av den. Vi må kunne dokumentere at vi hadde samtykke, og "
            "loggen slettes når oppbevaringstiden er ute."
        ),
        "manage_link_title": "Få en ny lenke til varslene dine",
        "manage_link_body": (
            "Skriv inn e-postadressen din. Hvis den får varsler fra oss, sender vi en lenke der "
            "du kan endre eller avslutte dem."
        ),
        "manage_link_button": "Send meg en lenke",
        "manage_link_sent": (
            "Hvis adressen får varsler fra oss, har vi sendt den en lenke. Sjekk e-posten din."
        ),
        "rate_limited_title": "For mange forsøk",
        "rate_limited_body": (
            "Vi har fått mange forespørsler for denne adressen eller fra denne maskinen. For å "
            "hindre misbruk må du vente litt. Prøv igjen om en time."
        ),
        "not_found_title": "Fant ikke siden",
        "not_found_body": "Vi har ikke noe emne med denne adressen.",
        "error_title": "Noe er feil i skjemaet",
        "error_email_invalid": "Skriv en gyldig e-postadresse, for eksempel navn@eksempel.no.",
        "error_email_missing": "Skriv inn e-postadressen din.",
        "error_email_local_too_long": (
            "Delen før @ kan være høyst 64 tegn lang. Sjekk at du har skrevet adressen riktig."
        ),
        "error_email_encoded": (
            "Skriv adressen slik den står i e-postprogrammet ditt, uten koding som =?utf-8?…?=."
        ),
        "error_frequency": "Velg hvor ofte du vil få varsler.",
        "error_topics": "Velg minst ett emne.",
        "error_csrf": "Skjemaet var for gammelt. Send det på nytt.",
        "privacy_title": "Personvern",
        "privacy_heading": "Personvern for varsler på e-post",
        "privacy_version": "Versjon {version}",
        "error_prefix": "Feil",
        "opens_in_new_tab": "(åpnes i ny fane)",
    },
    "en": {
        "site_name": "Alerts",
        "skip_to_content": "Skip to content",
        "subscribe_heading": "Get alerts of updates about «{topic}»",
        "email_label": "Email address",
        "email_hint": "For example name@example.com",
        "frequency_legend": (
            "How often would you like to receive alerts from {site}? (This affects all your alerts)"
        ),
        "frequency_immediate": "Immediately",
        "frequency_daily": "Daily",
        "frequency_weekly": "Weekly",
        "related_legend": "Do you also want alerts about:",
        "privacy_text": (
            "The email address you register will only be used to send you these alerts. You can "
            "cancel your alerts and delete your email address at any time by following the link "
            "in the alerts you receive."
        ),
        "privacy_link": "Read more about the privacy policy for {site}",
        "subscribe_button": "Subscribe",
        "language_switch": "Norsk",
        "check_email_title": "Check your email",
        "check_email_body": (
            "If the address can receive alerts, we have sent it an email with a link you must "
            "follow to confirm. The link works for {days} days. Without confirmation we send "
            "nothing, and the sign-up is deleted."
        ),
        "confirm_title": "Confirm your sign-up",
        "confirm_body": "Press the button to confirm that you want alerts by email.",
        "confirm_button": "Confirm sign-up",
        "confirmed_title": "Your sign-up is confirmed",
        "confirmed_body": "You have subscribed to alerts about:",
        "link_invalid_title": "This link does not work",
        "link_invalid_body": (
            "The link is invalid, has expired or was already used. You can sign up again or ask "
            "for a new link to manage your alerts."
        ),
        "manage_title": "Your alerts",
        "manage_topics_legend": "You get alerts about:",
        "manage_save": "Save changes",
        "manage_saved": "Your changes are saved.",
        "unsubscribe_all_button": "End all alerts",
        "erase_button": "End all alerts and delete my email address",
        "unsubscribe_explain": (
            "You will get no more alerts from us, but your email address is not deleted."
        ),
        "erase_explain": (
            "We delete your email address and everything we keep about you, and send you no more "
            "email."
        ),
        "unsubscribe_title": "End alerts",
        "unsubscribed_title": "Your alerts have ended",
        "unsubscribed_body": "You will get no more alerts from us.",
        "erased_title": "Your email address is deleted",
        "erased_body": (
            "We have deleted your email address, all your alerts and everything waiting to be "
            "sent to you. You will get no more email from us."
        ),
        "erased_kept": (
            "What we keep: a log that you signed up and ended your alerts, with which topics, "
            "when, and which privacy notice you were shown. The log does not show your email "
            "address, only a keyed code made from it. We must be able to document that we had "
            "consent, and the log is deleted when its retention period ends."
        ),
        "manage_link_title": "Get a new link to your alerts",
        "manage_link_body": (
            "Enter your email address. If it gets alerts from us, we will send it a link where "
            "you can change or end them."
        ),
        "manage_link_button": "Send me a link",
        "manage_link_sent": (
            "If the address gets alerts from us, we have sent it a link. Check your email."
        ),
        "rate_limited_title": "Too many attempts",
        "rate_limited_body": (
            "We have received many requests for this address or from this computer. To prevent "
            "abuse you need to wait a while. Please try again in an hour."
        ),
        "not_found_title": "Page not found",
        "not_found_body": "We have no topic at this address.",
        "error_title": "Something is wrong in the form",
        "error_email_invalid": "Enter a valid email address, for example name@example.com.",
        "error_email_missing": "Enter your email address.",
        "error_email_local_too_long": (
            "The part before the @ can be at most 64 characters long. Check the address."
        ),
        "error_email_encoded": (
            "Write the address as your email program shows it, without encoding such as "
            "=?utf-8?…?=."
        ),
        "error_frequency": "Choose how often you want alerts.",
        "error_topics": "Choose at least one topic.",
        "error_csrf": "The form was too old. Please send it again.",
        "privacy_title": "Privacy",
        "privacy_heading": "Privacy for email alerts",
        "privacy_version": "Version {version}",
        "error_prefix": "Error",
        "opens_in_new_tab": "(opens in a new tab)",
    },
}


def text(language: str, key: str, **values: str) -> str:
    """Return a page text in a language, with its placeholders filled."""
    catalogue = TEXTS.get(language, TEXTS["nb"])
    return catalogue[key].format(**values) if values else catalogue[key]


def negotiate_language(query: str | None, accept_language: str | None) -> Language:
    """Pick nb or en from ``?lang=`` first, then the Accept-Language header, else nb."""
    chosen = Language.parse(query)
    if chosen is not None:
        return chosen
    if accept_language:
        weighted: list[tuple[float, Language]] = []
        for part in accept_language.split(",")[:20]:
            tag, _, params = part.strip().partition(";")
            quality = 1.0
            if params.strip().startswith("q="):
                try:
                    quality = float(params.strip()[2:])
                except ValueError:
                    quality = 0.0
            primary = tag.strip().lower().split("-")[0]
            if primary in {"nb", "no", "nn"}:
                weighted.append((quality, Language.NB))
            elif primary == "en":
                weighted.append((quality, Language.EN))
        if weighted:
            return max(weighted, key=lambda pair: pair[0])[1]
    return DEFAULT_LANGUAGE
