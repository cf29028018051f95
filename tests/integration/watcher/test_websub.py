"""WebSub against a hub on loopback: subscribe, verify, pushes signed or not, a quiet hub."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from sqlalchemy import delete, select

from services.watcher.adapters.hub_client import HubClient
from services.watcher.adapters.tables import (
    HubSubscription,
    PushDigest,
    PushedBody,
    WatchedSource,
)
from services.watcher.domain.outcome import OutcomeKind
from services.watcher.domain.websub import (
    MAX_LEASE_SECONDS,
    PUSHED_PACE,
    PUSHES_PER_HOUR,
    SubscriptionState,
    renew_at,
)
from services.watcher.handlers import poll
from services.watcher.websub import HubSettings, request_subscriptions, take_pushes
from tests.integration.watcher.conftest import Harness, HarnessFactory
from tests.integration.watcher.hub import LoopbackHub, callback_server
from tests.integration.watcher.pages import feed
from tests.integration.watcher.server import Route, ScriptedSite

INTERVAL = 600
LEASE = 24 * 3600
ATOM = "http://www.w3.org/2005/Atom"


def hub_feed(numbers: list[int], hub: str, topic: str) -> bytes:
    """Return the test RSS feed, advertising its hub and its own address as atom:links."""
    return (
        feed(numbers)
        .replace(b'<rss version="2.0">', f'<rss version="2.0" xmlns:atom="{ATOM}">'.encode())
        .replace(
            b"<title>Nyheter</title>",
            f'<title>Nyheter</title><atom:link rel="hub" href="{hub}"/>'
            f'<atom:link rel="self" href="{topic}"/>'.encode(),
        )
    )


@pytest.fixture
async def hub() -> AsyncIterator[LoopbackHub]:
    """A WebSub hub on loopback."""
    async with LoopbackHub().serving() as serving:
        yield serving


@pytest.fixture
async def client() -> AsyncIterator[HubClient]:
    """The watcher's hub client, allowed to reach loopback as the tests' sites are."""
    made = HubClient(timeout=5.0, allow_private=True, user_agent="varsel-test")
    yield made
    await made.aclose()


class Subscribed:
    """A feed source whose hub has verified varsel's subscription."""

    def __init__(self, harness: Harness, hub: LoopbackHub, client: HubClient, callback: str):
        self.harness, self.hub, self.client = harness, hub, client
        self.hubs = HubSettings(callback, allow_loopback_callback=True, lease_seconds=LEASE)
        self.source_id = 0

    async def start(self, site: ScriptedSite) -> None:
        topic = site.url("/nyheter.rss")
        site.set("/nyheter.rss", Route(body=hub_feed([1, 2], self.hub.url, topic)))
        self.source_id = await self.harness.add_source(
            topic, kind="feed", interval_seconds=INTERVAL
        )
        assert await poll(self.harness.deps, self.source_id) is OutcomeKind.BASELINE
        assert await request_subscriptions(self.harness.deps, self.client, self.hubs) == 1
        subscription = await self.hub.verified()
        assert subscription.verified, "varsel did not echo the hub's challenge"
        assert subscription.topic == topic
        assert subscription.callback.startswith(self.hubs.base_url + "/websub/")

    def feed(self, numbers: list[int]) -> bytes:
        """Return the feed with these items, as its hub pushes it."""
        return hub_feed(numbers, self.hub.url, self.hub.subscriptions[-1].topic)

    async def row(self) -> HubSubscription:
        async with self.harness.deps.sessions() as session:
            row = (await session.scalars(select(HubSubscription))).one()
            return row

    async def pending_pushes(self) -> int:
        async with self.harness.deps.sessions() as session:
            return len((await session.scalars(select(PushedBody))).all())


