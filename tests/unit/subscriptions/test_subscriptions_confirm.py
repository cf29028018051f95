"""Confirming a sign-up (double opt-in): valid, expired, used, forged, with retired topics."""

from __future__ import annotations

from datetime import timedelta

from services.subscriptions import handlers
from services.subscriptions.domain.vocabulary import Channel, ConsentAction, SubscriberStatus
from shared.events import SubscriberConfirmed
from shared.vocabulary import Frequency, Language
from tests.support.notices import NOTICES
from tests.unit.subscriptions.harness import OTHER, RELATED, START, TOPIC, World


async def test_a_valid_link_starts_the_alerts_asked_for(world: World) -> None:
    assert await world.sign_up(topics=(TOPIC, RELATED), frequency=Frequency.WEEKLY)
    request = world.requests_of()[0]
    token = world.confirm_token()
    pending = await handlers.pending_confirmation(world.uow(), world.deps, token)
    assert pending == handlers.Pending(request, (TOPIC, RELATED), NOTICES.current("nb").version)
    world.clock.advance(timedelta(hours=2))

    done = await handlers.confirm(world.uow(), world.deps, token)

    person = world.person()
    assert person is not None
    assert done == handlers.Confirmed((TOPIC, RELATED), Language.NB, person.id)
    assert (person.status, person.frequency) == (SubscriberStatus.ACTIVE, Frequency.WEEKLY)
    assert person.confirmed_at == START + timedelta(hours=2)
    assert world.open_topics() == {TOPIC, RELATED}
    assert world.requests_of()[0].confirmed_at == START + timedelta(hours=2)
    entry = world.data.ledger[-1]
    assert (entry.action, entry.channel, entry.token_id) == (
        ConsentAction.CONFIRMED,
        Channel.EMAIL_LINK,
        world.deps.confirmation_token_id(request.id),
    )
    assert (entry.topics, entry.frequency, entry.page) == (
        (TOPIC, RELATED),
        Frequency.WEEKLY,
        "https://www.fhi.no/",
    )
    (event,) = world.data.events(SubscriberConfirmed)
    assert (event.subscriber_id, event.topics, event.frequency) == (
        person.id,
        (TOPIC, RELATED),
        Frequency.WEEKLY,
    )


async def test_an_expired_link_changes_nothing(world: World) -> None:
    assert await world.sign_up()
    token = world.confirm_token()
    world.clock.advance(timedelta(days=7, hours=1))
    before = repr(world.data)
    assert await handlers.pending_confirmation(world.uow(), world.deps, token) is None
    assert await handlers.confirm(world.uow(), world.deps, token) is None
    assert repr(world.data) == before


async def test_a_used_link_works_once(world: World) -> None:
    assert await world.sign_up()
    token = world.confirm_token()
    assert await handlers.confirm(world.uow(), world.deps, token) is not None
    after = repr(world.data)
    assert await handlers.pending_confirmation(world.uow(), world.deps, token) is None
    # Pressed again, it says the sign-up is confirmed already, and confirms nothing more.
    again = await handlers.confirm(world.uow(), world.deps, token)
    assert isinstance(again, handlers.AlreadyConfirmed)
    assert repr(world.data) == after


async def test_a_token_for_another_purpose_or_a_forged_one_confirms_nothing(world: World) -> None:
    await world.subscribed()
    assert await world.sign_up("other@example.no")
    genuine = world.confirm_token("other@example.no")
    before = repr(world.data)
    for token in (world.token("manage"), world.token("unsubscribe"), genuine[:-2] + "AA", "x"):
        assert await handlers.confirm(world.uow(), world.deps, token) is None
    assert repr(world.data) == before


async def test_a_topic_no_longer_offered_is_neither_started_nor_confirmed(world: World) -> None:
    # The confirmation page shows only the topics still offered: the consent recorded is to
    # those; the sign-up's own row keeps what the person asked for.
    assert await world.sign_up(topics=(TOPIC, "retired-topic"))
    token = world.confirm_token()
    pending = await handlers.pending_confirmation(world.uow(), world.deps, token)
    assert pending is not None and pending.topics == (TOPIC,)
    done = await handlers.confirm(world.uow(), world.deps, token)
    assert done is not None
    assert done.topics == (TOPIC,), "what the page showed"
    assert world.open_topics() == {TOPIC}
    requested, confirmed = world.data.ledger[-2:]
    assert requested.topics == (TOPIC, "retired-topic")
    assert (confirmed.action, confirmed.topics) == (ConsentAction.CONFIRMED, (TOPIC,))
    (event,) = world.data.events(SubscriberConfirmed)
    assert event.topics == (TOPIC,)


