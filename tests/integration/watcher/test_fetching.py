"""Polling over real loopback HTTP: validators (ETag, Last-Modified, a 304 that hides a change),
what every request says of itself, and a server that asks for a pause.

The answer's body (timeouts, caps, encodings) is in test_fetching_bodies.py; redirects,
connections, the address guard and the per-host limit in test_fetching_connections.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from services.watcher.adapters.tables import WatchedSource
from services.watcher.handlers import poll
from tests.integration.watcher.conftest import USER_AGENT, Harness
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


@pytest.mark.parametrize("retry_after", ["99999999999999", "9" * 400, "9" * 5000])
async def test_a_pause_longer_than_any_clock_counts_is_a_failure_paused_for_a_day(
    site: ScriptedSite, harness: Harness, retry_after: str
) -> None:
    # A rate limiter's «for ever» (a number of seconds past what a date can hold, or past what
    # a float can) crashed the poll: nothing stored, the source showed as working.
    site.set("/p", Route(b"Too Many Requests", status=429, retry_after=retry_after))
    source = await harness.add_source(site.url("/p"), interval_seconds=60)

    assert await poll(harness.deps, source) == "failed"

    row = await harness.source(source)
    assert row.next_check_at is not None
    assert row.next_check_at - harness.clock.now() == timedelta(days=1)
    assert row.consecutive_failures == 1
    assert row.last_error is not None
    assert row.last_error.startswith(f"HTTP 429 from {site.url('/p')} (it asks for a pause of")
    assert "inf" not in row.last_error
