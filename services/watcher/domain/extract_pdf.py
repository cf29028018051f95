"""Extract the text of a published PDF report with pypdf.

The extracted text is compared, never the bytes: a regenerated file with a new
/CreationDate, /ID or object order is the same report. Running headers and footers
(lines repeated at the top or bottom of most pages) and page numbers are dropped,
and page-broken lines are joined back into paragraphs.
"""

from __future__ import annotations

import io
import math
import re
from collections import Counter
from time import thread_time

from pypdf import PasswordType, PdfReader

from services.watcher.domain.dates import parse_pdf_date
from services.watcher.domain.ignore import IgnorePatterns
from services.watcher.domain.model import (
    EXTRACTION,
    Content,
    ContentError,
    OverBudget,
    require_text,
)
from services.watcher.domain.normalise import clean_blocks, normalise_text
from services.watcher.domain.stamps import pdf_stamps

_PAGE_NUMBER_RE = re.compile(
    r"(?:(?:side|page|s\.)\s*)?[-–]?\s*\d{1,4}\s*[-–]?(?:\s*(?:av|of|/)\s*\d{1,4})?",
    re.IGNORECASE,
)
_DIGITS_RE = re.compile(r"\d+")
# Lines looked at for running headers/footers at each end of a page.
_EDGE_LINES = 2
# A line shorter than this share of a typical full line ends its paragraph; a line ending a
# sentence ends it when shorter than the second share (justified lines vary in characters).
_FULL_LINE_SHARE = 0.75
_SENTENCE_END_SHARE = 0.92
_JOINING_WORDS = frozenset({"og", "eller", "samt", "til", "and", "or", "to"})
_TERMINAL = ".!?:;,"
# The CPU time a document's text may take to read (see _page_texts): a few hundred pages of a
# report take a few seconds; well under a poll's two-minute lease.
PDF_BUDGET_SECONDS = 30.0
# Why a poll fails that finds the bytes a poll before gave up reading (handlers._answer).
NOT_READ_AGAIN = (
    f"pdf: unreadable PDF (reading its text took more than {PDF_BUDGET_SECONDS:g} s of CPU"
    " time; the same bytes as then, not read again)"
)
_CHECK_EVERY = 512  # operations between readings of the clock


def extract_pdf(
    body: bytes, *, ignore: IgnorePatterns | None, extraction: int = EXTRACTION
) -> Content:
    """Extract the comparable text of a PDF report (under the rules of ``extraction``: the
    first changed at model.PRINT_STAMPS)."""
    if b"%PDF-" not in body[:1024]:
        raise ContentError("pdf: not a PDF (no %PDF- header)")
    try:
        reader = PdfReader(io.BytesIO(body), strict=False)
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise ContentError("pdf: encrypted, needs a password")
        pages = _page_texts(reader)
        metadata = reader.metadata
        meta_title = str(metadata.get("/Title") or "") if metadata else ""
        updated = (
            parse_pdf_date(metadata.get("/ModDate"))
            or parse_pdf_date(metadata.get("/CreationDate"))
            if metadata
            else None
        )
    except ContentError:
        raise
    # pypdf raises many exception types on damaged input; any of them means "unreadable".
    except Exception as exc:
        raise ContentError(f"pdf: unreadable PDF ({type(exc).__name__}: {exc})") from exc

    lines = _body_lines(pages)
    blocks, headings = clean_blocks(_paragraphs(lines), ignore, stamps=pdf_stamps(extraction))
    require_text(blocks, "pdf")
    title = normalise_text(meta_title)
    if not title:
        title = next((blocks[i] for i in sorted(headings)), blocks[0])[:200]
    return Content(title=title, blocks=blocks, headings=headings, published=None, updated=updated)


class _OverBudget(BaseException):
    """A document's text took longer to read than it may. A BaseException: pypdf carries on
    past an Exception raised while it reads a form XObject, and would read on."""


