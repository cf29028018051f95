"""Compressed bodies over real loopback HTTP: a gzip or deflate stream cut off on its way is a
failed poll, never half the page read as the page; the other ways a compression is named or
ended read as the page they hold."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable

import pytest

from services.watcher.domain.failures import Failure, failure_reason
from services.watcher.handlers import poll
from tests.integration.watcher.conftest import Harness
from tests.integration.watcher.pages import NEW_PARAGRAPH, page
from tests.integration.watcher.server import Route, ScriptedSite

# A page long enough that half its compressed stream holds whole paragraphs of it.
LONG = page(
    NEW_PARAGRAPH
    + "".join(
        f"<p>Avsnitt {n} om bær i skog og mark, og om hvor de vokser.</p>" for n in range(300)
    )
).encode()


def _deflate(body: bytes) -> bytes:
    return zlib.compress(body)


@pytest.mark.parametrize(
    ("coding", "compress"),
    [("gzip", gzip.compress), ("deflate", _deflate)],
    ids=["gzip", "deflate"],
)
@pytest.mark.parametrize("chunked", [False, True], ids=["by-length", "chunked"])
async def test_a_compressed_page_cut_off_on_its_way_alerts_nobody_and_says_so(
    site: ScriptedSite,
    harness: Harness,
    coding: str,
    compress: Callable[[bytes], bytes],
    chunked: bool,
) -> None:
    site.set("/p", Route(compress(LONG), encoding=coding, chunked=chunked))
    source = await harness.add_source(site.url("/p"))
    assert await poll(harness.deps, source) == "baseline"

    # A stored copy of a broken transfer, sent whole: its length (or its chunks) is what it
    # holds. The gzip stream was read as the first half of the page, and every follower was
    # told that the rest had been removed.
    whole = compress(LONG)
    site.set("/p", Route(whole[: len(whole) // 2], encoding=coding, chunked=chunked))
    assert await poll(harness.deps, source) == "failed"

    row = await harness.source(source)
    assert row.last_error == (
        f"broken body from {site.url('/p')}: its {coding} stream stops before its end"
        " (cut off on the way; what came was not read)"
    )
    reason = failure_reason(row.last_error)
    assert reason is not None and reason.failure is Failure.BROKEN_BODY
    assert len(await harness.snapshots(source)) == 1

    site.set("/p", Route(whole, encoding=coding, chunked=chunked))
    assert await poll(harness.deps, source) == "unchanged"
    assert await harness.events() == []


@pytest.mark.parametrize(
    ("coding", "body"),
    [
        ("x-gzip", gzip.compress(LONG)),  # gzip's old name (RFC 9110), as Apache names .gz files
        ("gzip", gzip.compress(LONG[:5000]) + gzip.compress(LONG[5000:])),  # two members
        ("gzip", gzip.compress(LONG) + b"\r\n"),  # a stray line end after the stream
        ("deflate", zlib.compress(LONG)[2:-4]),  # raw deflate, without zlib's header
        ("identity", LONG),
    ],
    ids=["x-gzip", "two-members", "trailing-bytes", "raw-deflate", "identity"],
)
async def test_a_compressed_page_however_its_stream_is_written_is_read_whole(
    site: ScriptedSite, harness: Harness, coding: str, body: bytes
) -> None:
    site.set("/p", Route(body, encoding=coding))
    source = await harness.add_source(site.url("/p"))
    assert await poll(harness.deps, source) == "baseline"

    site.set("/p", Route(gzip.compress(LONG), encoding="gzip"))  # the same page, compressed
    assert await poll(harness.deps, source) == "unchanged"
    assert await harness.events() == []


async def test_a_body_of_more_gzip_members_than_any_server_writes_is_refused(
    site: ScriptedSite, harness: Harness
) -> None:
    # Each member a small bomb: joined one by one, their text cost time by the square.
    body = b"".join(gzip.compress(b" " * 400) for _ in range(2000))  # within the cap
    site.set("/p", Route(body, encoding="gzip"))
    source = await harness.add_source(site.url("/p"))

    assert await poll(harness.deps, source) == "failed"
    row = await harness.source(source)
    assert row.last_error == (
        f"{site.url('/p')} sends a body marked Content-Encoding: gzip that is not gzip"
    )
