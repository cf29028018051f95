"""An SMTP server that cannot be reached is said in the log: once when sending stops, once when
it resumes, whatever the number of mails and passes between, and never with an address."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from tests.integration.mailer.faults import LoopbackSmtp
from tests.integration.mailer.harness import Harness

ADDRESSES = [f"person{i}@example.org" for i in range(4)]


def _ours(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Return varsel's records, not the test server's (aiosmtpd logs every command)."""
    return [r for r in caplog.records if r.name.startswith(("services.", "shared.", "varsel"))]


def _lines(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [r.getMessage() for r in _ours(caplog) if r.levelno == level]


async def test_an_outage_is_logged_once_and_its_end_once(
    harness: Harness, smtp: LoopbackSmtp, caplog: pytest.LogCaptureFixture
) -> None:
    for address in ADDRESSES:
        await harness.subscribe(address)
    await harness.seeded()
    smtp.stop()
    caplog.set_level(logging.INFO)
    await harness.change("Norge i verden: ny rapport")

    for _ in range(5):  # pass after pass while the server is down
        await harness.send_all()
        harness.clock.advance(timedelta(minutes=5))
    await harness.change("Norge i verden: enda en rapport")
    await harness.send_all()

    (stopped,) = _lines(caplog, logging.ERROR) + _lines(caplog, logging.WARNING)
    assert "sending stopped" in stopped
    assert "cannot reach the SMTP server: SMTPConnectError" in stopped
    assert not any("resumed" in line for line in _lines(caplog, logging.INFO))

    smtp.start()
    harness.clock.advance(timedelta(minutes=5))
    await harness.send_all()
    harness.clock.advance(timedelta(minutes=5))
    await harness.send_all()

    assert len(harness.received()) == 2 * len(ADDRESSES)
    (resumed,) = [line for line in _lines(caplog, logging.INFO) if "resumed" in line]
    assert "sending resumed" in resumed
    assert len(_lines(caplog, logging.ERROR) + _lines(caplog, logging.WARNING)) == 1
    for record in _ours(caplog):
        assert "@" not in record.getMessage(), "no address in the log"
