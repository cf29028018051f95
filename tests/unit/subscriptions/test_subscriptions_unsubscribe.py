"""Ending alerts: some or all, by each route a person (or their mail server) can take."""

from __future__ import annotations

import pytest

from services.subscriptions import handlers
from services.subscriptions.domain.vocabulary import (
    Channel,
    ConsentAction,
    SubscriberStatus,
    UnsubscribeRoute,
)
from shared.events import ManageLinkRequested, SubscriberUnsubscribed
from shared.tokens import Purpose
from tests.unit.subscriptions.harness import ADDRESS, OTHER, PER_ADDRESS, RELATED, TOPIC, World


def ended_by(world: World) -> dict[str, UnsubscribeRoute | None]:
    """Return each ended topic with its reason."""
    return {s.topic: s.ended_reason for s in world.data.subscriptions if s.ended_at is not None}


async def test_the_api_ends_some_topics(world: World) -> None:
    await world.subscribed(topics=(TOPIC, RELATED, OTHER))
    ended = await handlers.unsubscribe(
        world.uow(),
        world.deps,
        world.token("unsubscribe"),
        purposes=handlers.EITHER_LINK,
        topics=[TOPIC, OTHER, "never-followed"],
        route=UnsubscribeRoute.LINK,
        channel=Channel.API,
    )
    assert ended is not None and ended.topics == (OTHER, TOPIC)
    assert world.open_topics() == {RELATED}
    assert ended_by(world) == {TOPIC: UnsubscribeRoute.LINK, OTHER: UnsubscribeRoute.LINK}
    entry = world.data.ledger[-1]
    assert (entry.action, entry.topics, entry.channel, entry.details) == (
        ConsentAction.UNSUBSCRIBED,
        (OTHER, TOPIC),
        Channel.API,
        {"route": "link"},
    )
    (event,) = world.data.events(SubscriberUnsubscribed)
    assert (event.topics, event.all_topics, event.route) == ((OTHER, TOPIC), False, "link")


@pytest.mark.parametrize(
    ("purpose", "route"),
    [
        ("unsubscribe", UnsubscribeRoute.LINK),
        ("unsubscribe", UnsubscribeRoute.ONE_CLICK),
        ("manage", UnsubscribeRoute.MANAGE_PAGE),
    ],
)
async def test_each_route_ends_every_alert_under_its_own_name(
    world: World, purpose: Purpose, route: UnsubscribeRoute
) -> None:
    await world.subscribed(topics=(TOPIC, OTHER))
    ended = await handlers.unsubscribe(
        world.uow(),
        world.deps,
        world.token(purpose),
        purposes=(purpose,),
        topics=None,
        route=route,
    )
    assert ended is not None and ended.topics == (OTHER, TOPIC)
    assert world.open_topics() == set()
    assert ended_by(world) == {TOPIC: route, OTHER: route}
    entry = world.data.ledger[-1]
    assert (entry.channel.value, entry.details) == (route.value, None)
    (event,) = world.data.events(SubscriberUnsubscribed)
    assert (event.all_topics, event.route) == (True, route.value)
    person = world.person()
    assert person is not None and person.status is SubscriberStatus.ACTIVE, "the address stays"


async def test_with_nothing_open_nothing_is_recorded(world: World) -> None:
    await world.subscribed()
    token = world.token("unsubscribe")
    first = await handlers.unsubscribe(
        world.uow(),
        world.deps,
        token,
        purposes=("unsubscribe",),
        topics=None,
        route=UnsubscribeRoute.LINK,
    )
    assert first is not None and first.topics == (TOPIC,)
    after = repr(world.data)
    again = await handlers.unsubscribe(
        world.uow(),
        world.deps,
        token,
        purposes=("unsubscribe",),
        topics=None,
        route=UnsubscribeRoute.ONE_CLICK,
    )
    assert again is not None and again.topics == ()
    assert repr(world.data) == after


async def test_a_link_for_another_purpose_or_person_ends_nothing(world: World) -> None:
    await world.subscribed()
    assert await world.sign_up("pending@example.no")
    before = repr(world.data)
    for token, purposes in [
        (world.token("manage"), ("unsubscribe",)),
        (world.token("unsubscribe", "pending@example.no"), ("unsubscribe",)),
        (world.confirm_token("pending@example.no"), handlers.EITHER_LINK),
        ("not-a-token", handlers.EITHER_LINK),
    ]:
        ended = await handlers.unsubscribe(
            world.uow(),
            world.deps,
            token,
            purposes=purposes,
            topics=None,
            route=UnsubscribeRoute.LINK,
        )
        assert ended is None
    assert repr(world.data) == before


