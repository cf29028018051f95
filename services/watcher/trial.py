"""Trying a source before it is saved: one fetch and extraction, exactly as a poll does them.

An editor sees what varsel would see (title, dates, text, a feed's items, a PDF's text) with
the selector and ignore patterns applied, and fixes a selector before subscribers are affected.
The fetch is the watcher's own, with its address guard, caps and redirects, so a trial can
reach nothing a poll could not.
"""

from __future__ import annotations

import asyncio
from typing import Final
from urllib.parse import urlsplit

from services.watcher.adapters.fetch_errors import FetchError
from services.watcher.adapters.fetcher import HttpFetcher
from services.watcher.domain.content import parse_content
from services.watcher.domain.front_pages import (
    another_site_reason,
    front_page_reason,
    leads_to_another_site,
    leads_to_front_page,
    led_elsewhere,
)
from services.watcher.domain.model import ContentError
from services.watcher.domain.trial_result import SourceTrial, TrialRefused
from shared.settings import Settings
from shared.vocabulary import SourceKind

# Longer URLs are refused before any fetch; no watched page has one this long.
MAX_URL: Final = 2000
# Ignore patterns an editor may try at once; each is a regular expression on one line.
MAX_IGNORE: Final = 50


def check_trial(url: str, kind: str, ignore: tuple[str, ...]) -> SourceKind:
    """Refuse a URL, kind or list of ignore patterns that cannot be tried (raises TrialRefused)."""
    parts = urlsplit(url)
    if len(url) > MAX_URL or parts.scheme not in {"http", "https"} or not parts.hostname:
        raise TrialRefused("bad_url", f"not an http or https URL: {url[:200]!r}")
    if kind not in {k.value for k in SourceKind}:
        raise TrialRefused("bad_kind", f"unknown kind {kind[:50]!r}")
    if len(ignore) > MAX_IGNORE:
        raise TrialRefused("bad_ignore", f"more than {MAX_IGNORE} ignore patterns")
    return SourceKind(kind)


async def try_source(
    settings: Settings,
    url: str,
    kind: str,
    *,
    selector: str | None = None,
    ignore: tuple[str, ...] = (),
) -> SourceTrial:
    """Fetch and extract a source once, as a poll would; raise TrialRefused if nothing shows."""
    source_kind = check_trial(url, kind, ignore)
    fetcher = HttpFetcher(
        timeout=settings.fetch_timeout_seconds,
        max_bytes=settings.fetch_max_bytes,
        max_redirects=settings.fetch_max_redirects,
        per_host=1,
        allow_private=settings.allow_private_addresses,
        user_agent=settings.resolved_user_agent,
    )
    try:
        fetched = await fetcher.fetch(url, etag=None, last_modified=None)
    except FetchError as exc:
        raise TrialRefused(exc.reason, str(exc)) from exc
    finally:
        await fetcher.aclose()
    if leads_to_front_page(url, fetched.url):  # refused as a poll refuses it
        raise TrialRefused("http_status", front_page_reason(url, fetched.url))
    if leads_to_another_site(url, fetched.url):
        raise TrialRefused("another_site", another_site_reason(url, fetched.url))
    try:
        # In a thread, as a poll parses in its worker: a large PDF must not stall the admin.
        content = await asyncio.to_thread(
            parse_content,
            source_kind.value,
            fetched.body,
            content_type=fetched.content_type,
            selector=selector or None,
            ignore=ignore,
            # A sign-in page the address led to is told as a poll tells it (walls.py).
            redirected=led_elsewhere(url, fetched.url),
        )
    except ContentError as exc:
        raise TrialRefused(exc.reason, str(exc)) from exc
    except Exception as exc:  # a parser's own failure, which a poll reports the same way
        said = f"unexpected error: {type(exc).__name__} reading the body"
        raise TrialRefused("unreadable", said) from exc
    return SourceTrial(
        url=fetched.url,
        title=content.title,
        published=content.published,
        updated=content.updated,
        blocks=content.blocks,
        entries=content.entries,
    )
