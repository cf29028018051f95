"""Value types shared by the extractors and the comparison."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

SourceKind = Literal["page", "feed", "pdf"]

# Separators that cannot occur in normalised text (whitespace is collapsed to spaces).
_FIELD_SEP = "\x1f"
_RECORD_SEP = "\x1e"

# Fewer normalised characters than this is an empty page, not content.
MIN_TEXT_CHARS = 40

# The version of the rules pages are extracted by, stored with each source's fingerprint: a
# source last read under older rules is compared under those once more, so that an upgrade
# alerts nobody (docs/decisions/0017). Sources stored before versions were kept read as 1.
EXTRACTION = 12
SKIP_LINK_TARGETS = 2  # from this version on, a page's skip link names its main content
# From this version on, a page is decoded as browsers decode it: a Latin-1 or ASCII label
# means windows-1252, and a UTF-8 page's stray bytes are read as windows-1252, not the whole
# page as windows-1252 (charsets.decode_page).
BROWSER_DECODING = 3
# From this version on, a date label alone in its block or table cell is joined to the date in
# the next one, so that the two are stripped as one phrase (normalise.dates_beside_labels).
DATES_BESIDE_LABELS = 4
# From this version on, a page's stamps are also read in the nynorsk «Sist endra», with a
# weekday or «on» before the date, and as a clock time alone (dates.PAGE_DATE_PHRASE_RE).
PAGE_STAMPS = 5
# From this version on, a feed (the first rules of feeds to change) that declares UTF-8 and
# holds stray windows-1252 bytes among its UTF-8 is read with those bytes as windows-1252
# (extract_feed._repaired), as pages are since BROWSER_DECODING.
FEED_STRAY_BYTES = 6
# From this version on, a page's stamp is also read with its label in capitals («SIST
# OPPDATERT»), with «dato»/«date» after the label, in «Sist fagleg oppdatert», and as a
# relative time beside a label or alone in its block («for 5 minutter siden», «i går»)
# (stamps.STAMPS_7).
STAMP_WORDINGS = 7
# From this version on, a feed entry's stamps are read as a page's are (stamps.STAMPS_7, and a
# label alone in its block joined to the date in the next): before, only the first forms.
FEED_STAMPS = 7
# From this version on, a page whose elements nest more than 255 deep is read whole (libxml2's
# huge_tree), where the rest of it was silently lost at that depth; a page nested deeper than
# can be read is refused (html_parse.parse_page).
DEEP_PAGES = 8
# From this version on, a page's and a feed entry's stamps are also read in more wordings
# («Denne siden ble sist oppdatert», «Siden er sist oppdatert», «Page last updated», «Sist
# gjennomgått», «Revidert», «Hentet», «Generert»), with a time before the date, a clock time
# without «kl.», a date without its year, and a label in lower case after a stamp and a comma
# («Publisert …, oppdatert …») (stamps.STAMPS_9).
MORE_STAMPS = 9
# From this version on, a page whose <meta> names UTF-16 (and which starts with no byte order
# mark) is read as UTF-8, as the HTML standard's prescan and browsers read it
# (charsets.decode_page); and a feed item's date is the day its publisher wrote, or Oslo's
# day for a time written in UTC (feed_dates.publishers_date), where it was UTC's day.
META_UTF16_AS_UTF8 = 10
PUBLISHERS_DATES = 10
# From this version on, a feed date's zone is read where a comment follows it too («Wed, 04 Nov
# 2026 00:30:00 +0100 (CET)», RFC 5322), where the day fell back to UTC's
# (feed_dates.publishers_date).
ZONE_COMMENTS = 11
# From this version on, a feed entry whose markup nests more than 255 deep is read whole, as
# pages are since DEEP_PAGES, where its text was silently read as empty; a feed with an entry
# nested deeper than can be read is refused (html_text.html_fragment_blocks).
DEEP_FEED_ENTRIES = 12
# From this version on, a block that is a print stamp or a visitor count alone («Utskrift:
# 06.12.2026 11:03», «Denne siden er vist 1235 ganger») is no part of a page's, a feed entry's
# or a PDF's text (print_stamps.is_stamp_block): PDFs' first version of their own.
PRINT_STAMPS = 12

# Entries of one feed document that share a guid are keyed by the guid, this separator and
# their link, or a digest of their title and text where the link is shared too
# (extract_feed); every other entry by its guid alone, as before.
SHARED_GUID_SEP = "\x1d"


class ContentError(Exception):
    """The body could not be turned into content; never a change.

    str(e) is an operator-readable reason; ``reason`` sorts it for an editor's page:
    ``bad_selector``, ``selector_nothing``, ``bad_ignore``, ``too_large`` or ``unreadable``.
    """

    def __init__(self, message: str, reason: str = "unreadable") -> None:
        super().__init__(message)
        self.reason = reason


class OverBudget(ContentError):
    """The body took longer to read than it may (a PDF past extract_pdf.PDF_BUDGET_SECONDS).

    The same bytes would take as long again: the poll remembers them (outcome.unread_mark) and
    does not read them again, where any other failure is tried afresh at the next poll.
    """


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One feed item, normalised for comparison."""

    key: str
    title: str
    link: str
    text: str
    published: date | None

    @property
    def signature(self) -> str:
        """Return what is compared for this entry (dates and links excluded)."""
        return _FIELD_SEP.join((self.key, self.title, self.text))


@dataclass(frozen=True, slots=True)
class Content:
    """The comparable content of one fetched body."""

    title: str
    blocks: tuple[str, ...]
    headings: frozenset[int]
    published: date | None
    updated: date | None
    entries: tuple[FeedEntry, ...] = ()
    # The fingerprint, once asked for: a poll that stores a change reads it in the decision and
    # again in the comparison, and each reading hashed all the text.
    _fingerprint: str | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def fingerprint(self) -> str:
        """Return the sha256 hex of the compared content; dates are excluded."""
        found = self._fingerprint
        if found is None:
            if self.entries:
                # Keyed and sorted, so a reordered feed has the same fingerprint.
                payload = _RECORD_SEP.join(sorted(e.signature for e in self.entries))
            else:
                payload = _RECORD_SEP.join(self.blocks)
            found = hashlib.sha256(payload.encode("utf-8")).hexdigest()
            # Frozen, so set as __init__ sets it: what it is computed from cannot change.
            object.__setattr__(self, "_fingerprint", found)
        return found


@dataclass(frozen=True, slots=True)
class ChangeSummary:
    """What differs between two snapshots of one source."""

    changed: bool
    summary: str
    added: tuple[str, ...]
    removed: tuple[str, ...]
    # Feeds: what subscribers are told of each new or updated entry, by entry key.
    notes: Mapping[str, str] = field(default_factory=dict)


def require_text(blocks: tuple[str, ...], what: str) -> None:
    """Raise ContentError when the blocks hold (almost) no text."""
    chars = sum(len(b) for b in blocks)
    if chars < MIN_TEXT_CHARS:
        raise ContentError(f"{what}: no extractable text ({chars} characters after extraction)")
