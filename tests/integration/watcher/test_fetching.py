"""Polling over real loopback HTTP: validators, redirects, timeouts, caps, guards, limits."""

from __future__ import annotations

import asyncio
import socket
import tracemalloc
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import aiohttp
import pytest
from aiohttp.resolver import ThreadedResolver

from services.watcher.adapters.http_session import open_session
from services.watcher.adapters.tables import WatchedSource
from services.watcher.handlers import poll
from tests.integration.watcher.conftest import USER_AGENT, Harness, HarnessFactory
from tests.integration.watcher.pages import NEW_PARAGRAPH, page
from tests.integration.watcher.server import Route, ScriptedSite

LAST_MODIFIED = "Mon, 03 Mar 2025 07:00:00 GMT"
FUTURE = "Tue, 01 Jan 2999 00:00:00 GMT"  # a server whose clock or CMS is wrong


async def test_second_poll_sends_etag_and_takes_the_304_path(
    site: ScriptedSite, harness: Harness
) -> None:
    site.set("/p", Route(page().encode(), etag='"v1"'))
    source = await harness.add_source(site.url("/p"))

    assert await poll(harness.deps, source) == "baseline"
    assert await poll(harness.deps, source) == "not-modified"

    first, second = site.log("/p")
    assert "If-None-Match" not in first.headers
    assert second.headers["If-None-Match"] == '"v1"'
    assert second.status == 304
    assert await harness.events() == []
    assert (await harness.source(source)).status == "ok"


async def test_a_server_whose_304_hides_a_change_is_asked_in_full_within_a_day(
    site: ScriptedSite, harness: Harness
) -> None:
    site.set("/p", Route(page().encode(), etag='"v1"'))
    source = await harness.add_source(site.url("/p"))
    assert await poll(harness.deps, source) == "baseline"
    # The page changes, its ETag does not (made from a template or a build's file times).
    site.set("/p", Route(page(NEW_PARAGRAPH).encode(), etag='"v1"'))
    assert await poll(harness.deps, source) == "not-modified"

    outcomes = []
    for _ in range(24):  # hourly, for a day
        harness.clock.advance(timedelta(hours=1))
        outcomes.append(await poll(harness.deps, source))

    # Trusted, each 304 hid the change for as long as the ETag stayed.
    assert outcomes.count("changed") == 1
    asked = [seen.headers.get("If-None-Match") for seen in site.log("/p")[2:]]
    assert asked.count(None) == 1  # once a day in full, else conditionally as before
    assert len(await harness.events()) == 1


async def test_a_304_to_a_request_without_validators_is_a_failure(
    site: ScriptedSite, harness: Harness
) -> None:
    # A cache in front of the site answers 304 to every request. Taken as «not modified», the
    # source never took its baseline, showed as working, and was never read again.
    site.set("/p", Route(status=304))
    source = await harness.add_source(site.url("/p"))

    assert await poll(harness.deps, source) == "failed"
    row = await harness.source(source)
    assert row.last_error is not None and "HTTP 304 from" in row.last_error
    assert row.fingerprint is None

    site.set("/p", Route(page().encode()))
    assert await poll(harness.deps, source) == "baseline"
    # Known now, but served without validators: a 304 still says nothing of the page.
    site.set("/p", Route(status=304))
    assert await poll(harness.deps, source) == "failed"
    assert await harness.events() == []


async def test_every_request_names_varsel_and_asks_for_compressed_bodies(
    site: ScriptedSite, harness: Harness
) -> None:
    site.set("/p", Route(page().encode()))
    source = await harness.add_source(site.url("/p"))

    await poll(harness.deps, source)

    (seen,) = site.log("/p")
    assert seen.headers["User-Agent"] == USER_AGENT
    assert USER_AGENT.startswith("varsel/")
    assert seen.headers["Accept-Encoding"] == "gzip, deflate"


async def test_second_poll_sends_if_modified_since(site: ScriptedSite, harness: Harness) -> None:
    site.set("/p", Route(page().encode(), last_modified=LAST_MODIFIED))
    source = await harness.add_source(site.url("/p"))

    assert await poll(harness.deps, source) == "baseline"
    assert await poll(harness.deps, source) == "not-modified"

    second = site.log("/p")[1]
    assert second.headers["If-Modified-Since"] == LAST_MODIFIED
    assert second.status == 304
    assert await harness.events() == []


