"""Tell a page's or a feed entry's own stamp from its content, under each version of the rules.

A stamp is a label and its date («Publisert 03.02.2021», «Sist oppdatert: 5. mars 2024»): the
date is read into the event, but the stamp is no part of the compared text, so a stamp that
moves alone is no change. Each version of the rules that knew more stamps keeps its own
``Stamps``: a source stored under an older version is judged by it once more
(docs/decisions/0017).

Since extraction 7 (model.STAMP_WORDINGS, and for feeds' entries FEED_STAMPS), a label is also
read in capitals («SIST OPPDATERT 05.12.2026», «Sist Oppdatert»), with «dato»/«date» after it
(«Sist oppdatert dato: 05.12.2026», «Last updated date:»), in the nynorsk «Sist fagleg
oppdatert», as «Sist revidert», «Publiseringsdato» and «Publication date», and a relative time
stands for its date: beside a label («Sist oppdatert for 5 minutter siden», «Updated 2 hours
ago», «Oppdatert i går») or alone in its block («for 5 minutt sidan», «i går»). A label still
starts with a capital: «ble oppdatert 5. mars» in a sentence is content, as is a date or a
relative time in running text. The page's own dates are read from every one of these stamps
that names a date (dates.find_labelled_dates), so the event still carries what the compared
text no longer holds.

Since extraction 9 (model.MORE_STAMPS, pages and feeds' entries alike, STAMPS_9), a sentence
that is a label is one («Denne siden ble sist oppdatert», «Siden er sist oppdatert»), as are
«Page last updated», «Sist gjennomgått», «Revidert», «Hentet» and «Generert»; beside a label,
a time before its date, a clock time without «kl.» and a date without its year are stamps;
and a label in lower case after a stamp and a comma («Publisert …, oppdatert …») goes with it.

Since extraction 12 (model.PRINT_STAMPS, pages, feeds' entries and PDFs, STAMPS_12 and
PDF_STAMPS_12), a block that is a print stamp or a visitor count alone goes too
(print_stamps: «Utskrift: 06.12.2026 11:03», «Denne siden er vist 1235 ganger»).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from services.watcher.domain.dates import (
    CAPITAL_WORDS,
    CAPITAL_WORDS_9,
    DATE_LABEL,
    DATE_PATTERN,
    DATE_PHRASE_RE,
    LABEL_GAP,
    LABEL_WORDS,
    LOWER_LABEL,
    MADE_WORDINGS_9,
    MORE_LABEL_WORDS,
    MORE_LABEL_WORDS_9,
    PAGE_DATE_PHRASE_RE,
    PAGE_STAMP,
    PAGE_STAMP_9,
    PUBLISHED_WORDINGS,
    UPDATED_WORDINGS,
    UPDATED_WORDINGS_9,
    Initials,
    has_label_word,
    stamp_label,
    texts_with_label_words,
    words_by_initial,
)
from services.watcher.domain.model import (
    FEED_STAMPS,
    MORE_STAMPS,
    PAGE_STAMPS,
    PRINT_STAMPS,
    STAMP_WORDINGS,
)
from services.watcher.domain.print_stamps import is_stamp_block

# What may stand beside labels in a block that is stamps alone, but whitespace (a test checks).
SEPARATORS = frozenset(":|·•,.-–—/")
_ONLY = r"[\s:|·•,.\-–—/]"  # whitespace and SEPARATORS


@dataclass(frozen=True, slots=True)
class Stamps:
    """The stamps one version of the rules strips from compared text."""

    # A label with its date (and clock time), cut from a block that holds a label word.
    phrases: re.Pattern[str]
    # What is left of a block that held stamps only: labels and separators (the block goes).
    only_labels: re.Pattern[str]
    # A label alone in its block (fullmatch, normalised), or in its table cell before «|»
    # (group 1 is the label); and what starts the next block or cell for the two to be joined
    # (normalise.dates_beside_labels).
    label_alone: re.Pattern[str]
    label_cell: re.Pattern[str]
    stamp_start: re.Pattern[str]
    # Words beyond dates.LABEL_WORDS that may start a label (its capitals, «SIST»), and the
    # label words with them grouped by first letter, which the two share: one search for
    # those letters finds both, where a search of the page for each word cost 3 % of a changed
    # page's extraction (bench/watcher/parse.py under callgrind, docs/benchmarks.md).
    words: tuple[str, ...] = ()
    initials: Initials | None = None
    # A block that is a relative time alone, «for 5 minutter siden» (not a heading).
    alone: re.Pattern[str] | None = None
    # Whether a block is print stamps or visitor counts alone, heading or not (print_stamps).
    stamp_block: Callable[[str], bool] | None = None

    def may_hold(self, text: str) -> bool:
        """Tell whether text holds a word that starts a label (a stamp may follow)."""
        return has_label_word(text) or any(word in text for word in self.words)

    def holding(self, texts: Sequence[str]) -> set[int]:
        """Return the indexes of the texts that hold a word that starts a label."""
        return texts_with_label_words(texts, self.initials)


FIRST_STAMPS = Stamps(
    phrases=DATE_PHRASE_RE,
    only_labels=re.compile(rf"(?:{DATE_LABEL}|{_ONLY})*"),
    label_alone=re.compile(rf"{DATE_LABEL}\s*+:?+"),
    label_cell=re.compile(rf"(?<![\w])({DATE_LABEL})\s*+:?+\s*+\|\s*+(?={DATE_PATTERN})"),
    stamp_start=re.compile(rf"\s*+(?:{DATE_PATTERN})"),
)
# Extraction 5: more forms of the stamp itself (dates.PAGE_DATE_PHRASE_RE), the same labels.
PAGE_STAMPS_5 = replace(FIRST_STAMPS, phrases=PAGE_DATE_PHRASE_RE)

# Extraction 7. Every label of extraction 5 and «Sist fagleg oppdatert», «Sist revidert»,
# «Publiseringsdato» and «Publication date», its first word as written or in capitals, the
# rest in any case («SIST OPPDATERT», «Sist Oppdatert»), with «dato»/«date» after it or not
# (dates.stamp_label, by which the page's own dates are read too).
WORDINGS = (*UPDATED_WORDINGS, *PUBLISHED_WORDINGS)
STAMP_LABEL = stamp_label(WORDINGS)
# The words beyond dates.LABEL_WORDS that start one of them: «SIST», «Publiseringsdato».
STAMP_WORDS = tuple(sorted(CAPITAL_WORDS | MORE_LABEL_WORDS))

# A relative time: «for 5 minutter siden», «for eit minutt sidan», «5 minutes ago», «i går».
_AMOUNT = (
    r"(?:\d{1,3}|en|ei|et|ett|ein|eit|noen|nokre|nokon|få|et\s++par|eit\s++par"
    r"|an?|one|a\s++few|few|several)"
)
_NORWEGIAN_UNIT = (
    r"(?:sekund(?:er|ar)?|sek|minutt(?:er|ar)?|min|timer?|timar|t|dag(?:er|ar)?|døgn"
    r"|uker?|veker?|vekor|måned(?:er)?|månad(?:er|ar)?|mnd|år)\.?"
)
_ENGLISH_UNIT = r"(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?)\.?"
_AGO = (
    rf"(?:for\s++)?+{_AMOUNT}\s++{_NORWEGIAN_UNIT}\s++sid(?:en|an)"
    rf"|{_AMOUNT}\s++{_ENGLISH_UNIT}\s++ago"
    r"|akkurat\s++nå|no\s++nettopp|nettopp|just\s++now"
)
_DAY = r"(?:i\s++(?:dag|går|gar|forgårs|forgars)|today|yesterday)"
_DAY_TIME = (
    r"(?:,\s*+|\s++)(?:kl\.?+\s*+|klokka\s++|klokken\s++|at\s++)?+\d{1,2}[:.]\d{2}"
    r"(?:\s*+[ap]\.?m\.?)?"
)
RELATIVE_TIME = rf"(?i:{_AGO}|{_DAY}(?:{_DAY_TIME})?)"
# Beside a label, a day alone ends the phrase: «Oppdatert i dag er …» starts a sentence.
_RELATIVE_BESIDE = rf"(?i:{_AGO}|{_DAY}(?:{_DAY_TIME}|(?!\s*+\w)))"

_ALONE = re.compile(rf"(?:{_ONLY}|[()])*+{RELATIVE_TIME}(?:{_ONLY}|[()])*+")


def _stamps(label: str, stamp: str, words: tuple[str, ...], then: str = "") -> Stamps:
    """Return the stamps of a label pattern and of what may follow it (extraction 7 on):
    ``stamp`` or a relative time, and then ``then`` (a pattern of more of them, if any)."""
    return Stamps(
        phrases=re.compile(
            rf"(?<![\w]){label}{LABEL_GAP}(?:(?i:{stamp})|{_RELATIVE_BESIDE}){then}"
        ),
        only_labels=re.compile(rf"(?:{label}|{_ONLY})*"),
        label_alone=re.compile(rf"{label}\s*+:?+"),
        label_cell=re.compile(rf"(?<![\w])({label})\s*+:?+\s*+\|\s*+(?=(?i:{stamp}))"),
        stamp_start=re.compile(rf"\s*+(?i:{stamp})"),
        words=words,
        initials=words_by_initial(LABEL_WORDS | frozenset(words)),
        alone=_ALONE,
    )


STAMPS_7 = _stamps(STAMP_LABEL, PAGE_STAMP, STAMP_WORDS)
# Longer than this, a block is no relative time alone (the longest is about 30 characters).
RELATIVE_ALONE_MAX_CHARS = 48

# Extraction 9. Every label of extraction 7, a sentence that is one («Denne siden ble sist
# oppdatert», «Siden er sist oppdatert»), «Page last updated», «Sist gjennomgått», «Revidert»,
# «Hentet» and «Generert» (dates.UPDATED_WORDINGS_9); beside one, a time before its date, a
# clock time without «kl.» and a date without its year (dates.PAGE_STAMP_9); and after a stamp
# and a comma, a label in lower case with its own stamp («Publisert 3. mars 2024, oppdatert
# 5. mars 2024»). A label still starts the stamp, and a date or a time must follow it at once,
# so «Revidert nasjonalbudsjett ble lagt fram 14. mai» is content.
STAMP_LABEL_9 = stamp_label((*UPDATED_WORDINGS_9, *PUBLISHED_WORDINGS, *MADE_WORDINGS_9))
_LOWER_LABEL = re.sub(r"[(][?]P<[^>]+>", "(?:", LOWER_LABEL)  # held once for each stamp
_STAMP_9 = rf"(?:(?i:{PAGE_STAMP_9})|{_RELATIVE_BESIDE})"
STAMPS_9 = _stamps(
    STAMP_LABEL_9,
    PAGE_STAMP_9,
    tuple(sorted(CAPITAL_WORDS_9 | MORE_LABEL_WORDS_9)),
    then=rf"(?:\s*+[,;]\s*+{_LOWER_LABEL}{LABEL_GAP}{_STAMP_9})*+",
)


# Extraction 12: those of 9, and a block of print stamps or visitor counts alone; PDFs, which
# kept the first forms, lose such blocks too.
STAMPS_12 = replace(STAMPS_9, stamp_block=is_stamp_block)
PDF_STAMPS_12 = replace(FIRST_STAMPS, stamp_block=is_stamp_block)


def page_stamps(extraction: int) -> Stamps:
    """Return the stamps a page's text loses under the rules of ``extraction``."""
    if extraction >= PRINT_STAMPS:
        return STAMPS_12
    if extraction >= MORE_STAMPS:
        return STAMPS_9
    if extraction >= STAMP_WORDINGS:
        return STAMPS_7
    if extraction >= PAGE_STAMPS:
        return PAGE_STAMPS_5
    return FIRST_STAMPS


def feed_stamps(extraction: int) -> Stamps:
    """Return the stamps a feed entry's text loses under the rules of ``extraction``."""
    if extraction >= PRINT_STAMPS:
        return STAMPS_12
    if extraction >= MORE_STAMPS:
        return STAMPS_9
    return STAMPS_7 if extraction >= FEED_STAMPS else FIRST_STAMPS


def pdf_stamps(extraction: int) -> Stamps:
    """Return the stamps a PDF's text loses under the rules of ``extraction``."""
    return PDF_STAMPS_12 if extraction >= PRINT_STAMPS else FIRST_STAMPS
