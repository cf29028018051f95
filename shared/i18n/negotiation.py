"""Which language a person gets: from ``?lang=``, a stored code or the Accept-Language header."""

from __future__ import annotations

from typing import Final

from shared.vocabulary import DEFAULT_LANGUAGE, Language

# Tags that name one of our languages without being its code. «no» is Norwegian without a
# written standard: bokmål, which most people who send it read; «nn» and «nno» are nynorsk.
_ALIASES: Final[dict[str, Language]] = {
    "no": Language.NB,
    "nob": Language.NB,
    "nor": Language.NB,
    "nno": Language.NN,
    "eng": Language.EN,
}
_MAX_RANGES: Final = 20  # an Accept-Language longer than this is read only this far


def language_of_tag(tag: str | None) -> Language | None:
    """Return the language a tag names (``nn``, ``nb-NO``, ``en_GB``, ``no``), or None."""
    if not tag:
        return None
    primary = tag.strip().lower().replace("_", "-").split("-", 1)[0]
    return Language.parse(primary) or _ALIASES.get(primary)


def negotiate_language(query: str | None, accept_language: str | None) -> Language:
    """Pick the language from ``?lang=`` first, then Accept-Language (by quality), else nb."""
    chosen = language_of_tag(query)
    if chosen is not None:
        return chosen
    best: tuple[float, Language] | None = None
    for part in (accept_language or "").split(",")[:_MAX_RANGES]:
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        language = language_of_tag(tag)
        # The first of equally weighted ranges wins, as the header lists them by preference.
        if language is not None and quality > 0 and (best is None or quality > best[0]):
            best = (quality, language)
    return best[1] if best is not None else DEFAULT_LANGUAGE