async def test_a_last_modified_in_the_future_is_not_sent_back_so_a_change_is_seen(
    site: ScriptedSite, harness: Harness
) -> None:
    # The server answers 304 to any If-Modified-Since not older than its page, as many do.
    site.set("/p", Route(page().encode(), last_modified=FUTURE, not_older_is_fresh=True))
    source = await harness.add_source(site.url("/p"))
    assert await poll(harness.deps, source) == "baseline"
    site.set(
        "/p",
        Route(page(NEW_PARAGRAPH).encode(), last_modified=LAST_MODIFIED, not_older_is_fresh=True),
    )

    # Sent back, the date held every change off until that date had passed.
    assert await poll(harness.deps, source) == "changed"

    assert "If-Modified-Since" not in site.log("/p")[1].headers
    assert (await harness.source(source)).last_modified == LAST_MODIFIED
    assert await poll(harness.deps, source) == "not-modified"  # a date in the past is kept


async def test_a_last_modified_in_the_future_stored_before_is_not_sent_either(
    site: ScriptedSite, harness: Harness
) -> None:
    site.set("/p", Route(page().encode()))
    source = await harness.add_source(site.url("/p"))
    assert await poll(harness.deps, source) == "baseline"
    async with harness.deps.sessions() as session, session.begin():
        row = await session.get(WatchedSource, source)
        assert row is not None
        row.last_modified = FUTURE  # kept by a release that did not check it
    site.set(
        "/p",
        Route(page(NEW_PARAGRAPH).encode(), last_modified=LAST_MODIFIED, not_older_is_fresh=True),
    )

    assert await poll(harness.deps, source) == "changed"

    assert "If-Modified-Since" not in site.log("/p")[1].headers


@pytest.mark.parametrize("retry_after", ["3600", "HTTP-DATE"])
async def test_a_server_that_asks_for_a_pause_is_polled_again_after_it(
    site: ScriptedSite, harness: Harness, retry_after: str
) -> None:
    if retry_after == "HTTP-DATE":  # a date an hour after the server's own Date
        retry_after = format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
    site.set("/p", Route(b"Too Many Requests", status=429, retry_after=retry_after))
    source = await harness.add_source(site.url("/p"), interval_seconds=60)

    assert await poll(harness.deps, source) == "failed"

    row = await harness.source(source)
    # Polled at its interval, a site that asked for an hour's rest was asked every minute.
    assert row.next_check_at is not None
    pause = row.next_check_at - harness.clock.now()
    assert timedelta(minutes=59) <= pause <= timedelta(hours=1)
    assert row.last_error is not None
    assert row.last_error.startswith(f"HTTP 429 from {site.url('/p')} (it asks for a pause of")


async def test_redirects_are_followed_up_to_the_cap(site: ScriptedSite, harness: Harness) -> None:
    site.set("/old", Route(status=301, location="/older"))
    site.set("/older", Route(status=302, location=site.url("/p")))
    site.set("/p", Route(page().encode()))
    source = await harness.add_source(site.url("/old"))

    assert await poll(harness.deps, source) == "baseline"
    assert [s.path for s in site.seen] == ["/old", "/older", "/p"]


async def test_a_cookie_set_by_a_redirect_is_sent_back(
    site: ScriptedSite, harness: Harness
) -> None:
    # Some sites send first-time visitors through a cookie-setting redirect.
    site.set("/gate", Route(status=302, location="/p", set_cookie="visited=1; Path=/"))
    site.set("/p", Route(page().encode()))
    source = await harness.add_source(site.url("/gate"))

    assert await poll(harness.deps, source) == "baseline"
    gate, target = site.log("/gate")[0], site.log("/p")[0]
    assert "Cookie" not in gate.headers
    assert target.headers["Cookie"] == "visited=1"


