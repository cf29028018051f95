"""A relay that takes fewer connections from one client than the pool has: the mails go on the
connections it takes, at once, and the relay is not reported down (ADR 0025)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from services.mailer.adapters.senders import RelayFull, ServerUnavailable, SmtpMailSender
from services.mailer.delivery import MAILS_PER_LANE
from tests.integration.mailer.faults import ScriptedRelay, smtp
from tests.integration.mailer.harness import Harness

__all__ = ["smtp"]  # the fixture, used by name: a relay written by hand

PEOPLE = sorted(f"person{i}@example.org" for i in range(20))
MESSAGE = b"From: a@fhi.no\r\nTo: b@example.org\r\nSubject: x\r\n\r\nHei\r\n"


@pytest.fixture
def harness_settings() -> dict[str, Any]:
    return {"mail_concurrency": 6}


async def _alerts_sent(harness: Harness, smtp: ScriptedRelay, most: int) -> None:
    """Send everyone an alert through a relay that holds ``most`` connections at once."""
    smtp.most = most
    for address in PEOPLE:
        await harness.subscribe(address)
    await harness.seeded()
    await harness.change("Norge i verden: endring")
    await harness.send_all()  # the clock does not move: nothing may wait


async def test_a_relay_at_its_limit_of_connections_gets_every_mail_on_those_it_takes(
    harness: Harness, smtp: ScriptedRelay, caplog: pytest.LogCaptureFixture
) -> None:
    # Postfix answers a client's connection past its limit with 421 and closes it. Before, the
    # pool read that as the relay being down: the batch stopped, the mails waited half a
    # minute, and the log said sending had stopped while the relay served two connections.
    caplog.set_level(logging.INFO)
    await _alerts_sent(harness, smtp, most=2)

    delivered = sorted(r for m in harness.received() for r in m.recipients)
    assert delivered == PEOPLE, "each person got one mail, at once"
    alerts = await harness.deliveries("alert")
    assert {(d.status, d.attempts) for d in alerts} == {("sent", 0)}
    assert smtp.turned_away == 4, "the pool's other four lanes asked once each"
    assert "sending stopped" not in caplog.text
    told = [r.getMessage() for r in caplog.records if "turned away" in r.getMessage()]
    assert len(told) == 1, told
    assert "connection 3" in told[0] and "over the 2 it takes" in told[0] and "421" in told[0]
    assert "VARSEL_MAIL_CONCURRENCY is 6" in told[0] and "@" not in told[0]

    # The next change is sent over the two connections alone, claimed for them (32 mails a
    # lane, not for six: a relay slow enough would otherwise leave a claim past its lease).
    assert harness.mailer.worker._claim_size() == 2 * MAILS_PER_LANE
    await harness.change("Norge i verden: ny endring")
    await harness.send_all()
    assert len(harness.received()) == 2 * len(PEOPLE)
    assert smtp.turned_away == 4
    assert len([r for r in caplog.records if "turned away" in r.getMessage()]) == 1


async def test_a_relay_that_takes_no_connection_still_stops_sending(
    harness: Harness, smtp: ScriptedRelay, caplog: pytest.LogCaptureFixture
) -> None:
    # Turned away with nothing open is an outage, as before: the mails wait, with their tries.
    caplog.set_level(logging.INFO)
    await _alerts_sent(harness, smtp, most=0)

    assert harness.received() == []
    alerts = await harness.deliveries("alert")
    assert {(d.status, d.attempts) for d in alerts} == {("queued", 0)}
    assert all(d.next_attempt_at > harness.clock.now() for d in alerts)
    assert "sending stopped" in caplog.text and "turned away" not in caplog.text

    smtp.most = None
    harness.clock.advance(timedelta(minutes=1))
    await harness.send_all()
    assert sorted(r for m in harness.received() for r in m.recipients) == PEOPLE


async def test_connections_opened_together_wait_for_each_other_before_calling_it_an_outage(
    smtp: ScriptedRelay,
) -> None:
    # All of a pool's connections open at once: the relay may turn one away before it has
    # greeted those it takes. That one is the limit, not an outage.
    smtp.most = 1
    sender = SmtpMailSender(smtp.url, pool_size=3)
    try:
        results = await _gather_sends(sender, 3)
    finally:
        await sender.close()
    assert sorted(type(r).__name__ for r in results) == ["NoneType", "RelayFull", "RelayFull"]
    assert sender.connections() == 1
    assert len(smtp.mailbox.messages) == 1


async def test_the_whole_pool_is_tried_again_once_the_limit_is_old(smtp: ScriptedRelay) -> None:
    smtp.most = 1
    sender = SmtpMailSender(smtp.url, pool_size=3)
    try:
        await _gather_sends(sender, 2)
        assert sender.connections() == 1
        sender._limit._relearn_after = 0.0  # the limit learned has held its time
        assert sender.connections() == 3
        smtp.most = None  # the relay's setting was raised meanwhile
        results = await _gather_sends(sender, 3)
    finally:
        await sender.close()
    assert results == [None, None, None] and sender.connections() == 3


async def test_a_connection_whose_mail_is_being_recorded_counts_as_one_the_relay_takes(
    smtp: ScriptedRelay,
) -> None:
    # The ledger writes a mail's final dot, then its COMMIT (handover.py): the relay's reply to
    # the dot is often in before the lane reads it. Such a connection was counted as closed, so
    # against Postfix a pool holding three learned the relay took one, or none, and said
    # «sending stopped» while it sent on all three.
    smtp.most = 1
    sender = SmtpMailSender(smtp.url, pool_size=2)
    meanwhile: list[BaseException | None] = []

    async def hand_over(release: Callable[[], None]) -> None:
        release()  # the final dot, before the COMMIT
        while not smtp.mailbox.messages:  # the relay took the mail and has replied
            await asyncio.sleep(0.001)
        meanwhile.extend(await _gather_sends(sender, 1))  # another lane, another connection

    try:
        await sender.send("varsel@fhi.no", "p0@example.org", MESSAGE, hand_over=hand_over)
        assert [type(r).__name__ for r in meanwhile] == ["RelayFull"]
        assert sender.connections() == 1
        # The connection is not forgotten either: once more turned away beside it, the same.
        assert [type(r).__name__ for r in await _gather_sends(sender, 2)] == [
            "NoneType",
            "RelayFull",
        ]
    finally:
        await sender.close()
    assert len(smtp.mailbox.messages) == 2 and smtp.turned_away == 2


async def _gather_sends(sender: SmtpMailSender, count: int) -> list[BaseException | None]:
    async def one(n: int) -> None:
        await sender.send("varsel@fhi.no", f"p{n}@example.org", MESSAGE)

    results = await asyncio.gather(*(one(n) for n in range(count)), return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, RelayFull):
            assert not isinstance(result, ServerUnavailable), result
            raise result
    return list(results)
