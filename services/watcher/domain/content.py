"""The watcher's content interface: parse a fetched body, compare two snapshots.

Pure functions only: no I/O, no clock, no global state. ``parse_content`` raises
``ContentError`` for anything that is not usable content, so that an empty body,
an error page or a broken file can never be mistaken for a change.
"""

from __future__ import annotations

import regex

from services.watcher.domain.extract_feed import extract_feed
from services.watcher.domain.extract_html import extract_page
from services.watcher.domain.extract_pdf import extract_pdf
from services.watcher.domain.files import refuse_files, refuse_json
from services.watcher.domain.ignore import IgnorePatterns
from services.watcher.domain.model import (
    EXTRACTION,
    ChangeSummary,
    Content,
    ContentError,
    FeedEntry,
    SourceKind,
)
from services.watcher.domain.summary import compare, unified_diff

__all__ = [
    "EXTRACTION",
    "ChangeSummary",
    "Content",
    "ContentError",
    "FeedEntry",
    "SourceKind",
    "compare",
    "parse_content",
    "unified_diff",
]

# Bodies beyond these sizes are refused before parsing; the fetcher should cap them too.
MAX_BODY_BYTES: dict[str, int] = {
    "page": 10 * 1024 * 1024,
    "feed": 10 * 1024 * 1024,
    "pdf": 100 * 1024 * 1024,
}


def parse_content(
    kind: SourceKind,
    body: bytes,
    *,
    content_type: str | None = None,
    selector: str | None = None,
    ignore: tuple[str, ...] = (),
    extraction: int = EXTRACTION,
    redirected: bool = False,
) -> Content:
    """Turn a fetched body into comparable content, or raise ContentError.

    ``extraction`` picks the version of the rules (model.EXTRACTION): pages' and, since
    FEED_STRAY_BYTES, feeds'; since PRINT_STAMPS, PDFs' too. ``redirected``: the address
    led to a page on another path, which may be a sign-in page (walls.py).
    """
    if not body or not body.strip():
        raise ContentError(f"{kind}: empty body")
    limit = MAX_BODY_BYTES.get(kind)
    if limit is None:
        raise ContentError(f"unknown source kind {kind!r}")
    if len(body) > limit:
        raise ContentError(
            f"{kind}: body of {len(body)} bytes exceeds the {limit} byte limit", "too_large"
        )
    try:
        # None for a source without patterns (most): its blocks are not even asked about them.
        patterns = IgnorePatterns(ignore, kind) if ignore else None
    except regex.error as exc:
        raise ContentError(f"{kind}: invalid ignore pattern ({exc})", "bad_ignore") from exc

    if kind != "pdf":
        refuse_files(kind, body, content_type)
    if kind == "page":
        refuse_json(kind, body, content_type)
        return extract_page(
            body,
            content_type=content_type,
            selector=selector,
            ignore=patterns,
            extraction=extraction,
            redirected=redirected,
        )
    if kind == "feed":
        return extract_feed(body, content_type=content_type, ignore=patterns, extraction=extraction)
    return extract_pdf(body, ignore=patterns, extraction=extraction)
