"""The ledger's vocabulary: references keep their stored form, outcomes decide the next try."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import get_args
from zoneinfo import ZoneInfo

import pytest

from services.mailer.domain.ledger import (
    STAFF_KINDS,
    AlertReference,
    Batch,
    BulletinTestReference,
    ConfirmReference,
    DeliveryKind,
    DeliveryStatus,
    DigestReference,
    ManageLinkReference,
    OperatorNoticeReference,
    ReviewReminderReference,
    decode_reference,
    encode_reference,
)
from services.mailer.domain.outcomes import MAX_ATTEMPTS, SERVER_RETRY, OutcomeKind, next_step
from services.mailer.domain.periods import period_ending_at_or_before
from shared.events import (
    Event,
    SubscriberBounced,
    SubscriberBounceReported,
    SubscriberComplained,
)
from shared.vocabulary import Frequency

OSLO = ZoneInfo("Europe/Oslo")
NOW = datetime(2026, 11, 23, 7, tzinfo=UTC)
CHANGE = uuid.UUID("6f1c1d2e-8a43-4f0e-9b52-3d8f1f4b2a10")
REQUEST = uuid.UUID("0b7f6c1a-2d3e-4f50-8a9b-c1d2e3f40516")
WEEK = period_ending_at_or_before(Frequency.WEEKLY, NOW, tz=OSLO, hour=7, weekday=0)


# What rows queued before the references were typed hold: each must still be read.
STORED = [
    (DeliveryKind.CONFIRM, {"request_id": str(REQUEST)}, ConfirmReference(REQUEST)),
    (DeliveryKind.MANAGE_LINK, {}, ManageLinkReference()),
    (DeliveryKind.ALERT, {"change_id": str(CHANGE)}, AlertReference(CHANGE)),
    (
        DeliveryKind.DIGEST,
        {"frequency": "weekly", "start": WEEK.start.isoformat(), "end": WEEK.end.isoformat()},
        DigestReference(Frequency.WEEKLY, WEEK.start, WEEK.end),
    ),
    (
        DeliveryKind.OPERATOR_NOTICE,
        {
            "event_id": str(REQUEST),
            "index": "1",
            "state": "recovered",
            "source_url": "https://www.fhi.no/",
            "title": "FHI",
            "failures": "4",
            "last_error": "HTTP 503",
        },
        OperatorNoticeReference(REQUEST, 1, False, "https://www.fhi.no/", "FHI", 4, "HTTP 503"),
    ),
    (
        DeliveryKind.REVIEW_REMINDER,
        {"change_id": str(CHANGE), "user_id": "7"},
        ReviewReminderReference(CHANGE, 7),
    ),
    (
        DeliveryKind.BULLETIN_TEST,
        {
            "request_id": str(REQUEST),
            "index": "1",
            "user_id": "7",
            "language": "nb",
            "subject": "Stengt i julen",
            "body": "Kontoret er **stengt**.\n\nVi åpner 2. januar.",
            "topics": "norge-i-verden vaksiner",
        },
        BulletinTestReference(
            REQUEST,
            1,
            7,
            "nb",
            "Stengt i julen",
            "Kontoret er **stengt**.\n\nVi åpner 2. januar.",
            ("norge-i-verden", "vaksiner"),
        ),
    ),
]


@pytest.mark.parametrize(("kind", "stored", "reference"), STORED)
def test_a_reference_reads_and_writes_the_form_the_ledger_stores(
    kind: DeliveryKind, stored: dict[str, str], reference: object
) -> None:
    decoded = decode_reference(kind, stored)
    assert decoded == reference and decoded.kind is kind
    assert encode_reference(decoded) == stored


@pytest.mark.parametrize(
    ("kind", "stored"),
    [
        ("alert", {}),
        ("alert", {"change_id": "not a uuid"}),
        ("digest", {"frequency": "hourly", "start": NOW.isoformat(), "end": NOW.isoformat()}),
        ("confirm", {"request": str(REQUEST)}),
        ("review_reminder", {"change_id": str(CHANGE), "user_id": "redaktor"}),
        ("postcard", {}),
    ],
)
def test_a_reference_that_is_not_one_says_so(kind: str, stored: dict[str, str]) -> None:
    with pytest.raises(ValueError, match=kind):
        decode_reference(kind, stored)


def test_a_digest_reference_gives_back_its_period() -> None:
    batch = Batch.digest(WEEK)
    assert batch.key == WEEK.key == "weekly:2026-11-23T07:00+01:00"
    assert Batch.digest(WEEK, "weekly:2026-W48").key == "weekly:2026-W48"
    assert isinstance(batch.reference, DigestReference)
    assert batch.reference.period(OSLO) == WEEK


def test_batch_keys_make_one_mail_per_person_and_thing() -> None:
    event = uuid.uuid4()
    assert Batch.alert(CHANGE).key == f"change:{CHANGE}"
    assert Batch.alert(CHANGE) == Batch.alert(CHANGE)
    assert Batch.confirm(REQUEST, event).key == f"confirm:{REQUEST}:{event}"
    assert Batch.manage_link(event).key == f"manage:{event}"
    assert [b.kind for b in (Batch.confirm(REQUEST, event), Batch.manage_link(event))] == [
        DeliveryKind.CONFIRM,
        DeliveryKind.MANAGE_LINK,
    ]


@pytest.mark.parametrize(
    "event", [SubscriberBounced, SubscriberBounceReported, SubscriberComplained]
)
def test_the_bounce_events_name_exactly_the_kinds_of_mail_to_subscribers(
    event: type[Event],
) -> None:
    # Staff notices have no subscriber, so no bounce of theirs becomes such an event.
    annotation = event.model_fields["kind"].annotation
    assert set(get_args(annotation)) == set(DeliveryKind) - STAFF_KINDS


def test_a_server_that_is_down_costs_the_mail_no_attempt() -> None:
    step = next_step(OutcomeKind.HELD, 2, NOW)
    assert (step.status, step.attempts, step.next_attempt_at) == (
        DeliveryStatus.QUEUED,
        2,
        NOW + SERVER_RETRY,
    )


def test_a_mail_handed_back_at_shutdown_is_due_at_once() -> None:
    step = next_step(OutcomeKind.RELEASED, 0, NOW)
    assert (step.status, step.attempts, step.next_attempt_at) == (DeliveryStatus.QUEUED, 0, NOW)


def test_a_deferred_mail_backs_off_then_fails_for_good() -> None:
    first = next_step(OutcomeKind.RETRY, 0, NOW)
    later = next_step(OutcomeKind.RETRY, 3, NOW)
    assert first.status == later.status == DeliveryStatus.QUEUED
    assert (first.deferred_by, later.deferred_by) == (timedelta(seconds=30), timedelta(seconds=240))
    last = next_step(OutcomeKind.RETRY, MAX_ATTEMPTS - 1, NOW)
    assert (last.status, last.attempts, last.failed_for_good) == (
        DeliveryStatus.FAILED,
        MAX_ATTEMPTS,
        True,
    )


@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        (OutcomeKind.BOUNCED, DeliveryStatus.FAILED),
        (OutcomeKind.FAILED, DeliveryStatus.FAILED),
        (OutcomeKind.DROPPED, DeliveryStatus.DROPPED),
        (OutcomeKind.RHYTHM, DeliveryStatus.DROPPED),
    ],
)
def test_a_mail_that_cannot_go_is_finished(outcome: OutcomeKind, status: DeliveryStatus) -> None:
    step = next_step(outcome, 1, NOW)
    assert (step.status, step.attempts, step.deferred_by) == (status, 2, None)
