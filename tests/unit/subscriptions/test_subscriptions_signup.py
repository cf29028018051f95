"""Signing up: new, pending, confirmed and disabled addresses, limits and races, in memory."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

import pytest

from services.subscriptions import handlers
from services.subscriptions.domain.model import SignupForm, SignupRequest
from services.subscriptions.domain.vocabulary import Channel, ConsentAction, SubscriberStatus
from services.subscriptions.unit_of_work import NewPerson, Stored, TryAgain
from shared.events import SignupRequested
from shared.tokens import address_hash
from shared.vocabulary import Frequency, Language
from tests.support.notices import NOTICES
from tests.unit.subscriptions.fakes import Data, FakeUnitOfWork
from tests.unit.subscriptions.harness import (
    ADDRESS,
    CLIENT,
    OTHER,
    PER_ADDRESS,
    PER_CLIENT,
    RELATED,
    SECRET,
    START,
    TOPIC,
    World,
)


def mails(world: World) -> list[SignupRequested]:
    """Return the confirmation mails asked for, oldest first."""
    return [e for e in world.data.outbox if isinstance(e, SignupRequested)]


async def test_a_new_address_becomes_a_pending_person_with_one_request_and_mail(
    world: World,
) -> None:
    assert await world.sign_up(topics=(RELATED, TOPIC, RELATED), language=Language.EN)
    person = world.person()
    assert person is not None
    assert (person.status, person.frequency, person.language) == (
        SubscriberStatus.PENDING,
        Frequency.DAILY,
        Language.EN,
    )
    assert (person.created_at, person.confirmed_at, person.hard_bounces) == (START, None, 0)
    (request,) = world.requests_of()
    assert request.topics == (TOPIC, RELATED), "sorted, each once"
    assert (request.frequency, request.language) == (Frequency.DAILY, Language.EN)
    assert request.expires_at == START + timedelta(days=7)
    assert request.privacy_version == NOTICES.current("en").version
    (entry,) = world.data.ledger
    assert entry.action is ConsentAction.REQUESTED
    assert entry.channel is Channel.WEB
    assert entry.subject_hash == address_hash(SECRET, ADDRESS)
    assert entry.privacy_hash == NOTICES.current("en").sha256
    assert (entry.page, entry.token_id, entry.details) == ("https://www.fhi.no/", None, None)
    assert [(m.subscriber_id, m.request_id) for m in mails(world)] == [(person.id, request.id)]


async def test_the_api_is_recorded_as_the_channel(world: World) -> None:
    assert await world.sign_up(channel=Channel.API)
    assert [e.channel for e in world.data.ledger] == [Channel.API]


async def test_signing_up_again_while_pending_makes_a_new_request_with_its_own_mail(
    world: World,
) -> None:
    assert await world.sign_up(topics=(TOPIC,), frequency=Frequency.DAILY)
    world.clock.advance(timedelta(minutes=1))
    assert await world.sign_up(topics=(OTHER,), frequency=Frequency.WEEKLY, language=Language.EN)
    first, second = world.requests_of()
    # The first request is exactly what its mail listed; the second has a mail of its own.
    assert (first.topics, first.frequency, first.language) == ((TOPIC,), Frequency.DAILY, "nb")
    assert first.expires_at == START + timedelta(days=7)
    assert (second.topics, second.frequency, second.language) == (
        (OTHER,),
        Frequency.WEEKLY,
        Language.EN,
    )
    assert [m.request_id for m in mails(world)] == [first.id, second.id]
    assert [(e.action, e.topics) for e in world.data.ledger] == [
        (ConsentAction.REQUESTED, (TOPIC,)),
        (ConsentAction.REQUESTED, (OTHER,)),
    ]
    person = world.person()
    assert person is not None
    assert (person.frequency, person.language) == (Frequency.DAILY, Language.NB), (
        "the person's own settings wait for a confirmation"
    )


async def test_every_sign_up_is_mailed_until_the_limit_per_address(world: World) -> None:
    for n in range(PER_ADDRESS):
        assert await world.sign_up(client=f"192.0.2.{n}")
    assert not await world.sign_up(client="198.51.100.1")
    requests = world.requests_of()
    assert len(requests) == PER_ADDRESS
    assert [m.request_id for m in mails(world)] == [r.id for r in requests]


async def test_a_sign_up_after_the_request_expired_starts_a_new_one(world: World) -> None:
    assert await world.sign_up()
    world.clock.advance(timedelta(days=7))
    assert await world.sign_up(topics=(OTHER,))
    first, second = world.requests_of()
    assert (first.topics, second.topics) == ((TOPIC,), (OTHER,))
    assert [m.request_id for m in mails(world)] == [first.id, second.id]
    assert len(world.data.subscribers) == 1


async def test_a_confirmed_address_gets_a_new_request_and_keeps_its_alerts(world: World) -> None:
    await world.subscribed(topics=(TOPIC,))
    before = world.person()
    assert await world.sign_up(topics=(OTHER,), frequency=Frequency.WEEKLY, language=Language.EN)
    assert world.person() == before, "someone else's sign-up changes nothing of the person"
    assert world.open_topics() == {TOPIC}
    confirmed, new = world.requests_of()
    assert confirmed.confirmed_at is not None and new.confirmed_at is None
    assert new.topics == (OTHER,)
    assert mails(world)[-1].request_id == new.id


@pytest.mark.parametrize("confirmed", [True, False])
async def test_a_sign_up_leaves_a_disabled_address_disabled_until_it_confirms(
    world: World, confirmed: bool
) -> None:
    if confirmed:
        await world.subscribed()
    else:
        assert await world.sign_up()
    person = world.person()
    assert person is not None
    disabled = replace(person, status=SubscriberStatus.DISABLED, hard_bounces=3)
    world.data.subscribers[person.id] = disabled
    world.clock.advance(timedelta(days=1))
    assert await world.sign_up(topics=(OTHER,))
    assert world.person() == disabled, "a form proves nothing about the mailbox"
    assert mails(world)[-1].request_id == world.requests_of()[-1].id

    assert await handlers.confirm(world.uow(), world.deps, world.confirm_token())
    again = world.person()
    assert again is not None
    assert (again.status, again.hard_bounces) == (SubscriberStatus.ACTIVE, 0)
    assert OTHER in world.open_topics()


async def test_over_the_limit_per_address_nothing_is_kept(world: World) -> None:
    for n in range(PER_ADDRESS):
        world.clock.advance(timedelta(minutes=1))
        assert await world.sign_up(client=f"192.0.2.{n}")
    before = world.data.ledger.copy(), world.requests_of(), world.data.outbox.copy()
    assert not await world.sign_up(client="198.51.100.1")
    assert (world.data.ledger, world.requests_of(), world.data.outbox) == before


async def test_over_the_limit_per_client_a_new_address_is_not_stored(world: World) -> None:
    for n in range(PER_CLIENT):
        assert await world.sign_up(f"person{n}@example.no")
    assert not await world.sign_up("one-too-many@example.no")
    assert world.person("one-too-many@example.no") is None
    assert len(world.data.subscribers) == PER_CLIENT
    assert len(world.data.ledger) == PER_CLIENT


class _RacingUnitOfWork(FakeUnitOfWork):
    """The address was erased between the sign-up's insert and its read of the known person."""

    def __init__(self, data: Data, races: int) -> None:
        super().__init__(data)
        self._races = [True] * races

    async def add_new_person(self, new: NewPerson) -> Stored:
        if self._races:
            self._races.pop()
            raise TryAgain("the address was erased between the insert and the read")
        return await super().add_new_person(new)


