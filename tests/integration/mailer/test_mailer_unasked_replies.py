"""A relay that sends replies nobody asked for loses its connection at once: on an idle pooled
connection, it grew the mailer's memory for as long as it liked (120 MB in 8 s), until the
connection was next used, hours later. A mail on the connection is handled as on a lost one
(ADR 0008): tried again, sent once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta

import pytest

from services.mailer.adapters.senders import SmtpMailSender
from tests.integration.mailer.faults import ScriptedRelay, smtp
from tests.integration.mailer.harness import Harness, on

__all__ = ["smtp"]  # the fixture, used by name: a relay written by hand

KARI = "kari@example.org"
OLA = "ola@example.org"
MAIL = b"From: varsel@fhi.no\r\nTo: someone@example.org\r\nSubject: x\r\n\r\nHei\r\n"
UNASKED = b"250 " + b"x" * 500 + b"\r\n"


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


async def test_replies_nobody_asked_for_close_an_idle_connection_at_once(
    smtp: ScriptedRelay, caplog: pytest.LogCaptureFixture
) -> None:
    sender = SmtpMailSender(smtp.url, pool_size=1)
    try:
        await sender.send("varsel@fhi.no", KARI, MAIL)
        # The connection waits in the pool for the next mail; the relay streams 10 MB of
        # replies at it. Before, it took them all and kept each one.
        written = await asyncio.wait_for(smtp.chatter(UNASKED, 20_000), 10)
        await _until(lambda: smtp.holding == 0)
        assert written < 20_000, "the connection ended while the relay was still sending"

        await sender.send("varsel@fhi.no", OLA, MAIL)
    finally:
        await sender.close()
    assert [m.recipients for m in smtp.mailbox.messages] == [[KARI], [OLA]]
    assert smtp.connections == 2, "the next mail went on a new connection"
    (warning,) = _warnings(caplog)
    assert "replies to commands the mailer never sent" in warning and "@" not in warning


async def test_one_closing_reply_unasked_is_no_hostile_relay(
    smtp: ScriptedRelay, caplog: pytest.LogCaptureFixture
) -> None:
    # A relay may say «421 closing» unasked before it ends an idle connection (Postfix does):
    # the connection is not used again, and nothing is logged.
    sender = SmtpMailSender(smtp.url, pool_size=1)
    try:
        await sender.send("varsel@fhi.no", KARI, MAIL)
        await smtp.chatter(b"421 4.4.2 relay.example.org Error: timeout exceeded\r\n", 1)
        await asyncio.sleep(0.05)
        await sender.send("varsel@fhi.no", OLA, MAIL)
    finally:
        await sender.close()
    assert len(smtp.mailbox.messages) == 2 and smtp.connections == 2
    assert _warnings(caplog) == []


@on("sqlite")
async def test_a_mail_answered_with_replies_nobody_asked_for_is_tried_again_and_sent_once(
    harness: Harness, smtp: ScriptedRelay, caplog: pytest.LogCaptureFixture
) -> None:
    # The relay answers DATA, then goes on answering. Before, the first reply nobody asked for
    # was taken as the answer to the mail's final dot: had the relay refused the mail, it was
    # still recorded as sent.
    await harness.subscribe(KARI)
    await harness.seeded()
    smtp.replies["DATA"] = b"354 End data with <CR><LF>.<CR><LF>\r\n" + UNASKED * 1000
    await harness.change("Norge i verden: endring")
    await harness.send_all()

    assert harness.received() == []
    (alert,) = await harness.deliveries("alert")
    assert alert.status == "queued" and alert.last_error is not None
    assert "SMTPServerDisconnected" in alert.last_error
    assert any("never sent" in warning for warning in _warnings(caplog))

    del smtp.replies["DATA"]
    harness.clock.advance(timedelta(hours=1))
    await harness.send_all()
    assert len(harness.received_by(KARI)) == 1
    assert [d.status for d in await harness.deliveries("alert")] == ["sent"]


@on("sqlite")
async def test_a_mail_whose_dot_is_answered_before_the_flood_is_sent_once(
    harness: Harness, smtp: ScriptedRelay
) -> None:
    # The relay takes Kari's mail, then floods in the same write: her mail is sent, the
    # connection dropped, and Ola's mail goes on a new one.
    await harness.subscribe(KARI)
    await harness.subscribe(OLA)
    await harness.seeded()
    harness.mailer.worker._concurrency = 1  # one connection: Ola's mail follows Kari's on it
    smtp.after_dot.append(b"250 2.0.0 queued\r\n" + UNASKED * 1000)
    await harness.change("Norge i verden: endring")
    await harness.send_all()

    assert len(harness.received_by(KARI)) == len(harness.received_by(OLA)) == 1
    assert [d.status for d in await harness.deliveries("alert")] == ["sent", "sent"]
    assert smtp.connections == 2


async def _until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(10):
        while not condition():
            await asyncio.sleep(0.01)
