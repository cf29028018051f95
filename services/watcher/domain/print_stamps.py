"""Tell a block that is a print stamp or a visitor count alone (extraction 12 on).

A page's print view, a PDF's footer or a CMS's counter stamps the text with when it was
printed or how often it was read («Utskrift: 06.12.2026 11:03», «Denne siden er vist 1235
ganger»): a new number at every request, which told every follower of a change. Only a block
that is such stamps alone goes (with separators and a page number beside them, as a PDF's
footer has), never a sentence that holds the words: «Skrevet ut 3. mars ble rapporten sendt
til …» and «Artikkelen er lest 200 ganger i uka og …» are content. No date is read from them:
when a page was printed is no date of its own, as with «Hentet».
"""

from __future__ import annotations

import re

from services.watcher.domain.dates import LABEL_GAP, PAGE_STAMP_9, as_written_or_in_capitals

# Longer than this, a block is no stamps alone (the longest here is about 80 characters).
_STAMP_BLOCK_MAX_CHARS = 120

# When it was printed: bokmål, nynorsk and English, each followed at once by a date or a time
# (dates.PAGE_STAMP_9: a date with or without its time, a time before its date, a time alone).
PRINTED_WORDINGS = (
    "Utskrift",
    "Utskriftsdato",
    "Utskriftstidspunkt",
    "Utskrevet",
    "Utskriven",
    "Skrevet ut",
    "Skrive ut",
    "Skriven ut",
    "Sist skrevet ut",
    "Dato for utskrift",
    "Denne siden ble skrevet ut",
    "Denne sida vart skriven ut",
    "Denne sida vart skrive ut",
    "Printed",
    "Printed on",
    "Print date",
    "Date printed",
    "Page printed",
    "This page was printed",
)
_PRINTED_LABEL = "|".join(
    as_written_or_in_capitals(w) for w in sorted(PRINTED_WORDINGS, key=len, reverse=True)
)
_PRINTED = rf"(?:{_PRINTED_LABEL}){LABEL_GAP}(?i:{PAGE_STAMP_9})"

# How often it was read: «1235», «1 235», «1.235», «1,235».
_COUNT = r"(?:\d{1,3}(?:[ .,]\d{3})++|\d++)"
_TIMES = r"(?:ganger|gonger|gongar|times)"
_VIEWED = (
    r"(?i:"
    # «Denne siden er vist 1235 ganger», «Sida er vist 1235 gonger», «Artikkelen er lest …»
    r"(?:(?:denne|dette)\s++)?+(?:siden|sida|sidan|artikkelen|saken|saka|nyheten|innlegget)"
    r"\s++(?:er|har\s++(?:blitt|vorte|vore))\s++"
    rf"(?:vist|visa|lest|lese|lesen|sett|besøkt|vitja)\s++{_COUNT}\s++{_TIMES}"
    # «This page has been viewed 1,235 times», «Viewed 1235 times», «Vist 1235 ganger»
    rf"|(?:this\s++(?:page|article)\s++has\s++been\s++)?+(?:viewed|read)\s++{_COUNT}\s++times"
    rf"|(?:vist|visa|lest|lese)\s++{_COUNT}\s++{_TIMES}"
    # «Antall visninger: 1235», «Sidevisningar: 1235», «Page views: 1,235», «Views: 1235»
    r"|(?:(?:antall|tal\s++på|talet\s++på|number\s++of)\s++)?+"
    r"(?:side|page\s++)?+(?:visninger|visningar|visingar|views|hits|besøk|visits)"
    rf"\s*+:?+\s*+{_COUNT}"
    # «1235 visninger», «1,235 views»
    rf"|{_COUNT}\s++(?:visninger|visningar|visingar|views|sidevisninger|page\s++views))"
)
# A PDF footer's page number beside its print stamp: «Side 1 av 3», «Page 2 of 3», «s. 4».
_PAGE_NUMBER = r"(?i:(?:side|sida|page|s\.)\s*+\d{1,4}(?:\s*+(?:av|of|/)\s*+\d{1,4})?+)"
_SEPARATORS = r"[\s:|·•,.\-–—/()]"  # stamps.SEPARATORS, whitespace and brackets
_ONE = rf"(?:{_PRINTED}|{_VIEWED})"
# A block of these stamps alone (fullmatch, normalised text): at least one of them, and
# beside them only separators, other such stamps and page numbers.
_STAMP_BLOCK_RE = re.compile(
    rf"{_SEPARATORS}*+{_ONE}(?:{_SEPARATORS}*+(?:{_ONE}|{_PAGE_NUMBER}))*+{_SEPARATORS}*+"
)
_DIGIT = re.compile(r"\d")


def is_stamp_block(block: str) -> bool:
    """Tell whether a normalised block is print stamps or visitor counts alone."""
    # Each names a number, and most short blocks hold none («Les mer», a heading): a search
    # for a digit costs a third of the pattern's failing at the block's first letters, where
    # it tries each of its alternatives.
    return (
        len(block) <= _STAMP_BLOCK_MAX_CHARS
        and _DIGIT.search(block) is not None
        and _STAMP_BLOCK_RE.fullmatch(block) is not None
    )
