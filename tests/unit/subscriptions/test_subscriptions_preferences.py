"""Changing preferences with a manage link, from the manage page and the API."""

from __future__ import annotations

from services.subscriptions import handlers
from services.subscriptions.domain.model import Preferences
from services.subscriptions.domain.vocabulary import (
    Channel,
    ConsentAction,
    UnsubscribeRoute,
)
from shared.events import PreferencesChanged, SubscriberUnsubscribed
from shared.vocabulary import Frequency, Language
from tests.unit.subscriptions.fakes import SubscriptionRow
from tests.unit.subscriptions.harness import OTHER, RELATED, START, TOPIC, World


async def test_the_manage_page_swaps_topics_and_keeps_the_language(world: World) -> None:
    person_id = await world.subscribed(topics=(TOPIC, RELATED))
    ledger_before = len(world.data.ledger)

    saved = await handlers.update_preferences(
        world.uow(),
        world.deps,
        world.token("manage"),
        topics=[RELATED, OTHER],
        frequency=Frequency.WEEKLY,
    )

    assert saved == Preferences(person_id, (OTHER, RELATED), Frequency.WEEKLY, Language.NB)
    assert world.open_topics() == {RELATED, OTHER}
    ended = [s for s in world.data.subscriptions if s.ended_at is not None]
    assert ended == [SubscriptionRow(person_id, TOPIC, START, START, UnsubscribeRoute.MANAGE_PAGE)]
    unsubscribed, changed = world.data.ledger[ledger_before:]
    assert (unsubscribed.action, unsubscribed.channel, unsubscribed.details) == (
        ConsentAction.UNSUBSCRIBED,
        Channel.MANAGE_PAGE,
        None,
    )
    assert unsubscribed.topics == (TOPIC,)
    assert unsubscribed.frequency == Frequency.DAILY, "recorded under the settings it ended"
    assert (changed.action, changed.channel, changed.topics, changed.frequency) == (
        ConsentAction.PREFERENCES_CHANGED,
        Channel.MANAGE_PAGE,
        (OTHER, RELATED),
        Frequency.WEEKLY,
    )
    (gone,) = world.data.events(SubscriberUnsubscribed)
    assert (gone.topics, gone.all_topics, gone.route) == ((TOPIC,), False, "manage-page")
    (event,) = world.data.events(PreferencesChanged)
    assert (event.topics, event.frequency, event.language) == (
        (OTHER, RELATED),
        Frequency.WEEKLY,
        Language.NB,
    )


async def test_saving_what_is_already_set_records_nothing(world: World) -> None:
    await world.subscribed(topics=(TOPIC,))
    before = repr(world.data)
    saved = await handlers.update_preferences(
        world.uow(), world.deps, world.token("manage"), topics=[TOPIC], frequency=Frequency.DAILY
    )
    assert saved is not None and saved.topics == (TOPIC,)
    assert repr(world.data) == before


async def test_topics_not_offered_are_ignored(world: World) -> None:
    await world.subscribed(topics=(TOPIC,))
    saved = await handlers.update_preferences(
        world.uow(),
        world.deps,
        world.token("manage"),
        topics=[TOPIC, "retired-topic", "<script>"],
        frequency=Frequency.DAILY,
    )
    assert saved is not None and saved.topics == (TOPIC,)
    assert world.data.ledger[-1].action is ConsentAction.CONFIRMED, "nothing changed"


async def test_the_api_changes_the_language_and_names_its_channel(world: World) -> None:
    await world.subscribed(topics=(TOPIC, OTHER))
    saved = await handlers.update_preferences(
        world.uow(),
        world.deps,
        world.token("manage"),
        topics=[OTHER],
        frequency=Frequency.IMMEDIATE,
        language=Language.EN,
        channel=Channel.API,
    )
    assert saved is not None
    assert (saved.topics, saved.frequency, saved.language) == (
        (OTHER,),
        Frequency.IMMEDIATE,
        Language.EN,
    )
    person = world.person()
    assert person is not None and person.language is Language.EN
    unsubscribed, changed = world.data.ledger[-2:]
    assert (unsubscribed.channel, unsubscribed.details) == (Channel.API, {"route": "manage-page"})
    assert (changed.channel, changed.language) == (Channel.API, Language.EN)


async def test_only_a_manage_link_changes_preferences(world: World) -> None:
    await world.subscribed()
    before = repr(world.data)
    for token in (world.token("unsubscribe"), world.confirm_token(), "forged"):
        saved = await handlers.update_preferences(
            world.uow(), world.deps, token, topics=[OTHER], frequency=Frequency.WEEKLY
        )
        assert saved is None
    assert repr(world.data) == before


async def test_an_unconfirmed_person_has_no_preferences_to_read(world: World) -> None:
    assert await world.sign_up()
    assert await handlers.preferences(world.uow(), world.deps, world.token("manage")) is None
    await world.subscribed("kari@example.no", topics=(OTHER, TOPIC))
    read = await handlers.preferences(
        world.uow(), world.deps, world.token("manage", "kari@example.no")
    )
    assert read is not None and read.topics == (OTHER, TOPIC)
