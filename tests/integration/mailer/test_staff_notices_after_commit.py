"""Staff notices (a source fails, a change waits too long on the desk, an editor tests a bulletin)
are queued in the delivery ledger with what asked for them and sent after the commit, like every
other mail.

Before, they were handed to SMTP inside the event's or the reminder's transaction: on SQLite a
relay that never greets kept the database's one write lock for the SMTP timeout, per operator
and on every retry, and sign-ups and unsubscribes waited (or failed) meanwhile. Real SQLite, a
relay written by hand that takes connections and says nothing, and the sending loop of
``varsel run``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from services.admin.adapters.tables import AdminUser
from services.mailer.adapters.senders import SmtpMailSender
from services.mailer.domain.outcomes import SERVER_RETRY
from services.mailer.entrypoints.sending import send_until_stopped
from shared.events import BulletinTestRequested, SourceFailing
from tests.integration.mailer.faults import ScriptedRelay, smtp
from tests.integration.mailer.harness import Harness, on
from tests.integration.mailer.review_support import EDITOR, reviewed, staff

__all__ = ["reviewed", "smtp"]  # the fixtures, used by name: a relay written by hand

OPERATOR = "drift@fhi.no"
KARI = "kari@example.org"
LATECOMER = "per@example.org"
# Long enough for a sign-up on an idle database many times over; far shorter than the write
# lock's wait (30 s), which a notice held while the relay stayed silent.
PROMPT = 5.0


@pytest.fixture
def harness_settings() -> dict[str, Any]:
    return {"operator_emails": (OPERATOR,), "review_reminder_after": "2h"}


async def _until(condition: Callable[[], bool | Awaitable[bool]], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not await _true(condition()):
        assert time.monotonic() < deadline, "waited in vain"
        await asyncio.sleep(0.02)


async def _true(value: bool | Awaitable[bool]) -> bool:
    return value if isinstance(value, bool) else await value


async def _held(harness: Harness, kind: str, mails: int = 1) -> bool:
    """Tell whether the notice's try at the silent relay is over and recorded: it waits."""
    return [row.status for row in await harness.deliveries(kind)] == ["queued"] * mails


async def _held_while_silent_then_sent(
    harness: Harness, smtp: ScriptedRelay, asking: asyncio.Task[Any], kind: str, mails: int = 1
) -> None:
    """Let ``asking`` queue an editor's mails while the relay is silent: nothing waits on it,
    the mails wait, and they go once the relay answers."""
    async with _sending(harness, smtp):
        await _while_the_relay_is_silent(harness, smtp, asking)
        await _until(lambda: _held(harness, kind, mails))
        assert harness.received_by(EDITOR) == []

        smtp.greets = True
        harness.clock.advance(SERVER_RETRY)
        await _until(lambda: len(harness.received_by(EDITOR)) == mails)


@contextlib.asynccontextmanager
async def _sending(harness: Harness, relay: ScriptedRelay) -> AsyncIterator[None]:
    """Run the delivery loop as ``varsel run`` does, giving up on a silent relay after 1 s."""
    sender = SmtpMailSender(relay.url, pool_size=1, timeout=1.0)
    worker = harness.worker(sender, concurrency=1)
    stop = asyncio.Event()
    loop = asyncio.create_task(send_until_stopped(worker, stop, poll_seconds=0.05))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(loop, 10)
        await sender.close()


async def _while_the_relay_is_silent(
    harness: Harness, relay: ScriptedRelay, asking: asyncio.Task[Any]
) -> None:
    """Sign someone up while a notice is being handed to the silent relay: it must not wait."""
    try:
        await _until(lambda: relay.connections > 0)  # the notice is on its way to the relay
        started = time.monotonic()
        async with asyncio.timeout(PROMPT):
            await harness.subscribe(LATECOMER)
        assert time.monotonic() - started < PROMPT
        async with asyncio.timeout(PROMPT):
            await asyncio.shield(asking)  # and what asked for the notice is done
    finally:
        asking.cancel()


