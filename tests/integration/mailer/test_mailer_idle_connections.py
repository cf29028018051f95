"""A mailer lets go of the relay's SMTP connections once nothing has been due for a moment, as
Postfix's own client does: idle, they would hold a relay's per-client cap that another mailer
on the host needs (ADR 0025). A burst of mail keeps them; mail queued meanwhile is not delayed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from services.mailer.adapters.senders import ServerUnavailable, SmtpMailSender
from services.mailer.entrypoints import sending
from services.mailer.entrypoints.sending import send_until_stopped
from tests.integration.mailer.faults import ScriptedRelay, smtp
from tests.integration.mailer.harness import Harness

__all__ = ["smtp"]  # the fixture, used by name: a relay written by hand

PEOPLE = sorted(f"person{i}@example.org" for i in range(20))


async def _followers(harness: Harness) -> None:
    for address in PEOPLE:
        await harness.subscribe(address)
    await harness.seeded()


async def test_a_mailer_with_nothing_to_send_lets_go_of_the_relays_connections(
    harness: Harness, smtp: ScriptedRelay, caplog: pytest.LogCaptureFixture
) -> None:
    # Two mailers on one host share the relay's cap. One that kept its connections idle after
    # its batch left the other none: that one took the relay for down and held its mails,
    # batch after batch, until the relay timed the idle ones out (Postfix: after 300 s).
    caplog.set_level(logging.INFO)
    smtp.most = 2
    first, second = SmtpMailSender(smtp.url, pool_size=2), SmtpMailSender(smtp.url, pool_size=2)
    stop = asyncio.Event()
    worker = harness.worker(first, concurrency=2)
    loop = asyncio.create_task(send_until_stopped(worker, stop, 0.05, rest=first.close))
    try:
        await _followers(harness)
        await harness.change("Norge i verden: endring")  # sent by the first mailer's loop
        await _until(lambda: len(harness.received()) == len(PEOPLE) and smtp.holding == 0)
        stop.set()
        await asyncio.wait_for(loop, 10)

        await harness.change("Norge i verden: ny endring")
        sent = await harness.worker(second, concurrency=2).send_due()
    finally:
        stop.set()
        await asyncio.gather(loop, first.close(), second.close(), return_exceptions=True)
    assert sent == len(PEOPLE) and len(harness.received()) == 2 * len(PEOPLE)
    assert "sending stopped" not in caplog.text


async def test_a_burst_of_mail_keeps_its_connection_and_a_quiet_spell_ends_it(
    harness: Harness, smtp: ScriptedRelay, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sending, "IDLE_GRACE", 0.5)
    sender = SmtpMailSender(smtp.url, pool_size=1)
    async with _loop(harness, sender, poll_seconds=5.0) as woken:
        await _followers(harness)
        await harness.change("Norge i verden: endring")
        woken()
        await _until(lambda: len(harness.received()) == len(PEOPLE))
        await asyncio.sleep(0.1)  # well inside the grace: the next change uses the same one
        await harness.change("Norge i verden: ny endring")
        woken()
        await _until(lambda: len(harness.received()) == 2 * len(PEOPLE))
        assert smtp.connections == 1 and smtp.holding == 1
        await _until(lambda: smtp.holding == 0)  # the grace has passed: let go


async def test_mail_queued_while_the_connections_close_is_sent_at_once(
    harness: Harness, smtp: ScriptedRelay, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The loop used to clear its wake-up after letting go of the connections: a mail queued
    # meanwhile waited the whole poll interval (up to an hour, by the setting).
    monkeypatch.setattr(sending, "IDLE_GRACE", 0.1)
    sender = SmtpMailSender(smtp.url, pool_size=1)
    await _followers(harness)
    queued = asyncio.Event()

    async def rest() -> None:
        await sender.close()
        if not queued.is_set():
            queued.set()
            await harness.change("Norge i verden: endring")  # while the loop lets go
            wake()

    async with _loop(harness, sender, poll_seconds=60.0, rest=rest) as wake:
        await _until(lambda: len(harness.received()) == len(PEOPLE))


async def test_mail_queued_just_after_a_pass_looked_is_sent_at_once(
    harness: Harness, smtp: ScriptedRelay
) -> None:
    # The loop cleared its wake-up when it went to sleep, after the pass: a mail committed
    # between the pass's last claim and that moment waited the whole poll interval.
    sender = SmtpMailSender(smtp.url, pool_size=1)
    await _followers(harness)
    worker = harness.worker(sender, concurrency=1)
    looked = worker.send_due

    async def send_due() -> int:
        handled = await looked()
        if not handled and not harness.received():
            await harness.change("Norge i verden: endring")  # right after the claim found none
            worker.wake.set()
        return handled

    worker.send_due = send_due  # type: ignore[method-assign]
    stop = asyncio.Event()
    task = asyncio.create_task(send_until_stopped(worker, stop, 60.0, rest=sender.close))
    try:
        await _until(lambda: len(harness.received()) == len(PEOPLE))
    finally:
        stop.set()
        await asyncio.gather(task, sender.close(), return_exceptions=True)


async def test_a_connection_refused_after_its_greeting_is_closed_at_once(
    smtp: ScriptedRelay,
) -> None:
    # A relay that does not offer STARTTLS to a sender told to use it: the connection was left
    # open, holding one of the relay's per-client slots until it was collected.
    sender = SmtpMailSender(f"smtp+starttls://127.0.0.1:{smtp.port}", pool_size=1)
    with pytest.raises(ServerUnavailable):
        await sender.send("varsel@fhi.no", "kari@example.org", b"Subject: x\r\n\r\nHei\r\n")
    await _until(lambda: smtp.holding == 0)


async def _until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(10):
        while not condition():
            await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def _loop(
    harness: Harness,
    sender: SmtpMailSender,
    *,
    poll_seconds: float,
    rest: Callable[[], Awaitable[None]] | None = None,
) -> AsyncIterator[Callable[[], None]]:
    """Run the sending loop of ``varsel run`` over a worker of its own; yield its wake-up."""
    worker = harness.worker(sender, concurrency=1)
    stop = asyncio.Event()
    task = asyncio.create_task(
        send_until_stopped(worker, stop, poll_seconds, rest=rest or sender.close)
    )
    try:
        yield worker.wake.set
    finally:
        stop.set()
        await asyncio.gather(task, sender.close(), return_exceptions=True)
