"""Reading a fetched or pushed body into the text the watcher compares: under today's rules,
and under the rules its stored text was read with (docs/decisions/0017); on the event loop
for a small page, on the watcher's worker thread for the rest."""

from __future__ import annotations

import asyncio
import contextvars
from concurrent.futures import Executor
from functools import partial

from services.watcher.domain.content import EXTRACTION, ContentError, parse_content
from services.watcher.domain.model import Content
from services.watcher.domain.outcome import Rules, SourceState
from shared.vocabulary import SourceKind

# A page this small is parsed on the event loop, not on the worker thread. Its parse takes a
# few milliseconds (about 1.7 ms for the 8-40 KB pages of bench/watcher), and the loop and the
# worker holding the GIL in turns cost more than that: every wait for the GIL is a forced
# switch and the wake-ups around it (docs/benchmarks.md, «Watcher»). At this size a page
# holds the loop for at most about ten milliseconds. Feeds (feedparser) and documents
# (pypdf) take longer, so they still go to the worker, as do larger pages.
PARSE_ON_LOOP_BYTES = 128 * 1024


def fits_the_loop(kind: str, size: int) -> bool:
    """Whether a body of ``size`` bytes is parsed on the event loop: a page's of at most
    PARSE_ON_LOOP_BYTES."""
    return kind == SourceKind.PAGE and size <= PARSE_ON_LOOP_BYTES


async def parse_body(
    worker: Executor,
    source: SourceState,
    body: bytes,
    content_type: str | None,
    *,
    rules: Rules | None = None,
    extraction: int = EXTRACTION,
    redirected: bool = False,
) -> Content:
    """Parse a body under the source's rules (or ``rules``); raise ContentError.

    A page of at most PARSE_ON_LOOP_BYTES is parsed where it arrived, on the event loop;
    feeds, documents and larger pages on ``worker``.
    """
    rules = source.rules if rules is None else rules
    parse = partial(
        parse_content,
        rules.kind,  # type: ignore[arg-type]
        body,
        content_type=content_type,
        selector=rules.selector,
        ignore=rules.ignore,
        extraction=extraction,
        redirected=redirected,
    )
    if fits_the_loop(rules.kind, len(body)):
        return parse()
    # Parsed before the transaction opens, so no row lock waits on the parser.
    return await asyncio.get_running_loop().run_in_executor(
        worker,
        partial(contextvars.copy_context().run, parse),  # as asyncio.to_thread does: log context
    )


async def read_as_before(
    worker: Executor,
    source: SourceState,
    body: bytes,
    content_type: str | None,
    today: Content,
    *,
    redirected: bool = False,
) -> Content | None:
    """Return the body read under the older rules the source was last stored under, if they
    read it otherwise than today's (docs/decisions/0017): an upgrade alone alerts nobody.

    Otherwise in its dates too, which no fingerprint holds: a feed's days decide whether a
    text told before is published again, or a push is older than what is stored.

    Where an editor changed the source's rules since, the reading under the rules of its stored
    text, ``today`` itself if they read it alike; None if they cannot read it (another kind of
    source, or the old selector finds nothing): then today's reading is stored unjudged.
    """
    read = source.read_before(EXTRACTION)
    if read is None:
        return None
    rules, version = read
    changed = source.rules_before is not None
    if rules.kind != source.rules.kind:
        return None  # read as another kind of source: nothing to judge today's by
    try:
        before = await parse_body(
            worker,
            source,
            body,
            content_type,
            rules=rules,
            extraction=version,
            redirected=redirected,
        )
    except ContentError:
        # Unreadable under the old rules: judged under today's after an upgrade, unjudged
        # after an editor's change (today's reading would tell the change of rules as news).
        return None
    if before == today:
        return today if changed else None
    return before