def _page_texts(reader: PdfReader) -> list[str]:
    """Return each page's text; raise ContentError past PDF_BUDGET_SECONDS of CPU time.

    pypdf reads text in Python, in a time that grows faster than a page's instructions (one
    page of 100,000 lines, in a 27 KB file, took 46 s), on the worker thread that also parses
    feeds and writes SQLite. Such a document held every poll up; and since a poll's lease
    lapses after two minutes, its next claim queued the same parse again behind it. The
    clock is read between pages and every few hundred operations within one, which an
    operand visitor sees; the reading is the same with one or without.
    """
    deadline = thread_time() + PDF_BUDGET_SECONDS
    operations = 0

    def check(*_: object) -> None:
        nonlocal operations
        operations += 1
        if operations % _CHECK_EVERY == 0 and thread_time() > deadline:
            raise _OverBudget

    pages = reader.pages
    texts: list[str] = []
    try:
        for page in pages:
            if thread_time() > deadline:
                raise _OverBudget
            texts.append(page.extract_text(visitor_operand_before=check) or "")
    except _OverBudget:
        raise OverBudget(
            f"pdf: unreadable PDF (reading its text took more than {PDF_BUDGET_SECONDS:g} s"
            f" of CPU time; {len(texts)} of {len(pages)} pages read)"
        ) from None
    return texts


def _shape(line: str) -> str:
    """Return the line with numbers masked, so «Side 3» and «Side 4» look alike."""
    return _DIGITS_RE.sub("#", line)


def _body_lines(pages: list[str]) -> list[tuple[str, bool]]:
    """Return (line, starts_page) for all lines but running headers, footers and page numbers."""
    page_lines = [
        [ln for ln in (normalise_text(x) for x in text.splitlines()) if ln] for text in pages
    ]
    repeated: set[str] = set()
    if len(page_lines) >= 2:
        counts: Counter[str] = Counter()
        for lines in page_lines:
            counts.update({_shape(ln) for ln in lines[:_EDGE_LINES] + lines[-_EDGE_LINES:]})
        threshold = max(2, math.ceil(len(page_lines) / 2))
        repeated = {shape for shape, n in counts.items() if n >= threshold}

    out: list[tuple[str, bool]] = []
    for lines in page_lines:
        last = len(lines) - 1
        starts_page = True
        for index, line in enumerate(lines):
            at_edge = index < _EDGE_LINES or index > last - _EDGE_LINES
            if at_edge and (_shape(line) in repeated or _PAGE_NUMBER_RE.fullmatch(line)):
                continue
            out.append((line, starts_page))
            starts_page = False
    return out


def _paragraphs(lines: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """Join page-broken lines into (paragraph, is_heading) pairs."""
    if not lines:
        return []
    lengths = sorted(len(ln) for ln, _ in lines)
    typical = lengths[int(len(lengths) * 0.8)]  # most body lines are full-width
    full = typical * _FULL_LINE_SHARE
    sentence_end = typical * _SENTENCE_END_SHARE
    out: list[tuple[str, bool]] = []
    current: list[str] = []

    def close() -> None:
        if not current:
            return
        text = current[0]
        for line in current[1:]:
            text = _join(text, line)
        single = len(current) == 1
        is_heading = single and len(text) < full and text[-1] not in _TERMINAL
        out.append((text, is_heading))
        current.clear()

    for line, starts_page in lines:
        if starts_page and current and current[-1][-1] in ".!?:":
            close()  # a finished sentence at the foot of a page ends its paragraph
        current.append(line)
        if len(line) < full or (len(line) < sentence_end and line[-1] in ".!?:"):
            close()  # a short line ends its paragraph (or is a heading)
    close()
    return out


def _join(text: str, line: str) -> str:
    """Join a continuation line, keeping «ikke-smittsomme» but not «helse-og»."""
    last_token = text.rsplit(" ", 1)[-1]
    if last_token.startswith(("http://", "https://")) and not line[:1].isupper():
        return text + line  # a URL broken across lines
    if text.endswith("-") and len(text) > 1 and text[-2].isalpha() and line[:1].islower():
        first_word = line.split(" ", 1)[0]
        if first_word not in _JOINING_WORDS:
            return text + line
    return f"{text} {line}"