@pytest.fixture
async def subscribed(
    make_harness: HarnessFactory, hub: LoopbackHub, client: HubClient
) -> AsyncIterator[Subscribed]:
    """A harness on SQLite whose feed has a verified hub subscription (started by the test)."""
    harness = make_harness()
    async with callback_server(harness.deps.sessions, harness.clock) as callback:
        yield Subscribed(harness, hub, client, callback)


async def _pushes_alert_once_and_signatures_are_checked(
    subscribed: Subscribed, site: ScriptedSite
) -> None:
    harness, hub = subscribed.harness, subscribed.hub
    await subscribed.start(site)
    row = await subscribed.row()
    assert row.state == SubscriptionState.ACTIVE
    assert (await harness.source(subscribed.source_id)).push_until == row.lease_until
    # Renewed late in the lease, however quickly the hub verified after it was asked.
    assert row.verified_at is not None and row.lease_until is not None
    assert row.next_request_at == renew_at(row.verified_at, row.lease_until)

    # A push signed with the subscription's secret is compared like a polled body: one alert.
    topic = site.url("/nyheter.rss")
    newer = hub_feed([3, 1, 2], hub.url, topic)
    assert await hub.push(newer) == 202
    assert await take_pushes(harness.deps) == [OutcomeKind.CHANGED]
    events = await harness.events()
    assert [e.title for e in events] == ["Sak nummer 3 om folkehelse"]

    # The same push again (hubs retry), sha1 as older hubs sign: answered, not taken again.
    assert await hub.push(newer, method="sha1") == 202
    assert await subscribed.pending_pushes() == 0
    assert await take_pushes(harness.deps) == []

    # A forged push (another secret) is refused and changes nothing.
    forged = hub_feed([4, 3, 1, 2], hub.url, topic)
    assert await hub.push(forged, secret="not-the-secret") == 403
    assert await subscribed.pending_pushes() == 0
    assert await take_pushes(harness.deps) == []

    # The next poll reads the feed as pushed: no false alert.
    site.set("/nyheter.rss", Route(body=newer))
    harness.clock.advance(timedelta(seconds=INTERVAL * PUSHED_PACE * 2))
    await poll(harness.deps, subscribed.source_id)
    assert len(await harness.events()) == 1


async def test_pushes_alert_once_and_signatures_are_checked(
    subscribed: Subscribed, site: ScriptedSite
) -> None:
    await _pushes_alert_once_and_signatures_are_checked(subscribed, site)


async def test_a_captured_push_sent_again_later_alerts_nobody_and_moves_nothing_back(
    subscribed: Subscribed, site: ScriptedSite
) -> None:
    harness, hub = subscribed.harness, subscribed.hub
    await subscribed.start(site)
    first = subscribed.feed([3, 1, 2])
    corrected = first.replace(b"nyhetssak 3,", b"nyhetssak 3 (rettet),")
    assert await hub.push(first) == 202
    assert await take_pushes(harness.deps) == [OutcomeKind.CHANGED]
    captured = hub.sent[-1]  # seen by someone on the way: a log, a proxy
    assert await hub.push(corrected) == 202  # the publisher corrects its news
    assert await take_pushes(harness.deps) == [OutcomeKind.CHANGED]
    told = await harness.events()
    assert len(told) == 2
    stored = (await harness.source(subscribed.source_id)).fingerprint

    # Sent again, signature and all: the hub is answered as for any push, and nothing happens.
    for _ in range(3):
        assert await captured.replay() == 202
    assert await hub.sent[-1].replay() == 202
    assert await subscribed.pending_pushes() == 0
    assert await take_pushes(harness.deps) == []
    assert await harness.events() == told
    assert (await harness.source(subscribed.source_id)).fingerprint == stored

    # A new push is still taken, and the next poll finds nothing anyone was not told.
    newest = subscribed.feed([4, 3, 1, 2]).replace(b"nyhetssak 3,", b"nyhetssak 3 (rettet),")
    assert await hub.push(newest) == 202
    assert await take_pushes(harness.deps) == [OutcomeKind.CHANGED]
    stored = (await harness.source(subscribed.source_id)).fingerprint

    # Sent again once the callback has forgotten it (a thousand pushes later): its entries'
    # dates are older than those stored, so it moves nothing back either.
    async with harness.deps.sessions() as session, session.begin():
        await session.execute(delete(PushDigest))
    assert await captured.replay() == 202
    assert await take_pushes(harness.deps) == [OutcomeKind.UNCHANGED]
    assert len(await harness.events()) == 3
    assert (await harness.source(subscribed.source_id)).fingerprint == stored
    site.set("/nyheter.rss", Route(body=newest))
    harness.clock.advance(timedelta(seconds=INTERVAL * PUSHED_PACE * 2))
    await poll(harness.deps, subscribed.source_id)
    assert [e.title for e in await harness.events()][2:] == ["Sak nummer 4 om folkehelse"]


