"""Relays that answer what aiosmtpd never would: in Latin-1, with bytes no database takes."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from tests.integration.mailer.faults import ScriptedRelay
from tests.integration.mailer.harness import Harness

KARI = "kari@example.org"
OLA = "ola@example.org"


@pytest.fixture
async def smtp() -> AsyncIterator[ScriptedRelay]:
    relay = ScriptedRelay()
    await relay.start()
    yield relay
    await relay.stop()


async def _two_followers(harness: Harness) -> tuple[uuid.UUID, uuid.UUID]:
    kari = await harness.subscribe(KARI)
    ola = await harness.subscribe(OLA)
    await harness.seeded()
    return kari, ola


async def _bounces(harness: Harness, *people: uuid.UUID) -> list[int]:
    counted = []
    for person in people:
        subscriber = await harness.subscriber(person)
        assert subscriber is not None
        counted.append(subscriber.hard_bounces)
    return counted


async def _later(harness: Harness, hours: int = 3) -> None:
    harness.clock.advance(timedelta(hours=hours))
    await harness.send_all()


async def test_a_refusal_in_latin_1_is_recorded_and_fails_that_mail_alone(
    harness: Harness, smtp: ScriptedRelay
) -> None:
    # An older relay answers in Latin-1. Before, the reply's undecodable bytes could not be
    # written to the ledger: the batch's outcomes were lost, and the refused mails were tried
    # again at every lease, for ever.
    kari, ola = await _two_followers(harness)
    smtp.replies["RCPT"] = "550 5.1.1 Ukjent mottaker på denne tjeneren\r\n".encode("latin-1")
    await harness.change("Norge i verden: endring")
    await harness.send_all()
    await harness.relay()

    alerts = await harness.deliveries("alert")
    assert [d.status for d in alerts] == ["failed", "failed"]
    assert alerts[0].last_error == "SMTP 550: 5.1.1 Ukjent mottaker p\ufffd denne tjeneren"
    assert await _bounces(harness, kari, ola) == [1, 1]
    del smtp.replies["RCPT"]
    await _later(harness)
    assert harness.received() == [], "refused for good: not tried again"


async def test_a_deferral_after_the_dot_in_latin_1_is_retried_and_delivered_once(
    harness: Harness, smtp: ScriptedRelay
) -> None:
    # Refused after its dot, the mail is already recorded as handed over; before, the deferral
    # could not be written over that record, and the mail stayed «sent» though never taken.
    await harness.subscribe(KARI)
    await harness.seeded()
    smtp.after_dot.append("452 4.2.2 Postkassen er full, prøv igjen\x00\r\n".encode("latin-1"))
    await harness.change("Norge i verden: endring")
    await harness.send_all()

    (alert,) = await harness.deliveries("alert")
    assert (alert.status, alert.attempts) == ("queued", 1)
    assert alert.last_error == "SMTP 452: 4.2.2 Postkassen er full, pr\ufffdv igjen"
    await _later(harness)
    assert len(harness.received_by(KARI)) == 1
    assert [d.status for d in await harness.deliveries("alert")] == ["sent"]
