"""Why a poll failed, read back from the reason the watcher stored, so a page can word it.

The watcher words each failure once, in English, for operators: the log, their mails and the
``last_error`` column all carry that sentence (fetch_errors.FetchError, model.ContentError). An
editor reads the admin in bokmål, nynorsk or English, so the admin needs the kind of failure
and the values it names, not the sentence. Those are read back from the stored sentence here,
form by form, rather than stored beside it: rows written before keep working without a
migration, and a reason no form knows (an older wording, an odd library message) is still
shown as it was stored. tests/unit/watcher/test_failures.py holds a sentence of each form as
the watcher makes it.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from shared.vocabulary import SourceKind


class Failure(StrEnum):
    """A kind of failed poll, as an editor's page words it."""

    HTTP_STATUS = "http_status"
    UNASKED_NOT_MODIFIED = "unasked_not_modified"
    TIMED_OUT = "timed_out"
    NO_LOCATION = "no_location"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    TOO_LARGE = "too_large"
    REFUSED = "refused"
    CANNOT_RESOLVE = "cannot_resolve"
    UNREACHABLE = "unreachable"
    CLOSED_EARLY = "closed_early"
    BAD_ENCODING = "bad_encoding"
    UNASKED_COMPRESSION = "unasked_compression"
    BROKEN_BODY = "broken_body"
    INVALID_ANSWER = "invalid_answer"
    BAD_URL = "bad_url"
    FRONT_PAGE = "front_page"
    ANOTHER_SITE = "another_site"
    UNEXPECTED = "unexpected"
    EMPTY_BODY = "empty_body"
    BAD_IGNORE = "bad_ignore"
    ERROR_PAGE = "error_page"
    ERROR_TEXT = "error_text"
    SIGN_IN = "sign_in"
    MAINTENANCE = "maintenance"
    ROBOT_CHECK = "robot_check"
    FIREWALL = "firewall"
    QUEUE = "queue"
    PDF_NOT_PAGE = "pdf_not_page"
    FILE = "file"
    BINARY = "binary"
    JSON = "json"
    NOT_PDF = "not_pdf"
    PDF_ENCRYPTED = "pdf_encrypted"
    PDF_UNREADABLE = "pdf_unreadable"
    FEED_ENTITIES = "feed_entities"
    FEED_MALFORMED = "feed_malformed"
    FEED_JSON_TOO_DEEP = "feed_json_too_deep"
    FEED_ENTRY_TOO_DEEP = "feed_entry_too_deep"
    FEED_TITLE_TOO_DEEP = "feed_title_too_deep"
    FEED_EMPTY = "feed_empty"
    FEED_CUT_SHORT = "feed_cut_short"
    PAGE_CUT_SHORT = "page_cut_short"
    FEED_IS_PAGE = "feed_is_page"
    FEED_IS_PAGE_NAMING_FEED = "feed_is_page_naming_feed"
    NO_TEXT = "no_text"
    PDF_NO_TEXT = "pdf_no_text"
    PAGE_TOO_DEEP = "page_too_deep"
    UNPARSEABLE_HTML = "unparseable_html"
    BAD_SELECTOR = "bad_selector"
    SELECTOR_NOTHING = "selector_nothing"


@dataclass(frozen=True, slots=True)
class FailureReason:
    """A failure's kind and the values its sentence names (a status, a heading, a selector)."""

    failure: Failure
    values: dict[str, str] = field(default_factory=dict)


# What handlers._answer puts before a body's reason (a ContentError's).
CONTENT_PREFIX: Final = "no usable content: "
_KIND = r"(?:page|feed|pdf)"
_QUOTED = r"""(?:'.*'|".*")"""  # a Python repr of a text, as the sentences quote headings
_TOO_DEEP = r"\(its elements nest deeper than varsel reads: unclosed tags\?\)"


def _forms(*forms: tuple[Failure, str]) -> tuple[tuple[Failure, re.Pattern[str]], ...]:
    """Compile a table of sentence forms, each to be matched whole."""
    return tuple((failure, re.compile(pattern, re.DOTALL)) for failure, pattern in forms)


