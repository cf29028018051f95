"""The pure rules and words of the subscriptions domain, without any store."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import get_args

import pytest

from services.subscriptions.domain.model import SignupForm, Subscriber
from services.subscriptions.domain.preferences import bounced, change_preferences, topics_to_end
from services.subscriptions.domain.signup import merge, new_request, revived
from services.subscriptions.domain.vocabulary import Channel, SubscriberStatus, UnsubscribeRoute
from shared.events import SubscriberUnsubscribed
from shared.vocabulary import Frequency, Language

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


@pytest.mark.parametrize(
    ("minutes_since_mail", "mails_sent", "send"),
    [(0, 1, False), (14, 1, False), (15, 1, True), (60, 2, True), (60, 3, False)],
)
def test_a_merged_sign_up_earns_a_mail_only_now_and_then(
    minutes_since_mail: int, mails_sent: int, send: bool
) -> None:
    sent_at = NOW - timedelta(minutes=minutes_since_mail)
    pending = new_request(
        SignupForm("kari@example.no", ("c", "a"), Frequency.DAILY, Language.NB, "https://x/"),
        request_id=uuid.uuid4(),
        subscriber_id=uuid.uuid4(),
        now=sent_at,
        ttl=TTL,
    )
    pending = replace(pending, mails_sent=mails_sent)
    merged = merge(pending, FORM, now=NOW, ttl=TTL)
    assert merged.send_mail is send
    request = merged.request
    assert request.topics == ("a", "b", "c")
    assert (request.frequency, request.language, request.page) == (
        Frequency.WEEKLY,
        Language.EN,
        "https://x/",
    )
    assert request.mails_sent == mails_sent + (1 if send else 0)
    assert request.expires_at == (NOW if send else sent_at) + TTL


@pytest.mark.parametrize(
    ("before", "confirmed_at", "after"),
    [
        (SubscriberStatus.DISABLED, NOW, SubscriberStatus.ACTIVE),
        (SubscriberStatus.DISABLED, None, SubscriberStatus.PENDING),
        (SubscriberStatus.ACTIVE, NOW, SubscriberStatus.ACTIVE),
        (SubscriberStatus.PENDING, None, SubscriberStatus.PENDING),
    ],
)
def test_a_new_sign_up_revives_only_a_disabled_address(
    before: SubscriberStatus, confirmed_at: datetime | None, after: SubscriberStatus
) -> None:
    someone = person(status=before, confirmed_at=confirmed_at, hard_bounces=2)
    again = revived(someone)
    assert again.status is after
    assert again.hard_bounces == (0 if before is SubscriberStatus.DISABLED else 2)


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
    )
    assert not same.changed
    language_only = change_preferences(
        someone, {"a"}, topics=["a"], known={"a"}, frequency=Frequency.DAILY, language=Language.EN
    )
    assert language_only.changed and language_only.subscriber.language is Language.EN


def test_bounces_disable_at_the_limit() -> None:
    first = bounced(person(), limit=2)
    assert (first.disable, first.subscriber.hard_bounces) == (False, 1)
    second = bounced(first.subscriber, limit=2)
    assert (second.disable, second.subscriber.status) == (True, SubscriberStatus.DISABLED)
