"""SMTP failures: deferrals, refusals, dropped connections, a server that is down, hard bounces."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from services.mailer.adapters.tables import Delivery
from services.subscriptions.adapters.tables import ConsentRecord, Subscription
from shared.outbox import OutboxRow
from tests.integration.mailer.faults import DroppingMailbox, LoopbackSmtp
from tests.integration.mailer.harness import BOUNCE_LIMIT, Harness, on

ADDRESS = "kari@example.org"


async def _one_alert(harness: Harness) -> None:
    await harness.subscribe(ADDRESS)
    await harness.seeded()
    await harness.change("Norge i verden: ny rapport")


@pytest.mark.parametrize(
    ("database_url", "reply"),
    [
        ("sqlite", "452 4.2.2 mailbox full"),
        ("sqlite", "451 4.3.0 try later"),
        ("postgresql", "451 4.3.0 try later"),
    ],
    indirect=["database_url"],
)
async def test_a_deferral_is_retried_with_backoff_and_delivered_once(
    harness: Harness, reply: str
) -> None:
    await _one_alert(harness)
    harness.mailbox.scripted.extend([reply, reply])

    await harness.send_all()
    assert harness.received() == []
    (delivery,) = await harness.deliveries("alert")
    assert (delivery.status, delivery.attempts) == ("queued", 1)
    await harness.send_all()
    assert harness.received() == [], "the retry waits for its back-off"

    harness.clock.advance(timedelta(seconds=30))
    await harness.send_all()
    assert harness.received() == [], "the second deferral"
    harness.clock.advance(timedelta(seconds=60))
    await harness.send_all()
    harness.clock.advance(timedelta(hours=3))
    await harness.send_all()

    assert len(harness.received_by(ADDRESS)) == 1
    (delivery,) = await harness.deliveries("alert")
    assert (delivery.status, delivery.attempts) == ("sent", 2)


async def test_a_refusal_fails_for_good_keeps_no_address_and_counts_a_bounce(
    harness: Harness,
) -> None:
    subscriber_id = await harness.subscribe(ADDRESS)
    await harness.seeded()
    harness.mailbox.scripted.append(f"550 5.1.1 <{ADDRESS}>: no such user")
    await harness.change("Norge i verden: ny rapport")

    await harness.send_all()
    harness.clock.advance(timedelta(days=1))
    await harness.send_all()

    assert harness.received() == []
    (delivery,) = await harness.deliveries("alert")
    assert delivery.status == "failed"
    assert delivery.last_error is not None and "550" in delivery.last_error
    assert ADDRESS not in delivery.last_error
    subscriber = await harness.subscriber(subscriber_id)
    assert subscriber is not None
    assert (subscriber.hard_bounces, subscriber.status) == (1, "active")


async def test_a_connection_dropped_mid_data_is_retried_and_delivered_once(
    harness: Harness,
) -> None:
    await _one_alert(harness)
    assert isinstance(harness.mailbox, DroppingMailbox)
    harness.mailbox.drops = 1

    await harness.send_all()
    assert harness.received() == []
    harness.clock.advance(timedelta(minutes=1))
    await harness.send_all()
    harness.clock.advance(timedelta(hours=1))
    await harness.send_all()

    assert len(harness.received_by(ADDRESS)) == 1
    (delivery,) = await harness.deliveries("alert")
    assert delivery.status == "sent"


async def test_mail_waits_while_the_server_is_down_and_goes_once_it_is_back(
    harness: Harness, smtp: LoopbackSmtp
) -> None:
    addresses = [f"person{i}@example.org" for i in range(5)]
    for address in addresses:
        await harness.subscribe(address)
    await harness.seeded()
    smtp.stop()
    await harness.change("Norge i verden: ny rapport")

    for _ in range(20):  # a long outage: many passes, none of them may use up attempts
        await harness.send_all()
        harness.clock.advance(timedelta(minutes=5))
    alerts = await harness.deliveries("alert")
    assert {(d.status, d.attempts) for d in alerts} == {("queued", 0)}

    smtp.start()
    harness.clock.advance(timedelta(minutes=1))
    await harness.send_all()
    harness.clock.advance(timedelta(hours=2))
    await harness.send_all()

    assert sorted(r for m in harness.received() for r in m.recipients) == sorted(addresses)
    assert {d.status for d in await harness.deliveries("alert")} == {"sent"}


async def test_repeated_hard_bounces_disable_the_address_and_end_its_alerts(
    harness: Harness,
) -> None:
    subscriber_id = await harness.subscribe(ADDRESS, topics=("norge-i-verden", "vaksiner"))
    await harness.subscribe("other@example.org")
    await harness.seeded()

    for n in range(BOUNCE_LIMIT):
        harness.mailbox.scripted.append("550 5.1.1 no such user")
        await harness.change(f"Vaksiner: endring {n}", topics=("vaksiner",))
        await harness.send_all()
        await harness.relay()

    subscriber = await harness.subscriber(subscriber_id)
    assert subscriber is not None
    assert (subscriber.status, subscriber.hard_bounces) == ("disabled", BOUNCE_LIMIT)
    async with harness.runtime.sessions() as session:
        reasons = (
            await session.scalars(
                select(Subscription.ended_reason).where(Subscription.subscriber_id == subscriber_id)
            )
        ).all()
        ledger = (
            await session.scalars(select(ConsentRecord).where(ConsentRecord.channel == "bounce"))
        ).all()
    assert reasons == ["bounce", "bounce"]
    assert [(r.action, sorted(r.topics)) for r in ledger] == [
        ("unsubscribed", ["norge-i-verden", "vaksiner"])
    ]

    await harness.change("Norge i verden: etter sperringen")
    await harness.send_all()
    assert [m.recipients for m in harness.received()] == [["other@example.org"]]


@on("sqlite")
async def test_one_bounce_event_counts_once_even_if_relayed_twice(harness: Harness) -> None:
    subscriber_id = await harness.subscribe(ADDRESS)
    await harness.seeded()
    harness.mailbox.scripted.append("550 5.1.1 no such user")
    await harness.change("Norge i verden: ny rapport")
    await harness.send_all()
    await harness.relay()

    async with harness.runtime.sessions() as session, session.begin():
        rows = (
            await session.scalars(
                select(OutboxRow).where(OutboxRow.event_type == "subscriber.bounced.v1")
            )
        ).all()
        assert len(rows) == 1
        rows[0].published_at = None  # the relay died before marking it published
    await harness.relay()

    subscriber = await harness.subscriber(subscriber_id)
    assert subscriber is not None and subscriber.hard_bounces == 1


async def test_a_delivery_whose_reference_cannot_be_read_fails_and_the_rest_still_go(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    await _one_alert(harness)
    (alert,) = await harness.deliveries("alert")
    async with harness.runtime.sessions() as session, session.begin():
        broken = await session.get(Delivery, alert.id)
        assert broken is not None
        broken.reference = {"change": "no longer a change id"}
    await harness.change("Norge i verden: ny tabell")

    await harness.send_all()

    assert len(harness.received_by(ADDRESS)) == 1, "the readable alert still goes"
    first, second = await harness.deliveries("alert")
    assert (first.status, second.status) == ("failed", "sent")
    assert first.last_error is not None and "not a 'alert' delivery reference" in first.last_error
    assert f"delivery {first.id} cannot be read" in caplog.text
    await harness.send_all()
    assert len(harness.received()) == 1, "a failed delivery is not claimed again"


async def test_a_reference_stored_as_no_reference_fails_alone_and_the_claims_go_on(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    await _one_alert(harness)
    for title in ("ny tabell", "nytt kart", "ny figur"):
        await harness.change(f"Norge i verden: {title}")
    *damaged, good = await harness.deliveries("alert")
    # What a hand edit or a damaged file can leave: JSON of the wrong shape, JSON nested past
    # what a reader follows, and, where the column is plain text (SQLite), no JSON at all and
    # bytes that are not even UTF-8.
    nested = "[" * 5_000 + "]" * 5_000  # Python reads about a thousand levels
    if harness.runtime.engine.dialect.name == "sqlite":
        stored: list[str | bytes] = ["{not json", nested, b"\xff\xfe{}"]
    else:
        stored = ["[1, 2]", nested, "null"]
    async with harness.runtime.engine.begin() as connection:
        for delivery, value in zip(damaged, stored, strict=True):
            await connection.execute(
                text("UPDATE mail_deliveries SET reference = :stored WHERE id = :id"),
                {"stored": value, "id": delivery.id},
            )

    await harness.send_all()

    assert len(harness.received_by(ADDRESS)) == 1, "the readable alert still goes"
    async with harness.runtime.engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT id, status, last_error FROM mail_deliveries WHERE kind = 'alert'")
        )
        found = {delivery_id: (status, error) for delivery_id, status, error in rows}
    assert found[good.id] == ("sent", None)
    for delivery in damaged:
        status, error = found[delivery.id]
        assert status == "failed" and "not a 'alert' delivery reference" in error
        assert f"delivery {delivery.id} cannot be read" in caplog.text
