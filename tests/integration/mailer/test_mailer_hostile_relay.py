"""Relays that answer what aiosmtpd never would: a refused sender, Latin-1, a reply out of turn,
421 mid-session, a refusal that is about the mail or the relay rather than the person's address."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

import pytest

from tests.integration.mailer.faults import ScriptedRelay, smtp
from tests.integration.mailer.harness import Harness, on

__all__ = ["smtp"]  # the fixture, used by name: a relay written by hand

KARI = "kari@example.org"
OLA = "ola@example.org"


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


@pytest.mark.parametrize(
    ("command", "reply"),
    [("RCPT", b"2x0 what\r\n"), ("DATA", b"250 2.0.0 Ok\r\n"), ("MAIL", b"\r\n")],
    ids=["garbled-code", "250-instead-of-354", "empty-line"],
)
@on("sqlite")
async def test_a_reply_out_of_turn_is_tried_again_not_failed(
    harness: Harness, smtp: ScriptedRelay, command: str, reply: bytes
) -> None:
    # Before, a reply whose code answered nothing asked failed the mail for good.
    await harness.subscribe(KARI)
    await harness.seeded()
    smtp.replies[command] = reply
    await harness.change("Norge i verden: endring")
    await harness.send_all()

    (alert,) = await harness.deliveries("alert")
    assert (alert.status, alert.attempts) == ("queued", 1)
    assert alert.last_error is not None and "out of turn" in alert.last_error
    del smtp.replies[command]
    await _later(harness)
    assert len(harness.received_by(KARI)) == 1


@on("sqlite")
async def test_a_reply_nobody_asked_for_is_not_taken_as_the_next_mails(
    harness: Harness, smtp: ScriptedRelay, caplog: pytest.LogCaptureFixture
) -> None:
    # The relay answers one final dot twice, the second time with a refusal. Before, the next
    # mail on that connection read the refusal as its own: counted as Ola's bounce.
    caplog.set_level(logging.INFO)
    kari, ola = await _two_followers(harness)
    harness.mailer.worker._concurrency = 1  # one connection: Ola's mail follows Kari's on it
    smtp.after_dot.append(b"250 2.0.0 queued\r\n550 5.1.1 no such user here\r\n")
    await harness.change("Norge i verden: endring")
    await harness.send_all()
    await harness.relay()

    assert len(harness.received_by(KARI)) == len(harness.received_by(OLA)) == 1
    assert await _bounces(harness, kari, ola) == [0, 0]
    assert [d.status for d in await harness.deliveries("alert")] == ["sent", "sent"]


async def test_a_relay_that_refuses_the_sender_holds_the_mail_and_counts_no_bounce(
    harness: Harness, smtp: ScriptedRelay, caplog: pytest.LogCaptureFixture
) -> None:
    # A relay that will not take varsel's envelope sender (a bounce domain it does not relay
    # for, a login it wants): before, every mail failed for good as its recipient's bounce, and
    # three alerts ended everyone's alerts.
    caplog.set_level(logging.INFO)
    people = await _two_followers(harness)
    smtp.replies["MAIL"] = b"553 5.7.1 <bounces@fhi.no>: Sender address rejected: not owned\r\n"
    for n in range(4):
        await harness.change(f"Norge i verden: endring {n}")
        await harness.send_all()
        await harness.relay()
        harness.clock.advance(timedelta(minutes=10))

    assert await _bounces(harness, *people) == [0, 0]
    alerts = await harness.deliveries("alert")
    assert {(d.status, d.attempts) for d in alerts} == {("queued", 0)}
    stopped = [r.getMessage() for r in caplog.records if "sending stopped" in r.getMessage()]
    assert len(stopped) == 1, stopped
    assert "refuses the envelope sender" in stopped[0] and "553" in stopped[0]
    assert "@" not in stopped[0]
    assert not [r for r in caplog.records if "failed for good" in r.getMessage()]

    del smtp.replies["MAIL"]
    await _later(harness, hours=1)
    assert len(harness.received_by(KARI)) == len(harness.received_by(OLA)) == 4
    assert {d.status for d in await harness.deliveries("alert")} == {"sent"}
    assert "sending resumed" in caplog.text


@pytest.mark.parametrize("command", ["MAIL", "RCPT", "DATA-END"])
@on("sqlite")
async def test_a_relay_closing_mid_session_holds_the_mail_without_using_its_tries(
    harness: Harness, smtp: ScriptedRelay, caplog: pytest.LogCaptureFixture, command: str
) -> None:
    # A relay that greets but answers every mail "421 closing" (shutting down, overloaded) for
    # three hours. Before, each mail used up a try at every answer and failed for good after
    # about two hours, with a warning line for each mail at each try.
    caplog.set_level(logging.INFO)
    await _two_followers(harness)
    closing = b"421 4.3.2 Service shutting down, closing transmission channel\r\n"
    await harness.change("Norge i verden: endring")
    for _ in range(36):
        if command == "DATA-END":
            smtp.after_dot[:] = [closing, closing]
        else:
            smtp.replies[command] = closing
        await harness.send_all()
        harness.clock.advance(timedelta(minutes=5))

    assert harness.received() == []
    alerts = await harness.deliveries("alert")
    assert {(d.status, d.attempts) for d in alerts} == {("queued", 0)}
    warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warned) == 1 and "sending stopped: the SMTP server is closing" in warned[0], warned

    smtp.replies.clear()
    smtp.after_dot.clear()
    await harness.send_all()
    assert len(harness.received_by(KARI)) == len(harness.received_by(OLA)) == 1
    assert "sending resumed" in caplog.text


@pytest.mark.parametrize(
    ("command", "reply"),
    [
        ("RCPT", "554 5.7.1 <kari@example.org>: Relay access denied\r\n"),
        ("DATA-END", "552 Message size exceeds fixed maximum message size\r\n"),
        ("DATA-END", "550 5.7.1 Message rejected as spam by Content Filtering\r\n"),
        ("DATA-END", "552 5.3.4 Message too big for system\r\n"),
        # Multi-line, the status only on the last line, where the code is read (RFC 5321
        # 4.2.1; Postfix reads both there). Before, the first line's missing status counted
        # it as the address's bounce.
        ("RCPT", "554-Mail from your network is refused\r\n554 5.7.1 See our policy\r\n"),
    ],
    ids=["relay-denied", "size", "spam", "too-big", "policy-on-the-last-line"],
)
@on("sqlite")
async def test_a_refusal_that_is_not_about_the_address_fails_the_mail_and_counts_nothing(
    harness: Harness, smtp: ScriptedRelay, command: str, reply: str
) -> None:
    # Before, any 5xx counted as the recipient's bounce: a relay that does not relay for varsel,
    # or a digest too large for someone's provider, ended their alerts after three mails.
    kari = await harness.subscribe(KARI)
    await harness.seeded()
    for n in range(3):
        if command == "RCPT":
            smtp.replies["RCPT"] = reply.encode()
        else:
            smtp.after_dot.append(reply.encode())
        await harness.change(f"Norge i verden: endring {n}")
        await harness.send_all()
        await harness.relay()

    assert await _bounces(harness, kari) == [0]
    alerts = await harness.deliveries("alert")
    assert [d.status for d in alerts] == ["failed"] * 3
    assert all(d.last_error and reply[:3] in d.last_error for d in alerts)
    assert all(d.last_error and "kari" not in d.last_error for d in alerts)


@on("sqlite")
async def test_a_refusal_of_the_address_still_counts(harness: Harness, smtp: ScriptedRelay) -> None:
    kari = await harness.subscribe(KARI)
    await harness.seeded()
    smtp.replies["RCPT"] = b"550 5.1.1 <kari@example.org>: Recipient address rejected\r\n"
    await harness.change("Norge i verden: endring")
    await harness.send_all()
    await harness.relay()
    assert await _bounces(harness, kari) == [1]