async def test_hard_bounces_disable_the_address_at_the_limit(world: World) -> None:
    person_id = await world.subscribed(topics=(TOPIC, OTHER))
    for _ in range(2):
        await handlers.record_bounce(world.uow(), world.deps, person_id, limit=3)
    person = world.person()
    assert person is not None
    assert (person.hard_bounces, person.status) == (2, SubscriberStatus.ACTIVE)
    assert world.open_topics() == {TOPIC, OTHER}

    await handlers.record_bounce(world.uow(), world.deps, person_id, limit=3)
    person = world.person()
    assert person is not None
    assert (person.hard_bounces, person.status) == (3, SubscriberStatus.DISABLED)
    assert ended_by(world) == {TOPIC: UnsubscribeRoute.BOUNCE, OTHER: UnsubscribeRoute.BOUNCE}
    entry = world.data.ledger[-1]
    assert (entry.action, entry.channel) == (ConsentAction.UNSUBSCRIBED, Channel.BOUNCE)
    (event,) = world.data.events(SubscriberUnsubscribed)
    assert (event.route, event.all_topics) == ("bounce", True)

    after = repr(world.data)
    await handlers.record_bounce(world.uow(), world.deps, person_id, limit=3)
    assert repr(world.data) == after, "a disabled address counts no more"


async def test_a_bounce_for_an_erased_person_is_ignored(world: World) -> None:
    person_id = await world.subscribed()
    await world.uow().subscribers.remove(person_id)
    after = repr(world.data)
    await handlers.record_bounce(world.uow(), world.deps, person_id, limit=1)
    assert repr(world.data) == after


async def test_a_complaint_ends_every_alert_and_is_recorded_as_one(world: World) -> None:
    person_id = await world.subscribed(topics=(TOPIC, OTHER))
    await handlers.record_complaint(world.uow(), world.deps, person_id)

    assert world.open_topics() == set()
    assert ended_by(world) == {
        TOPIC: UnsubscribeRoute.COMPLAINT,
        OTHER: UnsubscribeRoute.COMPLAINT,
    }
    entry = world.data.ledger[-1]
    assert (entry.action, entry.channel, entry.topics) == (
        ConsentAction.UNSUBSCRIBED,
        Channel.COMPLAINT,
        (OTHER, TOPIC) if OTHER < TOPIC else (TOPIC, OTHER),
    )
    (event,) = world.data.events(SubscriberUnsubscribed)
    assert (event.route, event.all_topics) == ("complaint", True)
    person = world.person()
    assert person is not None and person.hard_bounces == 0, "a complaint is no bounce"

    after = repr(world.data)
    await handlers.record_complaint(world.uow(), world.deps, person_id)
    assert repr(world.data) == after, "a second complaint finds nothing left to end"


async def test_a_complaint_about_an_erased_person_changes_nothing(world: World) -> None:
    person_id = await world.subscribed()
    await world.uow().subscribers.remove(person_id)
    after = repr(world.data)
    await handlers.record_complaint(world.uow(), world.deps, person_id)
    assert repr(world.data) == after


async def test_a_manage_link_goes_only_to_a_confirmed_address(world: World) -> None:
    person_id = await world.subscribed()
    assert await world.sign_up("pending@example.no")
    for address in (ADDRESS, "pending@example.no", "unknown@example.no"):
        assert await handlers.request_manage_link(world.uow(), world.deps, address, "192.0.2.9")
    assert [e.subscriber_id for e in world.data.events(ManageLinkRequested)] == [person_id]


async def test_manage_links_over_the_limit_are_refused_and_not_counted(world: World) -> None:
    # A refused request keeps no count (340fdb9): only mails sent use up the day's allowance.
    await world.subscribed()
    for _ in range(PER_ADDRESS):
        assert await handlers.request_manage_link(world.uow(), world.deps, ADDRESS, "192.0.2.9")
    assert not await handlers.request_manage_link(world.uow(), world.deps, ADDRESS, "192.0.2.9")
    assert len(world.data.events(ManageLinkRequested)) == PER_ADDRESS
    assert max(world.data.counters.values()) == PER_ADDRESS, "the refused one is not counted"
