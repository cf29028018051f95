"""The privacy notice, versioned: the ledger records which version and hash a person saw."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from shared.vocabulary import DEFAULT_LANGUAGE, Language

PRIVACY_VERSION: Final = "2026-11-01"

_NOTICE: Final[dict[Language, str]] = {
    Language.NB: (
        "Vi bruker e-postadressen din bare til å sende deg varslene du har bedt om. Vi lagrer "
        "adressen, hvilke emner du følger, hvor ofte du vil ha varsler og språket ditt. Du "
        "bekrefter påmeldingen med en lenke vi sender deg; ubekreftede påmeldinger slettes etter "
        "sju dager. Hver e-post har en lenke som avslutter alle varsler og sletter adressen din. "
        "Vi fører en logg over samtykket ditt (hva, når, hvilken versjon av denne teksten) der "
        "adressen er erstattet av en nøkkelbasert kode, slik at vi kan dokumentere samtykket "
        "også etter at adressen er slettet. Vi bruker ingen sporing i e-poster eller på sidene."
    ),
    Language.NN: (
        "Vi brukar e-postadressa di berre til å sende deg varsla du har bede om. Vi lagrar "
        "adressa, kva emne du følgjer, kor ofte du vil ha varsel og språket ditt. Du stadfestar "
        "påmeldinga med ei lenkje vi sender deg; påmeldingar som ikkje er stadfesta, blir sletta "
        "etter sju dagar. Kvar e-post har ei lenkje som avsluttar alle varsel og slettar adressa "
        "di. Vi fører ein logg over samtykket ditt (kva, når, kva versjon av denne teksten) der "
        "adressa er erstatta av ein nøkkelbasert kode, slik at vi kan dokumentere samtykket òg "
        "etter at adressa er sletta. Vi brukar inga sporing i e-postar eller på sidene."
    ),
    Language.EN: (
        "We use your email address only to send you the alerts you asked for. We store the "
        "address, the topics you follow, how often you want alerts and your language. You "
        "confirm your sign-up with a link we send you; unconfirmed sign-ups are deleted after "
        "seven days. Every email has a link that ends all alerts and deletes your address. We "
        "keep a log of your consent (what, when, which version of this text) in which the "
        "address is replaced by a keyed code, so that we can document the consent even after "
        "the address is deleted. We use no tracking in emails or on the pages."
    ),
}


@dataclass(frozen=True, slots=True)
class PrivacyNotice:
    """One language version of the privacy notice."""

    version: str
    language: str
    text: str

    @property
    def sha256(self) -> str:
        """Return the hash of the exact text."""
        return _sha256(self.text)


@lru_cache(maxsize=16)
def _sha256(text: str) -> str:
    # Every sign-up records the hash of the notice it showed; the texts are few and fixed.
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@lru_cache(maxsize=16)
def current_notice(language: str) -> PrivacyNotice:
    """Return the notice in force for a language."""
    text = _NOTICE.get(Language.of(language), _NOTICE[DEFAULT_LANGUAGE])
    return PrivacyNotice(PRIVACY_VERSION, language, text)


def all_current_notices() -> list[PrivacyNotice]:
    """Return the notice in force in every language."""
    return [current_notice(language) for language in _NOTICE]