# The fetch's sentences (adapters/fetcher.py, host_turns.py), tried in order: the first that
# matches names it.
_FETCH: Final = _forms(
    (Failure.UNASKED_NOT_MODIFIED, r"HTTP 304 from .+, to a request without If-None-Match.*"),
    (Failure.HTTP_STATUS, r"HTTP (?P<status>\d{3}) from .+"),
    (Failure.TIMED_OUT, r"timed out (?:after \S+s )?fetching .+"),
    (Failure.NO_LOCATION, r"redirect without a Location from .+"),
    (Failure.TOO_MANY_REDIRECTS, r"more than (?P<count>\d+) redirects from .+"),
    (Failure.TOO_LARGE, r"body (?:of \d+ bytes )?is over the (?P<limit>\d+)-byte cap"),
    (
        Failure.REFUSED,
        r"(?:refused \S+: )?it resolves to a private, loopback or link-local address.*",
    ),
    (Failure.BAD_URL, r"invalid URL .+|refused .+: only http and https URLs are fetched"),
    (Failure.CANNOT_RESOLVE, r"cannot resolve (?P<host>[^\s:]+): .*"),
    (Failure.UNREACHABLE, r"cannot fetch .+"),
    (Failure.CLOSED_EARLY, r"\S+ closed the connection before answering in full"),
    (
        Failure.BAD_ENCODING,
        r"\S+ sends a body marked Content-Encoding: (?P<coding>\w+) that is not \w+",
    ),
    (
        Failure.UNASKED_COMPRESSION,
        r"\S+ sends a body compressed as (?P<coding>\w+), which varsel does not ask for",
    ),
    (Failure.BROKEN_BODY, r"broken body from .+"),
    (Failure.INVALID_ANSWER, r"invalid HTTP answer from .+"),
    (Failure.UNEXPECTED, r"unexpected error: .+"),
    # Not the fetch's own words, but the redirects it followed (domain/front_pages.py).
    (Failure.FRONT_PAGE, r"\S+ now leads to the front page of its site \((?P<reached>\S+)\): .+"),
    (Failure.ANOTHER_SITE, r"\S+ now leads to another site \((?P<reached>\S+)\): .+"),
)