async def test_a_hub_pushing_more_than_its_hourly_share_is_told_to_try_later(
    subscribed: Subscribed, site: ScriptedSite
) -> None:
    await subscribed.start(site)
    hub = subscribed.hub
    for n in range(PUSHES_PER_HOUR):
        assert await hub.push(subscribed.feed([n + 10, 1, 2])) == 202
    assert await hub.push(subscribed.feed([3, 1, 2])) == 429
    assert await subscribed.pending_pushes() == PUSHES_PER_HOUR
    assert await hub.sent[0].replay() == 202  # a repeat costs nothing and counts for nothing

    # The hub retries later, as WebSub asks of it: the push it was refused is taken then.
    subscribed.harness.clock.advance(timedelta(hours=1))
    assert await hub.sent[-1].replay() == 202
    assert await subscribed.pending_pushes() == PUSHES_PER_HOUR + 1


async def test_a_lease_longer_than_any_date_is_taken_as_the_longest_varsel_keeps(
    subscribed: Subscribed, site: ScriptedSite
) -> None:
    # A hub may name any number; one past the calendar was a 500 and the hub retried for ever.
    await subscribed.start(site)
    row = await subscribed.row()
    params = {
        "hub.mode": "subscribe",
        "hub.topic": row.topic_url,
        "hub.challenge": "utfordring",
        "hub.lease_seconds": str(10**20),
    }
    callback = subscribed.hubs.callback(row.callback_id)
    async with aiohttp.ClientSession() as session, session.get(callback, params=params) as answer:
        assert answer.status == 200
        assert await answer.text() == "utfordring"
    renewed = await subscribed.row()
    assert renewed.verified_at is not None and renewed.lease_until is not None
    assert renewed.lease_until - renewed.verified_at == timedelta(seconds=MAX_LEASE_SECONDS)


@pytest.mark.postgres
async def test_pushes_on_postgresql(
    make_harness: HarnessFactory,
    postgres_url: str,
    hub: LoopbackHub,
    client: HubClient,
    site: ScriptedSite,
) -> None:
    harness = make_harness(postgres_url)
    async with callback_server(harness.deps.sessions, harness.clock) as callback:
        await _pushes_alert_once_and_signatures_are_checked(
            Subscribed(harness, hub, client, callback), site
        )


async def test_polling_slows_while_pushed_and_resumes_when_the_hub_goes_quiet(
    subscribed: Subscribed, site: ScriptedSite
) -> None:
    harness, hub = subscribed.harness, subscribed.hub
    await subscribed.start(site)
    start = harness.clock.now()
    await poll(harness.deps, subscribed.source_id)
    slow = (await harness.source(subscribed.source_id)).next_check_at
    assert slow is not None and slow - start >= timedelta(seconds=INTERVAL * PUSHED_PACE * 0.9)

    # Renewal is asked for before the lease ends; this hub accepts but never verifies again.
    hub.verify = False
    harness.clock.advance(timedelta(seconds=LEASE * 0.85))
    assert await request_subscriptions(harness.deps, subscribed.client, subscribed.hubs) == 1
    assert len(hub.requests) == 2

    # The lease lapses unrenewed: pushes are refused, polling is back to the normal pace.
    harness.clock.advance(timedelta(seconds=LEASE * 0.2))
    assert await hub.push(hub_feed([5, 1, 2], hub.url, site.url("/nyheter.rss"))) == 410
    now = harness.clock.now()
    await poll(harness.deps, subscribed.source_id)
    normal = (await harness.source(subscribed.source_id)).next_check_at
    assert normal is not None and normal - now <= timedelta(seconds=INTERVAL * 1.1)


