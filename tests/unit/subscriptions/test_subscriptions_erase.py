"""Erasure: every alert ends, the address and its rows go, the ledger keeps only a keyed hash."""

from __future__ import annotations

import pytest

from services.subscriptions import handlers
from services.subscriptions.domain.vocabulary import Channel, ConsentAction, UnsubscribeRoute
from shared.events import SubscriberErased, SubscriberUnsubscribed
from shared.tokens import Purpose, address_hash
from tests.unit.subscriptions.harness import ADDRESS, OTHER, SECRET, TOPIC, World


@pytest.mark.parametrize(
    ("purpose", "route", "channel"),
    [
        ("unsubscribe", UnsubscribeRoute.LINK, None),
        ("manage", UnsubscribeRoute.MANAGE_PAGE, None),
        ("manage", UnsubscribeRoute.LINK, Channel.API),
    ],
)
async def test_erasure_leaves_no_address_and_a_complete_ledger(
    world: World, purpose: Purpose, route: UnsubscribeRoute, channel: Channel | None
) -> None:
    person_id = await world.subscribed(topics=(TOPIC, OTHER))
    assert await world.sign_up(topics=(OTHER,))  # a pending request goes too
    token = world.token(purpose)

    ended = await handlers.erase(
        world.uow(), world.deps, token, purposes=(purpose,), route=route, channel=channel
    )

    assert ended is not None and ended.topics == (OTHER, TOPIC)
    assert world.data.subscribers == {} and world.data.requests == {}
    assert world.data.subscriptions == []
    unsubscribed, erased = world.data.ledger[-2:]
    assert (unsubscribed.action, erased.action) == (
        ConsentAction.UNSUBSCRIBED,
        ConsentAction.ERASED,
    )
    assert erased.subject_hash == address_hash(SECRET, ADDRESS)
    assert (erased.topics, erased.frequency) == ((), None)
    expected_channel = channel or Channel.of_route(route)
    assert {unsubscribed.channel, erased.channel} == {expected_channel}
    details = {"route": route.value} if channel else None
    assert unsubscribed.details == erased.details == details
    assert ADDRESS not in repr(world.data), "the address is nowhere"
    (gone,) = world.data.events(SubscriberUnsubscribed)
    assert gone.all_topics
    assert [e.subscriber_id for e in world.data.events(SubscriberErased)] == [person_id]

    assert (
        await handlers.erase(world.uow(), world.deps, token, purposes=(purpose,), route=route)
        is None
    )


async def test_erasing_after_unsubscribing_records_only_the_erasure(world: World) -> None:
    await world.subscribed()
    token = world.token("unsubscribe")
    assert await handlers.unsubscribe(
        world.uow(),
        world.deps,
        token,
        purposes=("unsubscribe",),
        topics=None,
        route=UnsubscribeRoute.LINK,
    )
    before = len(world.data.ledger)
    ended = await handlers.erase(
        world.uow(), world.deps, token, purposes=("unsubscribe",), route=UnsubscribeRoute.LINK
    )
    assert ended is not None and ended.topics == ()
    assert [e.action for e in world.data.ledger[before:]] == [ConsentAction.ERASED]
    assert len(world.data.events(SubscriberUnsubscribed)) == 1


async def test_a_pending_address_cannot_be_erased_with_a_link(world: World) -> None:
    assert await world.sign_up()
    before = repr(world.data)
    ended = await handlers.erase(
        world.uow(),
        world.deps,
        world.token("unsubscribe"),
        purposes=handlers.EITHER_LINK,
        route=UnsubscribeRoute.LINK,
    )
    assert ended is None
    assert repr(world.data) == before