async def test_a_redirect_loop_is_a_clear_failure(site: ScriptedSite, harness: Harness) -> None:
    site.set("/loop", Route(status=302, location="/loop"))
    source = await harness.add_source(site.url("/loop"))

    assert await poll(harness.deps, source) == "failed"
    row = await harness.source(source)
    assert row.last_error is not None
    assert "more than 3 redirects" in row.last_error
    assert len(site.log("/loop")) == 4  # the first request and three redirects, no more


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        (
            "file:///etc/passwd",
            "refused 'file:///etc/passwd': only http and https URLs are fetched",
        ),
        ("http://[::1", "invalid URL 'http://[::1' in a redirect from {url}"),  # no URL at all
    ],
    ids=["another-scheme", "no-url"],
)
async def test_a_redirect_that_leads_nowhere_fetchable_is_a_clear_failure(
    site: ScriptedSite, harness: Harness, location: str, reason: str
) -> None:
    site.set("/sneaky", Route(status=302, location=location))
    source = await harness.add_source(site.url("/sneaky"))

    assert await poll(harness.deps, source) == "failed"
    row = await harness.source(source)
    assert row.last_error == reason.format(url=site.url("/sneaky"))


async def test_a_body_longer_than_its_content_length_is_a_failure_said_in_one_line(
    site: ScriptedSite, harness: Harness
) -> None:
    body = page().encode()
    site.set("/p", Route(body, content_length=len(body) // 2))
    source = await harness.add_source(site.url("/p"))

    assert await poll(harness.deps, source) == "failed"

    # Not the rest of the page, escaped, under aiohttp's first line.
    row = await harness.source(source)
    assert row.last_error == f"invalid HTTP answer from {site.url('/p')}: Bad status line"
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


async def test_a_refused_connection_is_a_failure(harness: Harness) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = await harness.add_source(f"http://127.0.0.1:{port}/p")

    assert await poll(harness.deps, source) == "failed"
    row = await harness.source(source)
    assert row.last_error is not None
    assert "Cannot connect to host" in row.last_error
    assert f"127.0.0.1:{port}" in row.last_error


async def test_a_name_that_does_not_resolve_is_a_clear_failure(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The resolver's answer is faked: a real lookup of an unknown name would leave loopback.
    async def no_such_name(*args: object, **kwargs: object) -> list[object]:
        raise OSError(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(ThreadedResolver, "resolve", no_such_name)
    source = await harness.add_source("http://varsel-test.invalid/p")

    assert await poll(harness.deps, source) == "failed"
    row = await harness.source(source)
    assert row.last_error == "cannot resolve varsel-test.invalid: Name or service not known"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"], ids=["address", "name"])
async def test_the_address_guard_refuses_loopback(
    site: ScriptedSite, make_harness: HarnessFactory, host: str
) -> None:
    # An address in the URL is refused before connecting; a name when it is resolved.
    harness = make_harness(allow_private=False)
    site.set("/p", Route(page().encode()))
    source = await harness.add_source(site.url("/p").replace("127.0.0.1", host))

    assert await poll(harness.deps, source) == "failed"
    row = await harness.source(source)
    assert row.last_error == (
        f"refused {host}: it resolves to a private, loopback or link-local address "
        "(set VARSEL_ALLOW_PRIVATE_ADDRESSES=true to allow)"
    )
    assert site.log("/p") == []


@pytest.mark.parametrize("public_only", [True, False], ids=["guarded", "allowed"])
async def test_the_connection_itself_refuses_a_name_that_resolves_to_loopback(
    site: ScriptedSite, public_only: bool
) -> None:
    # The session alone, without the fetcher: a name is refused by the resolver the
    # connection itself uses, so an answer that changes between lookups (DNS rebinding)
    # cannot reach an internal address.
    site.set("/p", Route(page().encode()))
    url = site.url("/p").replace("127.0.0.1", "localhost")
    async with open_session(user_agent=USER_AGENT, public_only=public_only) as session:
        if public_only:
            with pytest.raises(
                aiohttp.ClientConnectorError, match="private, loopback or link-local"
            ):
                await session.get(url)
        else:
            async with session.get(url) as answer:
                assert answer.status == 200
    assert len(site.log("/p")) == (0 if public_only else 1)


async def test_one_host_never_gets_more_than_per_host_requests_at_once(
    site: ScriptedSite, make_harness: HarnessFactory
) -> None:
    harness = make_harness(per_host=2)
    ids = []
    for n in range(10):
        site.set(
            f"/p{n}", Route(page(f"<p>Side {n} av ti i en lang serie.</p>").encode(), hold=0.05)
        )
        ids.append(await harness.add_source(site.url(f"/p{n}")))

    outcomes = await asyncio.gather(*(poll(harness.deps, i) for i in ids))

    assert outcomes == ["baseline"] * 10
    assert len(site.seen) == 10
    assert site.max_active <= 2