async def test_a_renewal_the_hub_refuses_means_the_normal_pace(
    subscribed: Subscribed, site: ScriptedSite
) -> None:
    harness, hub = subscribed.harness, subscribed.hub
    await subscribed.start(site)
    hub.answer_status = 500
    harness.clock.advance(timedelta(seconds=LEASE * 0.85))
    assert await request_subscriptions(harness.deps, subscribed.client, subscribed.hubs) == 1
    row = await subscribed.row()
    assert row.state == SubscriptionState.FAILED
    assert "HTTP 500" in (row.last_error or "")
    assert (await harness.source(subscribed.source_id)).push_until is None


async def test_verifications_varsel_did_not_ask_for_are_refused(
    subscribed: Subscribed, site: ScriptedSite
) -> None:
    await subscribed.start(site)
    row = await subscribed.row()
    callback = subscribed.hubs.callback(row.callback_id)
    asked = {"hub.mode": "subscribe", "hub.topic": row.topic_url, "hub.challenge": "abc"}
    async with aiohttp.ClientSession() as http:
        for url, params in [
            (subscribed.hubs.callback("unknown"), asked),
            (callback, {**asked, "hub.topic": row.topic_url + "?other"}),
            (callback, {**asked, "hub.mode": "unsubscribe"}),
            (callback, {"hub.mode": "subscribe", "hub.topic": row.topic_url}),  # no challenge
        ]:
            async with http.get(url, params=params) as answer:
                assert answer.status == 404, params
                assert "abc" not in await answer.text()
        async with http.post(subscribed.hubs.callback("unknown"), data=b"<rss/>") as answer:
            assert answer.status == 404
        async with http.get(callback, params=asked) as answer:
            assert (answer.status, await answer.text()) == (200, "abc")


async def test_hubs_are_not_asked_when_they_could_not_call_back(
    make_harness: HarnessFactory, hub: LoopbackHub, client: HubClient, site: ScriptedSite
) -> None:
    harness = make_harness()
    topic = site.url("/nyheter.rss")
    site.set("/nyheter.rss", Route(body=hub_feed([1], hub.url, topic)))
    source_id = await harness.add_source(topic, kind="feed", interval_seconds=INTERVAL)
    await poll(harness.deps, source_id)
    loopback = HubSettings(
        "http://127.0.0.1:8000", allow_loopback_callback=False, lease_seconds=LEASE
    )
    assert await request_subscriptions(harness.deps, client, loopback) == 0
    assert hub.requests == []


async def test_a_paused_feed_takes_no_push(subscribed: Subscribed, site: ScriptedSite) -> None:
    harness, hub = subscribed.harness, subscribed.hub
    await subscribed.start(site)
    newer = hub_feed([3, 1, 2], hub.url, site.url("/nyheter.rss"))
    assert await hub.push(newer) == 202  # taken while watched...
    async with harness.deps.sessions() as session, session.begin():
        source = await session.get(WatchedSource, subscribed.source_id)
        assert source is not None
        source.active = False  # ...then the editor pauses the source
    assert await take_pushes(harness.deps) == []
    assert await subscribed.pending_pushes() == 0
    assert await hub.push(newer) == 410  # the hub is told to stop
    assert await harness.events() == []
