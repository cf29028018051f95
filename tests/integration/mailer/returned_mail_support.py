"""Returned mail for the mailer's tests: a subscriber's alert as the relay received it, the
delivery status notification or abuse report that comes back for it, the bounce listener that
takes them, and what the database then holds.

The fixtures are used by name: a test module imports them and names them in ``__all__``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from services.mailer.bootstrap import returned_mail
from services.mailer.entrypoints.bounce_listener import start_listener
from services.subscriptions.adapters.tables import ConsentRecord, Subscription
from shared.outbox import OutboxRow
from tests.integration.mailer.harness import Harness
from tests.support.reports import arf, dsn
from tests.support.smtp import Received
from tests.support.varsel_process import free_port

ADDRESS = "kari@example.org"
BOUNCES = "bounces@fhi.no"
WEBHOOK_SECRET = "w" * 40


@pytest.fixture
def harness_settings() -> dict[str, Any]:
    """Give the harness a bounce address and the webhook's shared secret."""
    return {"bounce_address": BOUNCES, "bounce_webhook_secret": WEBHOOK_SECRET}


@pytest.fixture
async def listener(harness: Harness) -> AsyncIterator[int]:
    """Serve the bounce listener on a loopback port of this test's event loop."""
    intake = returned_mail(harness.runtime)
    assert intake is not None
    port = free_port()
    server = await start_listener(intake, "127.0.0.1", port)
    yield port
    server.close()
    await server.wait_closed()


async def alert(harness: Harness, title: str) -> Received:
    """Send one alert to the subscriber and return it as the relay received it."""
    before = len(harness.received())
    await harness.change(title)
    await harness.send_all()
    mails = harness.received()
    assert len(mails) == before + 1
    return mails[-1]


def bounce_of(mail: Received, **fields: str) -> bytes:
    """Return the DSN a relay sends back for a mail it accepted and could not deliver."""
    return dsn(
        to=mail.mail_from,
        recipient=ADDRESS,
        message_id=str(mail.message["Message-ID"]),
        **fields,
    )


def complaint_of(mail: Received, **fields: str) -> bytes:
    """Return the abuse report a mailbox provider sends for a mail its user marked as spam."""
    return arf(
        to=BOUNCES,
        recipient=ADDRESS,
        message_id=str(mail.message["Message-ID"]),
        mail_from=mail.mail_from,
        **fields,
    )


async def open_topics(harness: Harness, subscriber_id: object) -> list[str]:
    """Return the topics a subscriber still follows."""
    async with harness.runtime.sessions() as session:
        rows = await session.scalars(
            select(Subscription.topic).where(
                Subscription.subscriber_id == subscriber_id, Subscription.ended_at.is_(None)
            )
        )
        return list(rows.all())


async def ledger(harness: Harness) -> list[tuple[str, str]]:
    """Return the consent ledger's steps as (action, channel), oldest first."""
    async with harness.runtime.sessions() as session:
        rows = await session.execute(
            select(ConsentRecord.action, ConsentRecord.channel).order_by(ConsentRecord.id)
        )
        return [(r.action, r.channel) for r in rows]


async def outbox_size(harness: Harness) -> int:
    """Count the rows of the outbox."""
    async with harness.runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(OutboxRow)) or 0)