async def test_a_sign_up_whose_every_topic_has_ended_confirms_nothing(world: World) -> None:
    # It would start no alert, yet record a consent and tell the person they signed up.
    assert await world.sign_up(topics=("retired-topic", "another-retired-topic"))
    token = world.confirm_token()
    before = repr(world.data)

    done = await handlers.confirm(world.uow(), world.deps, token)

    assert done == handlers.TopicsEnded(("another-retired-topic", "retired-topic"))
    assert repr(world.data) == before
    person = world.person()
    assert person is not None and person.confirmed_at is None


async def test_confirming_more_topics_keeps_the_first_confirmation_time(world: World) -> None:
    await world.subscribed(topics=(TOPIC,))
    first = world.person()
    assert first is not None and first.confirmed_at == START
    world.clock.advance(timedelta(days=1))
    assert await world.sign_up(topics=(OTHER, TOPIC), language=Language.EN)
    assert await handlers.confirm(world.uow(), world.deps, world.confirm_token())
    person = world.person()
    assert person is not None
    assert (person.confirmed_at, person.language) == (START, Language.EN)
    assert world.open_topics() == {TOPIC, OTHER}
    assert sum(1 for s in world.data.subscriptions if s.topic == TOPIC) == 1, "not started twice"
    last = world.data.events(SubscriberConfirmed)[-1]
    assert last.topics == (OTHER, TOPIC), "every open topic, sorted"


async def test_a_person_erased_before_confirming_confirms_nothing(world: World) -> None:
    assert await world.sign_up()
    token = world.confirm_token()
    person = world.person()
    assert person is not None
    await world.uow().subscribers.remove(person.id)
    assert await handlers.confirm(world.uow(), world.deps, token) is None
    assert world.data.ledger[-1].action is ConsentAction.REQUESTED


async def test_each_mail_confirms_only_what_it_listed(world: World) -> None:
    assert await world.sign_up(topics=(TOPIC,), frequency=Frequency.DAILY)
    first = world.confirm_token()
    world.clock.advance(timedelta(minutes=5))
    assert await world.sign_up(topics=(OTHER,), frequency=Frequency.WEEKLY, language=Language.EN)
    second = world.confirm_token()

    done = await handlers.confirm(world.uow(), world.deps, first)
    assert isinstance(done, handlers.Confirmed) and done.topics == (TOPIC,)
    person = world.person()
    assert person is not None
    assert (person.frequency, person.language) == (Frequency.DAILY, Language.NB)
    assert world.open_topics() == {TOPIC}
    entry = world.data.ledger[-1]
    assert (entry.action, entry.topics, entry.frequency, entry.language) == (
        ConsentAction.CONFIRMED,
        (TOPIC,),
        Frequency.DAILY,
        Language.NB,
    )
    assert entry.token_id == world.deps.confirmation_token_id(world.requests_of()[0].id)
    assert str(world.requests_of()[0].id) not in repr(entry), "the request's id, only keyed"

    # The newer mail's link still confirms what that mail listed, and only that.
    assert await handlers.confirm(world.uow(), world.deps, second)
    person = world.person()
    assert person is not None
    assert (person.frequency, person.language) == (Frequency.WEEKLY, Language.EN)
    assert world.open_topics() == {TOPIC, OTHER}
    assert world.data.ledger[-1].topics == (OTHER,)


async def test_a_changed_privacy_notice_confirms_nothing(world: World) -> None:
    assert await world.sign_up()
    before = repr(world.data)
    token = world.confirm_token()
    outcome = await handlers.confirm(world.uow(), world.deps, token, notice_version="1999-01-01")
    assert isinstance(outcome, handlers.NoticeChanged)
    assert outcome.pending.notice_version == NOTICES.current("nb").version
    assert repr(world.data) == before
    shown = outcome.pending.notice_version
    done = await handlers.confirm(world.uow(), world.deps, token, notice_version=shown)
    assert isinstance(done, handlers.Confirmed)
    assert world.data.ledger[-1].privacy_version == shown
