"""Polling over real loopback HTTP: the answer's body. Timeouts (a slow answer, one that
trickles in), the size cap (by Content-Length, an endless chunked body, a gzip bomb), a
compressed page read, and bodies whose length or encoding is misnamed."""

from __future__ import annotations

import tracemalloc

import pytest

from services.watcher.handlers import poll
from tests.integration.watcher.conftest import Harness, HarnessFactory
from tests.integration.watcher.pages import page
from tests.integration.watcher.server import Route, ScriptedSite


async def test_a_body_longer_than_its_content_length_is_a_failure_said_in_one_line(
    site: ScriptedSite, harness: Harness
) -> None:
    body = page().encode()
    site.set("/p", Route(body, content_length=len(body) // 2))
    source = await harness.add_source(site.url("/p"))

    assert await poll(harness.deps, source) == "failed"

    # Said in words, not the rest of the page, escaped (aiohttp's way).
    row = await harness.source(source)
    assert row.last_error == (
        f"invalid HTTP answer from {site.url('/p')}: bytes past the end its headers announced"
    )
    assert await harness.snapshots(source) == []


async def test_a_slow_response_times_out(site: ScriptedSite, make_harness: HarnessFactory) -> None:
    harness = make_harness(timeout=0.3)
    site.set("/slow", Route(page().encode(), delay=2.0))
    source = await harness.add_source(site.url("/slow"))

    assert await poll(harness.deps, source) == "failed"
    row = await harness.source(source)
    assert row.last_error is not None
    assert "timed out" in row.last_error
    assert await harness.snapshots(source) == []


async def test_an_answer_that_trickles_in_is_cut_at_the_deadline_and_stores_nothing(
    site: ScriptedSite, make_harness: HarnessFactory
) -> None:
    # Every piece comes well within the timeout; the whole answer takes five times it.
    harness = make_harness(timeout=0.3)
    site.set("/trickle", Route(page().encode(), chunked=True, trickle=0.15))
    source = await harness.add_source(site.url("/trickle"))

    assert await poll(harness.deps, source) == "failed"
    row = await harness.source(source)
    assert row.last_error is not None
    assert "timed out after 0.6s" in row.last_error
    assert await harness.snapshots(source) == []


async def test_a_body_over_the_cap_is_refused_by_its_content_length(
    site: ScriptedSite, make_harness: HarnessFactory
) -> None:
    harness = make_harness(max_bytes=100_000)
    site.set("/big", Route(b"<p>" + b"x" * 300_000 + b"</p>"))
    source = await harness.add_source(site.url("/big"))

    assert await poll(harness.deps, source) == "failed"
    row = await harness.source(source)
    assert row.last_error is not None
    assert "over the 100000-byte cap" in row.last_error


async def test_an_endless_chunked_body_is_cut_at_the_cap_with_bounded_memory(
    site: ScriptedSite, make_harness: HarnessFactory
) -> None:
    harness = make_harness(max_bytes=200_000)
    site.set("/endless", Route(endless=30_000_000))  # 30 MB, no Content-Length
    source = await harness.add_source(site.url("/endless"))

    tracemalloc.start()
    try:
        outcome = await poll(harness.deps, source)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert outcome == "failed"
    row = await harness.source(source)
    assert row.last_error is not None
    assert "over the 200000-byte cap" in row.last_error
    assert peak < 5_000_000  # a few chunks, never the 30 MB


async def test_a_gzip_bomb_is_cut_at_the_cap(
    site: ScriptedSite, make_harness: HarnessFactory
) -> None:
    harness = make_harness(max_bytes=200_000)
    site.set("/bomb", Route(b"<p>" + b"a" * 20_000_000 + b"</p>", gzip=True))
    source = await harness.add_source(site.url("/bomb"))

    assert await poll(harness.deps, source) == "failed"
    row = await harness.source(source)
    assert row.last_error is not None
    assert "cap" in row.last_error


async def test_a_gzipped_page_is_read(site: ScriptedSite, harness: Harness) -> None:
    site.set("/gz", Route(page().encode(), gzip=True, chunked=True))
    source = await harness.add_source(site.url("/gz"))

    assert await poll(harness.deps, source) == "baseline"
    assert (await harness.source(source)).title == "Råd om blåbær, tyttebær og multer"


@pytest.mark.parametrize(
    ("encoding", "reason"),
    [
        ("gzip", "a body marked Content-Encoding: gzip that is not gzip"),
        ("br", "a body compressed as brotli, which varsel does not ask for"),
    ],
)
async def test_a_body_its_encoding_misnames_is_a_failure_an_operator_can_read(
    site: ScriptedSite, harness: Harness, encoding: str, reason: str
) -> None:
    # The reason was aiohttp's: "400, message:" and a second line (as if the site had said
    # 400), or advice to install a package for a compression varsel never asked for.
    site.set("/enc", Route(page().encode(), encoding=encoding))
    source = await harness.add_source(site.url("/enc"))

    assert await poll(harness.deps, source) == "failed"
    row = await harness.source(source)
    assert row.last_error == f"{site.url('/enc')} sends {reason}"
    assert await harness.events() == []
