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

from pypdf import PasswordType, PdfReader

from services.watcher.domain.dates import parse_pdf_date
from services.watcher.domain.ignore import IgnorePatterns
from services.watcher.domain.model import Content, ContentError, require_text
from services.watcher.domain.normalise import clean_blocks, normalise_text

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


def extract_pdf(body: bytes, *, ignore: IgnorePatterns | None) -> Content:
    """Extract the comparable text of a PDF report."""
    if b"%PDF-" not in body[:1024]:
        raise ContentError("pdf: not a PDF (no %PDF- header)")
    try:
        reader = PdfReader(io.BytesIO(body), strict=False)
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise ContentError("pdf: encrypted, needs a password")
        pages = [page.extract_text() or "" for page in reader.pages]
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
    blocks, headings = clean_blocks(_paragraphs(lines), ignore)
    require_text(blocks, "pdf")
    title = normalise_text(meta_title)
    if not title:
        title = next((blocks[i] for i in sorted(headings)), blocks[0])[:200]
    return Content(title=title, blocks=blocks, headings=headings, published=None, updated=updated)


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