FORM = SignupForm(ADDRESS, (TOPIC,), Frequency.DAILY, Language.NB, None)


async def test_an_address_erased_during_its_sign_up_is_signed_up_again_once(world: World) -> None:
    assert await handlers.sign_up(_RacingUnitOfWork(world.data, 1), world.deps, FORM, CLIENT)
    assert world.person() is not None
    assert len(world.requests_of()) == 1
    assert len(mails(world)) == 1


async def test_a_sign_up_that_races_twice_fails_and_keeps_nothing(world: World) -> None:
    with pytest.raises(TryAgain):
        await handlers.sign_up(_RacingUnitOfWork(world.data, 2), world.deps, FORM, CLIENT)
    assert world.data == Data()


def test_a_request_is_open_until_confirmed_or_expired() -> None:
    request = SignupRequest(
        id=uuid.uuid4(),
        subscriber_id=uuid.uuid4(),
        topics=(TOPIC,),
        frequency=Frequency.DAILY,
        language=Language.NB,
        page=None,
        privacy_version="v",
        created_at=START,
        expires_at=START + timedelta(days=7),
    )
    assert request.open_at(START + timedelta(days=7) - timedelta(seconds=1))
    assert not request.open_at(START + timedelta(days=7))
    assert not replace(request, confirmed_at=START).open_at(START)


class _KeptThenLost(FakeUnitOfWork):
    """The first try is kept, but its connection drops before the app learns so."""

    lost = False

    async def add_new_person(self, new: NewPerson) -> Stored:
        kept = await super().add_new_person(new)
        if not self.lost:
            self.lost = True
            raise TryAgain("the server dropped the connection")
        return kept


async def test_a_kept_sign_up_whose_answer_was_lost_is_not_stored_again(world: World) -> None:
    assert await handlers.sign_up(_KeptThenLost(world.data), world.deps, FORM, CLIENT)
    assert world.person() is not None
    assert len(world.requests_of()) == 1
    assert len(mails(world)) == 1
