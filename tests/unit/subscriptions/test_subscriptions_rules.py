"""The pure rules and words of the subscriptions domain, without any store."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import get_args

import pytest

from services.subscriptions.domain.consent import consent_entry
from services.subscriptions.domain.model import SignupForm, Subscriber
from services.subscriptions.domain.preferences import bounced, change_preferences, topics_to_end
from services.subscriptions.domain.signup import confirmed, new_request
from services.subscriptions.domain.vocabulary import (
    Channel,
    ConsentAction,
    SubscriberStatus,
    UnsubscribeRoute,
)
from shared.events import SubscriberUnsubscribed
from shared.vocabulary import Frequency, Language
from tests.support.notices import NOTICES

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
TTL = timedelta(days=7)
FORM = SignupForm("kari@example.no", ("b", "a"), Frequency.WEEKLY, Language.EN, None)


def person(**changes: object) -> Subscriber:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "email": "kari@example.no",
        "language": Language.NB,
        "frequency": Frequency.DAILY,
        "status": SubscriberStatus.ACTIVE,
        "created_at": NOW,
        "confirmed_at": NOW,
        "hard_bounces": 0,
    }
    return Subscriber(**{**values, **changes})  # type: ignore[arg-type]


def test_every_unsubscribe_route_is_a_word_of_the_event_and_a_channel() -> None:
    literal = SubscriberUnsubscribed.model_fields["route"].annotation
    assert set(get_args(literal)) == {r.value for r in UnsubscribeRoute}
    assert {Channel.of_route(r).value for r in UnsubscribeRoute} == {
        r.value for r in UnsubscribeRoute
    }


def test_a_request_keeps_what_its_form_said() -> None:
    request = new_request(
        FORM,
        request_id=uuid.uuid4(),
        subscriber_id=uuid.uuid4(),
        now=NOW,
        ttl=TTL,
        privacy_version="2026-12-01.0123456789ab",
    )
    assert request.topics == ("a", "b")
    assert (request.frequency, request.language, request.page) == (
        Frequency.WEEKLY,
        Language.EN,
        None,
    )
    assert (request.created_at, request.expires_at, request.confirmed_at) == (NOW, NOW + TTL, None)


@pytest.mark.parametrize(
    ("before", "confirmed_at", "bounces_after"),
    [
        (SubscriberStatus.DISABLED, NOW, 0),
        (SubscriberStatus.DISABLED, None, 0),
        (SubscriberStatus.ACTIVE, NOW, 2),
        (SubscriberStatus.PENDING, None, 2),
    ],
)
def test_confirming_makes_a_person_active_and_only_a_disabled_one_starts_counting_again(
    before: SubscriberStatus, confirmed_at: datetime | None, bounces_after: int
) -> None:
    someone = person(status=before, confirmed_at=confirmed_at, hard_bounces=2)
    request = new_request(
        FORM,
        request_id=uuid.uuid4(),
        subscriber_id=someone.id,
        now=NOW,
        ttl=TTL,
        privacy_version="v",
    )
    later = NOW + timedelta(hours=1)
    after = confirmed(someone, request, now=later)
    assert after.status is SubscriberStatus.ACTIVE
    assert after.hard_bounces == bounces_after
    assert after.confirmed_at == (confirmed_at or later), "the first confirmation time stays"
    assert (after.frequency, after.language) == (Frequency.WEEKLY, Language.EN)


def test_topics_to_end() -> None:
    assert topics_to_end({"a", "b"}, None) == {"a", "b"}
    assert topics_to_end({"a", "b"}, ["b", "c"]) == {"b"}
    assert topics_to_end(set(), None) == frozenset()


def test_a_preference_change_names_what_starts_ends_and_whether_anything_changed() -> None:
    someone = person()
    change = change_preferences(
        someone,
        {"a", "b"},
        topics=["b", "c", "unknown"],
        known={"a", "b", "c"},
        frequency=Frequency.DAILY,
        language=Language.NB,
        now=NOW,
    )
    assert (change.wanted, change.ended, change.started, change.changed) == (
        {"b", "c"},
        {"a"},
        ("c",),
        True,
    )
    same = change_preferences(
        someone,
        {"a"},
        topics=["a"],
        known={"a"},
        frequency=Frequency.DAILY,
        language=Language.NB,
        now=NOW,
    )
    assert not same.changed
    language_only = change_preferences(
        someone,
        {"a"},
        topics=["a"],
        known={"a"},
        frequency=Frequency.DAILY,
        language=Language.EN,
        now=NOW,
    )
    assert language_only.changed and language_only.subscriber.language is Language.EN


def test_a_digests_window_begins_when_the_person_last_moved_between_alerts_and_digests() -> None:
    # docs/decisions/0016, point 7: a digest tells nothing from before that moment.
    began = NOW - timedelta(days=3)
    someone = person(frequency=Frequency.IMMEDIATE, frequency_since=began)
    assert someone.frequency_since_at(Frequency.DAILY, NOW) == NOW
    assert someone.frequency_since_at(Frequency.IMMEDIATE, NOW) == began
    daily = person(frequency=Frequency.DAILY, frequency_since=began)
    assert daily.frequency_since_at(Frequency.WEEKLY, NOW) == began, "daily and weekly are one"
    assert daily.frequency_since_at(Frequency.IMMEDIATE, NOW) == NOW
    waiting = person(status=SubscriberStatus.PENDING, frequency_since=None)
    assert waiting.frequency_since_at(Frequency.WEEKLY, NOW) == NOW, "a confirmation begins it"


def test_bounces_disable_at_the_limit() -> None:
    first = bounced(person(), limit=2)
    assert (first.disable, first.subscriber.hard_bounces) == (False, 1)
    second = bounced(first.subscriber, limit=2)
    assert (second.disable, second.subscriber.status) == (True, SubscriberStatus.DISABLED)


def test_a_ledger_entry_names_each_topic_once() -> None:
    # A form or request that repeats a topic gives one consent to it, not many.
    entry = consent_entry(
        subject_hash="h",
        action=ConsentAction.REQUESTED,
        topics=["b", "a", "b", "b"],
        channel=Channel.WEB,
        occurred_at=NOW,
        notice=NOTICES.current("nb"),
    )
    assert entry.topics == ("a", "b")


def test_a_preference_change_leaves_topics_no_longer_offered_as_they_were() -> None:
    # The form never offered them: unticked there is no withdrawal, nor a change.
    kept = change_preferences(
        person(),
        {"a", "ended"},
        topics=["a"],
        known={"a", "b"},
        frequency=Frequency.DAILY,
        language=Language.NB,
        now=NOW,
    )
    assert (kept.ended, kept.changed, kept.following) == (set(), False, {"a", "ended"})
    moved = change_preferences(
        person(),
        {"a", "ended"},
        topics=["b"],
        known={"a", "b"},
        frequency=Frequency.DAILY,
        language=Language.NB,
        now=NOW,
    )
    assert (moved.wanted, moved.ended, moved.started) == ({"b"}, {"a"}, ("b",))
    assert moved.following == {"b", "ended"}
