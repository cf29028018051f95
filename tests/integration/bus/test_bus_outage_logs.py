"""A broker outage in the log: one line when RabbitMQ goes away, one when it answers again.

Before, every process logged the AMQP client's own lines: a traceback when the connection
dropped, then three lines (one an ERROR) at every reconnect attempt, every 5 s for as long as
the outage lasted, and nothing when the broker came back.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.events import SubscriberErased
from tests.integration.bus.conftest import BrokerProxy, MakeBus, eventually

pytestmark = pytest.mark.timeout(120)


def _text(record: logging.LogRecord) -> str:
    # The line as written then: the client's records hold objects it has since taken apart, whose
    # repr then fails.
    return str(getattr(record, "message", record.msg))


async def _ignore(event: SubscriberErased, session: AsyncSession) -> None:
    return None


async def test_a_broker_outage_is_logged_when_it_begins_and_when_it_ends(
    make_bus: MakeBus,
    sessions: async_sessionmaker[AsyncSession],
    proxy: BrokerProxy,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = make_bus(sessions, url=proxy.url, reconnect_interval=0.1)
    bus.subscribe("mailer", SubscriberErased, _ignore)
    await bus.start()
    caplog.set_level(logging.INFO)
    caplog.clear()

    await proxy.cut()
    await asyncio.sleep(1.5)  # about fifteen reconnect attempts
    await proxy.start()
    await eventually(bus.ping)
    back = [r for r in caplog.records if "answers again" in _text(r)]
    for _ in range(50):  # the line is written by the reconnect itself, a moment after
        if back:
            break
        await asyncio.sleep(0.1)
        back = [r for r in caplog.records if "answers again" in _text(r)]

    said = [(r.name, r.levelname, _text(r)) for r in caplog.records]
    ours = [r for r in caplog.records if r.name == "shared.broker_outage"]
    assert [r.levelno for r in ours] == [logging.ERROR, logging.WARNING], said
    lost, again = (_text(r) for r in ours)
    assert f"127.0.0.1:{proxy.port}" in lost and "outbox" in lost, lost
    assert ":guest@" not in lost  # the URL's password stays out
    assert "answers again" in again, again
    client = [r for r in caplog.records if r.name.startswith(("aiormq", "aio_pika"))]
    assert client == [], said
    assert not any(r.exc_info or r.exc_text for r in caplog.records), said