# A body's sentences (model.ContentError's, after CONTENT_PREFIX).
_CONTENT: Final = _forms(
    (Failure.EMPTY_BODY, rf"{_KIND}: empty body"),
    (Failure.TOO_LARGE, rf"{_KIND}: body of \d+ bytes exceeds the (?P<limit>\d+) byte limit"),
    (Failure.BAD_IGNORE, rf"{_KIND}: invalid ignore pattern \(.*\)"),
    (Failure.ERROR_PAGE, rf"page looks like an error page: (?P<said>{_QUOTED})"),
    (
        Failure.ERROR_TEXT,
        rf"page shows an error message in place of its content: (?P<said>{_QUOTED})",
    ),
    (Failure.SIGN_IN, rf"page is a sign-in page, not the content \(.*?\): (?P<said>{_QUOTED})"),
    (Failure.MAINTENANCE, rf"page looks like a maintenance notice: (?P<said>{_QUOTED})"),
    (Failure.ROBOT_CHECK, rf"page checks that the reader is no robot: (?P<said>{_QUOTED})"),
    (Failure.FIREWALL, rf"page is a firewall's rejection, not the content: (?P<said>{_QUOTED})"),
    (
        Failure.QUEUE,
        rf"page is a queue in front of the site, not the content: (?P<said>{_QUOTED})",
    ),
    (
        Failure.PDF_NOT_PAGE,
        rf"{_KIND}: the address answers a PDF file; make the source a PDF, not a web {_KIND}",
    ),
    (
        Failure.BINARY,
        rf"{_KIND}: the address answers binary data, not text \((?P<share>\d+)% .*\)",
    ),
    (Failure.JSON, rf"{_KIND}: the address answers JSON data, not a web {_KIND}"),
    # Before FILE, whose form this one fits too (domain/feed_pages.py).
    (Failure.FEED_IS_PAGE, r"feed: the address answers a web page, not a web feed"),
    (
        Failure.FEED_IS_PAGE_NAMING_FEED,
        r"feed: the address answers a web page, not a web feed; the page names a feed at"
        r" (?P<feed>\S+)",
    ),
    (Failure.FILE, rf"{_KIND}: the address answers an? .+, not a web {_KIND}"),
    (Failure.NOT_PDF, r"pdf: not a PDF \(no %PDF- header\)"),
    (Failure.PDF_ENCRYPTED, r"pdf: encrypted, needs a password"),
    (Failure.PDF_UNREADABLE, r"pdf: unreadable PDF \(.*\)"),
    (Failure.FEED_ENTITIES, r"feed: refused, the XML declares entities .*"),
    # Before FEED_MALFORMED, whose form this one fits too (domain/json_feed.py).
    (
        Failure.FEED_JSON_TOO_DEEP,
        r"feed: malformed feed with no entries \((?:the JSON Feed|its JSON) nests deeper than"
        r" varsel reads\)",
    ),
    (Failure.FEED_MALFORMED, r"feed: malformed feed with no entries \(.*\)"),
    # An item or the title nested too deep (extract_feed.nested_too_deep).
    (
        Failure.FEED_ENTRY_TOO_DEEP,
        rf"feed: unparseable HTML in its entry number (?P<number>\d+) {_TOO_DEEP}",
    ),
    (Failure.FEED_TITLE_TOO_DEEP, rf"feed: unparseable HTML in its title {_TOO_DEEP}"),
    (
        Failure.FEED_CUT_SHORT,
        r"feed: the feed stops before its closing </(?P<root>[^>\s]+)> \(.*\); it is read as it"
        r" is if the next poll finds it so too",
    ),
    (
        Failure.PAGE_CUT_SHORT,
        r"page: the page stops before its closing </html>, and its text is the stored text cut"
        r" short \(.*\); it is read as it is once (?P<polls>\d+) polls in a row found it so",
    ),
    (Failure.FEED_EMPTY, r"feed: no entries(?: with a title or text)?"),
    # Before NO_TEXT: a PDF has no selector to check; it is likely scanned pages.
    (Failure.PDF_NO_TEXT, r"pdf: no extractable text \((?P<chars>\d+) characters .*\)"),
    (Failure.NO_TEXT, rf"{_KIND}: no extractable text \((?P<chars>\d+) characters .*\)"),
    # Before UNPARSEABLE_HTML, whose form this one fits too (html_parse.TOO_DEEP).
    (Failure.PAGE_TOO_DEEP, rf"page: unparseable HTML {_TOO_DEEP}"),
    (Failure.UNPARSEABLE_HTML, r"page: unparseable HTML \(.*\)"),
    (Failure.BAD_SELECTOR, rf"page: invalid CSS selector (?P<selector>{_QUOTED}) \(.*\)"),
    (Failure.SELECTOR_NOTHING, rf"page: CSS selector (?P<selector>{_QUOTED}) matched nothing"),
)


def cut_note(kind: SourceKind) -> str:
    """Return what a failed transfer after cut readings of a ``kind`` carries before their
    count (cut_count.py)."""
    return f"; before it, the {kind} was cut off on its way ("


# The note of either kind, after a failed transfer's own reason, whose kind is that reason's.
_CUT_NOTE: Final = re.compile(
    "|".join(re.escape(cut_note(kind)) for kind in (SourceKind.PAGE, SourceKind.FEED))
)


def failure_reason(stored: str) -> FailureReason | None:
    """Return the kind and values of a stored failure reason; None for a form not known here."""
    stored = _CUT_NOTE.split(stored, maxsplit=1)[0]
    text, forms = stored, _FETCH
    if stored.startswith(CONTENT_PREFIX):
        text, forms = stored.removeprefix(CONTENT_PREFIX), _CONTENT
    for failure, pattern in forms:
        if (match := pattern.fullmatch(text)) is not None:
            values = _values(match.groupdict())
            return None if values is None else FailureReason(failure, values)
    return None


def _values(found: dict[str, str]) -> dict[str, str] | None:
    """Return the values as the sentence named them, a quoted text unquoted; None if one is cut."""
    values: dict[str, str] = {}
    for name, value in found.items():
        if value[:1] in {"'", '"'}:
            try:
                value = ast.literal_eval(value)  # a repr's quotes and escapes; never code
            except (ValueError, SyntaxError):
                return None  # cut off by the column's length, or not one repr: shown as stored
            if not isinstance(value, str):
                return None
        values[name] = value
    return values
