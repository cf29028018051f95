"""Polling over real loopback HTTP: where a request goes. Redirects (followed up to the cap,
with their cookies; loops and targets that cannot be fetched refused), connections refused,
names that do not resolve, the guard against private addresses, and the per-host limit."""

from __future__ import annotations

import asyncio
import socket

import aiohttp
import pytest
from aiohttp.resolver import ThreadedResolver

from services.watcher.adapters.http_session import open_session
from services.watcher.handlers import poll
from tests.integration.watcher.conftest import USER_AGENT, Harness, HarnessFactory
from tests.integration.watcher.pages import page
from tests.integration.watcher.server import Route, ScriptedSite


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
    # The hub client's session alone: a name is refused by the resolver the connection
    # itself uses, so an answer that changes between lookups (DNS rebinding) cannot reach an
    # internal address (the poll's own client: test_http_client).
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
