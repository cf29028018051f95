"""A relay that reads a mail's content slowly, a little each time just before the sender would
give up waiting, is given up on after ``CONTENT_TIMEOUTS`` SMTP timeouts, before the final dot,
with one line in the log; the mail goes once, later, when the relay reads again.

Before, each bit read started the wait anew: such a relay held the lane, and so the batch in
that process, for as long as it liked, with no line in the log. Real SQLite, the delivery
worker, and a relay written by hand that reads in bursts; each mail is padded past what the
loopback sockets buffer in the kernel, so that its content must wait in the process.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta
from typing import Any

import pytest

from services.mailer.adapters.senders import SmtpMailSender
from services.mailer.adapters.smtp_connection import CONTENT_TIMEOUTS
from tests.integration.mailer.faults import ScriptedRelay, smtp
from tests.integration.mailer.harness import Harness, on

__all__ = ["smtp"]  # the fixture, used by name: a relay written by hand

KARI = "kari@example.org"
TIMEOUT = 2.0  # the SMTP timeout of this test's sender, seconds
# Far more than the kernel buffers on loopback (a few megabytes): at the relay's pace below
# the content would take about ten seconds, five times the content's limit.
PADDING = b"".join(b"%075d\r\n" % n for n in range(320_000))  # 24 MB
BURST = 1024 * 1024  # about what the sender's socket must lose before it takes more
PAUSE = 0.3  # far inside TIMEOUT: the relay never stops reading for as long as that


class PaddedSender(SmtpMailSender):
    """Sends each mail over SMTP with ``PADDING`` as the epilogue after its last part."""

    async def send(self, sender: str, recipient: str, message: bytes, **options: Any) -> None:
        options.pop("transparent", None)  # made again, by the sender, from the padded mail
        await super().send(sender, recipient, message + PADDING, **options)


@on("sqlite")
async def test_a_relay_reading_slowly_is_given_up_before_the_dot_and_the_mail_goes_once_later(
    harness: Harness, smtp: ScriptedRelay, caplog: pytest.LogCaptureFixture
) -> None:
    await harness.subscribe(KARI)
    await harness.seeded()
    await harness.change("Norge i verden: ny rapport")
    sender = PaddedSender(smtp.url, pool_size=1, timeout=TIMEOUT)
    worker = harness.worker(sender, concurrency=1)
    smtp.burst, smtp.pause = BURST, PAUSE
    caplog.set_level(logging.INFO)
    try:
        started = time.monotonic()
        assert await worker.send_due() == 1
        took = time.monotonic() - started
        assert took < TIMEOUT * CONTENT_TIMEOUTS + 3 * TIMEOUT, "given up in time"
        smtp.burst = 0  # the relay reads as fast as it can again, to what the sender left
        for _ in range(500):  # what the kernel buffered, then the end of the connection
            if smtp.discarded:
                break
            await asyncio.sleep(0.02)
        assert smtp.discarded == 1 and smtp.mailbox.messages == [], "no final dot went"

        (alert,) = await harness.deliveries("alert")
        assert (alert.status, alert.attempts, alert.sent_at) == ("queued", 1, None)
        assert alert.last_error is not None and "read too slowly" in alert.last_error
        told = [r for r in caplog.records if r.levelno >= logging.WARNING]
        (line,) = [r.getMessage() for r in told]
        assert f"delivery {alert.id} deferred" in line and "read too slowly" in line
        assert "before the final dot" in line and KARI not in line

        harness.clock.advance(timedelta(hours=1))
        assert await worker.send_due() == 1
        assert await worker.send_due() == 0
    finally:
        await sender.close()
    (mail,) = smtp.mailbox.messages
    assert mail.recipients == [KARI] and mail.data.endswith(PADDING)
    assert [d.status for d in await harness.deliveries("alert")] == ["sent"]
