"""Parse the dates public bodies print on their pages, feeds and PDFs.

Norwegian (bokmål and nynorsk share the month names) and English forms are
understood: «18. august 2022», «Publisert 03.02.2021», «Oppdatert 5. mars 2024»,
«August 18, 2022», ISO 8601 and RFC 822 feed dates, PDF «D:20220818…» stamps.
"""

from __future__ import annotations

import re
import time
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from datetime import date
from itertools import accumulate

MONTHS: dict[str, int] = {
    "januar": 1, "january": 1, "jan": 1,
    "februar": 2, "february": 2, "feb": 2,
    "mars": 3, "march": 3, "mar": 3,
    "april": 4, "apr": 4,
    "mai": 5, "may": 5,
    "juni": 6, "june": 6, "jun": 6,
    "juli": 7, "july": 7, "jul": 7,
    "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9,
    "oktober": 10, "october": 10, "okt": 10, "oct": 10,
    "november": 11, "nov": 11,
    "desember": 12, "december": 12, "des": 12, "dec": 12,
}  # fmt: skip

# Longest names first so «mars» is not read as «mar» + «s».
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))

# One pattern with a named group per form; every group set is validated in _to_date.
DATE_PATTERN = (
    r"(?:(?P<iy>\d{4})-(?P<im>\d{1,2})-(?P<id>\d{1,2})(?![\d])"
    r"|(?P<nd>\d{1,2})[./](?P<nm>\d{1,2})[./](?P<ny>\d{4}|\d{2})(?![\d])"
    rf"|(?P<td>\d{{1,2}})\.?\s+(?P<tm>(?i:{_MONTH}))\.?,?\s+(?P<ty>\d{{4}})"
    rf"|(?P<em>(?i:{_MONTH}))\.?\s+(?P<ed>\d{{1,2}}),?\s+(?P<ey>\d{{4}}))"
)
# A clock time that may follow a date: «kl. 14.30», «, 10:00», «T09:00:00+01:00».
_TIME = (
    r"(?:(?:,\s*|\s+|T)(?:kl\.?\s*)?\d{1,2}[:.]\d{2}(?:[:.]\d{2})?(?:\.\d+)?"
    r"(?:Z|[+-]\d{2}:?\d{2})?)?"
)
DATE_RE = re.compile(DATE_PATTERN)