@on("sqlite")
async def test_an_operator_notice_keeps_no_lock_while_the_relay_is_silent_and_arrives_once(
    harness: Harness, smtp: ScriptedRelay
) -> None:
    await harness.subscribe(KARI)
    await harness.seeded()
    smtp.greets, smtp.connections = False, 0
    failing = SourceFailing(
        source_id=1,
        source_url="https://www.fhi.no/norge-i-verden/",
        title="Norge i verden",
        failures=3,
        last_error="HTTP 500",
    )

    async with _sending(harness, smtp):
        await _while_the_relay_is_silent(
            harness, smtp, asyncio.create_task(harness.publish(failing))
        )
        await _until(lambda: _held(harness, "operator_notice"))
        assert harness.received_by(OPERATOR) == []

        smtp.greets = True  # the relay is back: the notice goes at the next try
        harness.clock.advance(SERVER_RETRY)
        await _until(lambda: bool(harness.received_by(OPERATOR)))

    harness.clock.advance(timedelta(hours=2))
    await harness.send_all()
    (notice,) = harness.received_by(OPERATOR)
    assert "Source failing" in notice.message["Subject"]
    assert notice.message["Message-ID"] == f"<{failing.event_id}.0@fhi.no>"
    (row,) = await harness.deliveries("operator_notice")
    assert (row.status, row.subscriber_id) == ("sent", None)
    assert OPERATOR not in str(row.reference), "the ledger keeps no address"


@on("sqlite")
async def test_a_review_reminder_keeps_no_lock_while_the_relay_is_silent_and_arrives_once(
    reviewed: Harness, smtp: ScriptedRelay
) -> None:
    harness = reviewed
    await staff(harness)
    waiting = await harness.change("Venter lenge")
    harness.clock.advance(timedelta(hours=3))
    smtp.greets, smtp.connections = False, 0
    reminding = asyncio.create_task(harness.mailer.reminders.remind_overdue())

    await _held_while_silent_then_sent(harness, smtp, reminding, "review_reminder")
    assert reminding.result() == 1
    assert await harness.mailer.reminders.remind_overdue() == 0, "reminded once"
    harness.clock.advance(timedelta(hours=2))
    await harness.send_all()
    (reminder,) = harness.received_by(EDITOR)
    body = reminder.message.get_body(preferencelist=("plain",))
    assert body is not None and f"/admin/desk/{waiting.event_id}" in body.get_content()
    (row,) = await harness.deliveries("review_reminder")
    assert (row.status, row.subscriber_id) == ("sent", None)


@on("sqlite")
async def test_a_bulletin_test_keeps_no_lock_while_the_relay_is_silent_and_arrives_once(
    reviewed: Harness, smtp: ScriptedRelay
) -> None:
    harness = reviewed
    await staff(harness)
    async with harness.runtime.sessions() as session:
        editor = await session.scalar(select(AdminUser.id).where(AdminUser.name == "redaktor"))
    texts = {
        "nb": {"subject": "Stengt", "body": "Kontoret er stengt."},
        "en": {"subject": "Closed", "body": "The office is closed."},
    }
    test = BulletinTestRequested.model_validate(
        {
            "bulletin_id": uuid.uuid4(),
            "topics": ["norge-i-verden"],
            "texts": texts,
            "urgent": False,
            "actor": "redaktor",
            "staff_user_id": editor,
        }
    )
    smtp.greets, smtp.connections = False, 0

    # Before, the handler talked to the silent relay inside the bus's transaction, and the
    # sign-up beside it waited for the SMTP timeout, once per language.
    publishing = asyncio.create_task(harness.publish(test))
    await _held_while_silent_then_sent(harness, smtp, publishing, "bulletin_test", mails=2)

    await harness.runtime.bus.publish(test)  # delivered again: the inbox skips it
    harness.clock.advance(timedelta(hours=2))
    await harness.send_all()
    got = sorted(str(m.message["Subject"]) for m in harness.received_by(EDITOR))
    assert got == ["[Prøve] Stengt", "[Test] Closed"]
    ids = sorted(str(m.message["Message-ID"]) for m in harness.received_by(EDITOR))
    assert ids == [f"<{test.event_id}.0@fhi.no>", f"<{test.event_id}.1@fhi.no>"]
    rows = await harness.deliveries("bulletin_test")
    assert [(row.status, row.subscriber_id) for row in rows] == [("sent", None)] * 2
    assert all(EDITOR not in str(row.reference) for row in rows), "the ledger keeps no address"