# Capitalised labels only: «ble oppdatert 5. mars» inside a sentence is content, not a stamp.
PUBLISHED_LABEL = r"(?:Først publisert|Publisert|Publisert dato|Published|First published)"
UPDATED_LABEL = (
    r"(?:Sist faglig oppdatert|Sist oppdatert|Sist endret|Oppdatert|Endret"
    r"|Last updated|Last modified|Updated|Modified)"
)
DATE_LABEL = rf"(?:{UPDATED_LABEL}|{PUBLISHED_LABEL})"
# The words of a label may be parted by any run of whitespace, as every other gap in this
# pattern may: so it finds the same dates in a text whether or not its whitespace has been
# collapsed, and a page's text is searched without collapsing it first (html_dates).
#
# Every gap is possessive (``\s++``, ``\s*+``): a label's word, a colon and a date never start
# with whitespace, so giving back part of a run can never make a match, and a run that is not
# followed by a date fails at once. Greedy gaps tried every split of a run between the two
# around the colon: a label word followed by 16,000 blanks took 44 s to search.
LABEL_GAP = r"\s*+:?+\s*+"
# A label with its date (and clock time): the phrase removed from compared text.
DATE_PHRASE_RE = re.compile(rf"(?<![\w]){DATE_LABEL}{LABEL_GAP}{DATE_PATTERN}{_TIME}")
# Pages' stamps since extraction 5 (stamps.PAGE_STAMPS_5, for pages only: feeds and PDFs kept
# DATE_PHRASE_RE; feeds read these since extraction 7, stamps.STAMPS_7): the nynorsk «Sist
# endra», «on» or «den» after the label, a weekday before the date («Sist oppdatert: fredag 5.
# desember 2026», «Last updated on Friday, December 5, 2026»), and a clock time alone, today's
# («Sist oppdatert kl. 14:30», «Oppdatert i dag kl. 14.30»). Every one of these begins with a
# word of LABEL_WORDS (a test checks).
_WEEKDAY = (
    r"(?i:mandag|måndag|tirsdag|tysdag|onsdag|torsdag|fredag|lørdag|laurdag|søndag|sundag"
    r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
)
PAGE_ONLY_LABEL = r"(?:Sist endra)"
PAGE_DATE_LABEL = rf"(?:{DATE_LABEL}|{PAGE_ONLY_LABEL})"
# _TIME, with «klokka»/«klokken» and a dash before it too («5. desember 2026 – 14:30»).
_PAGE_TIME = (
    r"(?:(?:,\s*+|\s*+[-–]\s*+|\s++|T)(?:klokk(?:a|en)\s++|kl\.?\s*+|at\s++)?+"
    r"\d{1,2}[:.]\d{2}(?:[:.]\d{2})?(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
PAGE_STAMP = (
    rf"(?:(?:on|den)\s++)?+(?:{_WEEKDAY}\.?+,?+\s++)?+{DATE_PATTERN}{_PAGE_TIME}"
    r"|(?:(?:i dag|i går|i gar|today)\s++)?+(?:kl\.?+|klokka|klokken|at)\s*+\d{1,2}[:.]\d{2}\b"
)
PAGE_DATE_PHRASE_RE = re.compile(rf"(?<![\w]){PAGE_DATE_LABEL}{LABEL_GAP}(?:{PAGE_STAMP})")


def _first_words(label: str) -> frozenset[str]:
    """Return the first word of each alternative of a label pattern (plain words only)."""
    alternatives = label.removeprefix("(?:").removesuffix(")").split("|")
    words = frozenset(a.split()[0] for a in alternatives)
    if any(re.escape(w) != w for w in words):
        raise ValueError(f"label alternatives must be plain words: {label}")
    return words


# Labels are case-sensitive literals, so a labelled date can only start where one of these
# words does: scanning for them with str.find is far cheaper than the regex at every position.
LABEL_WORDS = _first_words(PUBLISHED_LABEL) | _first_words(UPDATED_LABEL)


def has_label_word(text: str) -> bool:
    """Tell whether text holds a word that starts a date label (a date phrase may follow)."""
    return any(word in text for word in LABEL_WORDS)


def texts_with_label_words(texts: Sequence[str], initials: Initials | None = None) -> set[int]:
    """Return the indexes of the texts that hold a label word (has_label_word of each), or
    one of the words of ``initials`` (words_by_initial) if given.

    One scan over the texts joined: a page has dozens of blocks and few labels, so a search
    per label word over all of them costs a fraction of a search per word in every block.
    """
    joined = "\x00".join(texts)  # no label word holds NUL, so none spans two texts
    # No has_label_word first: it would search again the text _label_starts searches.
    starts = _label_starts(joined, _INITIALS if initials is None else initials)
    if not starts:
        return set()
    ends = list(accumulate(len(text) + 1 for text in texts))  # where each text's NUL falls
    return {bisect_right(ends, at) for at in starts}


# Words grouped by their first letter: what _label_starts searches for.
Initials = tuple[tuple[str, tuple[str, ...]], ...]


def words_by_initial(words: frozenset[str]) -> Initials:
    """Group words by their first letter."""
    return tuple(
        (letter, tuple(sorted(w for w in words if w[0] == letter)))
        for letter in sorted({word[0] for word in words})
    )


def _by_initial(words: frozenset[str]) -> Initials:
    """Group words by their first letter, which no word holds anywhere else."""
    initials = {word[0] for word in words}
    if any(letter in word[1:] for word in words for letter in initials):
        raise ValueError("a label word holds another's first letter past its own start")
    return words_by_initial(words)


_INITIALS = _by_initial(LABEL_WORDS)
# Past this many of one capital letter in a text, its words are searched for one by one.
_MOST_INITIALS = 256


def _label_starts(text: str, initials: Initials = _INITIALS) -> list[int]:
    """Return every position where a label word (or a word of ``initials``) starts, in order.

    Each label word starts with a capital letter found nowhere else in any of them, so two
    words never start at one position, and none starts inside another's match (other words,
    as texts_with_label_words may search for, only tell which texts hold one). A search for the
    letter (memchr, as for any one character) and a startswith at each hit cost a quarter
    of a search for each word (a page holds about 150 of these capitals in 20,000
    characters); a text full of them falls back to the words' own searches, so it costs at
    most a bounded number of hits more than they do.
    """
    starts: list[int] = []
    for initial, words in initials:
        at = text.find(initial)
        for _ in range(_MOST_INITIALS):
            if at == -1:
                break
            if text.startswith(words, at):
                starts.append(at)
            at = text.find(initial, at + 1)
        else:
            for word in words:
                found = text.find(word, at)
                while found != -1:
                    starts.append(found)
                    found = text.find(word, found + 1)
    starts.sort()
    return starts


def alternatives(label: str) -> list[str]:
    """Return the wordings of a label pattern such as PUBLISHED_LABEL."""
    return label.removeprefix("(?:").removesuffix(")").split("|")


# The wordings of extraction 7's labels (stamps.STAMPS_7): those of extraction 5, and beside
# them wordings no earlier version knew («Sist fagleg oppdatert», «Publiseringsdato»).
UPDATED_WORDINGS = (
    *alternatives(UPDATED_LABEL),
    *alternatives(PAGE_ONLY_LABEL),
    "Sist fagleg oppdatert",
    "Sist revidert",
)
PUBLISHED_WORDINGS = (*alternatives(PUBLISHED_LABEL), "Publiseringsdato", "Publication date")
# Their first words that are none of LABEL_WORDS («Publiseringsdato», «Publication»).
MORE_LABEL_WORDS = (
    frozenset(w.split(" ")[0] for w in (*UPDATED_WORDINGS, *PUBLISHED_WORDINGS)) - LABEL_WORDS
)
# «SIST», «PUBLISERINGSDATO»: a label in capitals starts with none of the words above.
CAPITAL_WORDS = frozenset(word.upper() for word in LABEL_WORDS | MORE_LABEL_WORDS)


# Extraction 9's labels (stamps.STAMPS_9): those of 7, a sentence that is a label («Denne
# siden ble sist oppdatert», «Siden er sist oppdatert»), «Page last updated», «Sist
# gjennomgått» and «Revidert»; and labels of when the text was made or fetched, no date of
# the page's own (none is read from them): «Hentet», «Generert».
UPDATED_WORDINGS_9 = (
    *UPDATED_WORDINGS,
    "Denne siden ble sist oppdatert",
    "Denne siden er sist oppdatert",
    "Denne sida vart sist oppdatert",
    "Denne sida er sist oppdatert",
    "Siden er sist oppdatert",
    "Sidan er sist oppdatert",
    "Sida er sist oppdatert",
    "Page last updated",
    "Sist gjennomgått",
    "Revidert",
)
MADE_WORDINGS_9 = ("Hentet", "Generert")
# Their first words beyond LABEL_WORDS («Denne», «Siden», «Revidert»), and these in capitals.
MORE_LABEL_WORDS_9 = (
    frozenset(w.split(" ")[0] for w in (*UPDATED_WORDINGS_9, *MADE_WORDINGS_9)) | MORE_LABEL_WORDS
) - LABEL_WORDS
CAPITAL_WORDS_9 = frozenset(word.upper() for word in LABEL_WORDS | MORE_LABEL_WORDS_9)


def as_written_or_in_capitals(wording: str) -> str:
    """Return a pattern of a label's wording: its first word as written or in capitals, the
    rest in any case («SIST OPPDATERT», «Sist Oppdatert»), parted by any whitespace.

    The first word is never in any case, so that a label can only start where one of
    LABEL_WORDS, MORE_LABEL_WORDS or CAPITAL_WORDS does (a test checks).
    """
    first, *rest = wording.split(" ")
    tail = "(?i:" + "".join(rf"\s++{word}" for word in rest) + ")" if rest else ""
    return f"(?:{first}|{first.upper()}){tail}"


def stamp_label(wordings: Sequence[str]) -> str:
    """Return a pattern of labels in extraction 7's forms, with «dato»/«date» after it or not."""
    written = "|".join(as_written_or_in_capitals(w) for w in wordings)
    return f"(?:{written})" + r"(?:\s++(?i:dato|date))?"


# A clock time and what may stand before it: «14:30», «kl. 14.30».
_CLOCK = r"(?:(?:kl\.?+|klokka|klokken|at)\s*+)?+\d{1,2}[:.]\d{2}"
# Extraction 9's stamps, beside a label (stamps.STAMPS_9): those of extraction 5, a time before
# its date («14:30 15.03.2021»), a clock time without «kl.» («09:12»), and a date without its
# year («16. mars», «March 16»), each with a time after it or not. Without named groups, so
# that a pattern may hold it more than once.
PAGE_STAMP_9 = re.sub(
    r"\(\?P<\w+>",
    "(?:",
    rf"{_CLOCK}(?:\s*+,?+\s*+|\s*+[-–]\s*+)(?:(?:on|den)\s++)?+{DATE_PATTERN}"
    rf"|{PAGE_STAMP}"
    r"|\d{1,2}:\d{2}(?::\d{2})?+(?![\w:]|[.,]\d)"
    rf"|(?:{_WEEKDAY}\.?+,?+\s++)?+\d{{1,2}}\.?+\s++(?:{_MONTH})\b\.?+{_PAGE_TIME}"
    rf"|(?:{_WEEKDAY}\.?+,?+\s++)?+(?:{_MONTH})\.?+\s++\d{{1,2}}(?:st|nd|rd|th)?+\b"
    rf"(?![.,]?+\s*+\d){_PAGE_TIME}",
)
# A label in lower case after a stamp and a comma: «Publisert 3. mars 2024, oppdatert …».
LOWER_LABEL = (
    r"(?:(?:sist\s++)?+(?:fag(?:lig|leg)\s++)?+"
    r"(?P<upd2>oppdatert|endret|endra|revidert|gjennomgått)|(?:last\s++)?+(?P<upd3>updated|"
    r"modified)|(?P<pub2>publisert|published))"
)


# What the page's own dates are read from: a label in any form extraction 9 strips, then its
# date (after «on»/«den», a weekday or a clock time, as extraction 9 strips it), and a label
# in lower case after it and a comma («Publisert 3. mars 2024, oppdatert 5. mars 2024»). A
# relative time, a clock time alone or a date without its year («Oppdatert for 5 minutter
# siden», «i dag kl. 14.30», «16. mars») names no date: not read; nor «Hentet» or «Generert».
_READ_LABELS = (
    rf"(?:(?P<pub>{stamp_label(PUBLISHED_WORDINGS)})|(?P<upd>{stamp_label(UPDATED_WORDINGS_9)}))"
)
_BEFORE_DATE = rf"(?:{_CLOCK}\s*+,?+\s*+)?(?i:(?:on|den)\s++)?+(?:{_WEEKDAY}\.?+,?+\s++)?+"
_LABELLED_RE = re.compile(
    rf"(?<![\w]){_READ_LABELS}{LABEL_GAP}{_BEFORE_DATE}(?P<date>{DATE_PATTERN}){_PAGE_TIME}"
)
_THEN_RE = re.compile(
    rf"\s*+[,;]\s*+{LOWER_LABEL}{LABEL_GAP}{_BEFORE_DATE}"
    + re.sub(r"\(\?P<(\w+)>", r"(?P<\g<1>2>", f"(?P<date>{DATE_PATTERN})")
)
# The first words of the labels read (not «Hentet», «Generert»): each letter searched costs a
# step for every one of its capitals in the page.
_READ_WORDS = frozenset(w.split(" ")[0] for w in (*UPDATED_WORDINGS_9, *PUBLISHED_WORDINGS))
_READ_INITIALS = words_by_initial(
    LABEL_WORDS | _READ_WORDS | frozenset(word.upper() for word in LABEL_WORDS | _READ_WORDS)
)


_PDF_DATE_RE = re.compile(r"^(?:D:)?(\d{4})(\d{2})?(\d{2})?")


def _safe_date(year: int, month: int, day: int) -> date | None:
    """Build a date, or None when the numbers are not a real calendar date."""
    if year < 100:
        year += 2000
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _to_date(match: re.Match[str]) -> date | None:
    """Turn one DATE_PATTERN match into a date."""
    g = match.groupdict()
    if g["iy"]:
        return _safe_date(int(g["iy"]), int(g["im"]), int(g["id"]))
    if g["nd"]:
        return _safe_date(int(g["ny"]), int(g["nm"]), int(g["nd"]))
    if g["td"]:
        return _safe_date(int(g["ty"]), MONTHS[g["tm"].lower()], int(g["td"]))
    if g["em"]:
        return _safe_date(int(g["ey"]), MONTHS[g["em"].lower()], int(g["ed"]))
    return None


def parse_date(text: str | None) -> date | None:
    """Return the first date written in text, or None."""
    if not text:
        return None
    for match in DATE_RE.finditer(text):
        found = _to_date(match)
        if found is not None:
            return found
    return None


def _labelled(text: str) -> Iterator[tuple[bool, str]]:
    """Yield whether each labelled date is a publication's, and the date as written: what
    _LABELLED_RE.finditer would find, tried only where a label word starts, each followed by
    the labels in lower case after it (_THEN_RE)."""
    end = 0
    for at in _label_starts(text, _READ_INITIALS):
        if at < end:
            continue  # inside the previous match, as finditer would skip it
        match = _LABELLED_RE.match(text, at)
        if match is not None:
            yield match.group("pub") is not None, match.group("date")
            end = match.end()
            while (then := _THEN_RE.match(text, end)) is not None:
                yield then.group("pub2") is not None, then.group("date2")
                end = then.end()


def find_labelled_dates(text: str) -> tuple[date | None, date | None]:
    """Return the (published, updated) dates that follow «Publisert»/«Oppdatert»-style labels."""
    published: date | None = None
    updated: date | None = None
    for is_published, written in _labelled(text):
        found = parse_date(written)
        if found is None:
            continue
        if is_published and published is None:
            published = found
        elif not is_published and updated is None:
            updated = found
    return published, updated


def date_from_struct(value: time.struct_time | None) -> date | None:
    """Convert a feedparser *_parsed struct_time to a date."""
    if value is None:
        return None
    return _safe_date(value.tm_year, value.tm_mon, value.tm_mday)


def parse_pdf_date(value: object) -> date | None:
    """Parse a PDF date string such as «D:20220818093000+02'00'»."""
    if not isinstance(value, str):
        return None
    match = _PDF_DATE_RE.match(value.strip())
    if match is None:
        return None
    return _safe_date(int(match.group(1)), int(match.group(2) or 1), int(match.group(3) or 1))
