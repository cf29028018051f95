"""A RabbitMQ namespace of a test's own on the machine's broker, deleted when the test is done.

Every run of varsel declares durable quorum queues and exchanges under its namespace. Left
behind, each test run adds a handful, and a broker that has collected thousands over many runs
answers slowly and runs out of file handles; so every test that gives varsel a namespace
deletes it afterwards, once its processes have stopped.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import aio_pika

from shared.rabbitmq import KNOWN_CONSUMERS
from tests.support.services import reachable, require

BROKER_URL = "amqp://guest:guest@127.0.0.1:5672/"


async def delete_topology(
    url: str, namespace: str, consumers: Iterable[str] = KNOWN_CONSUMERS
) -> None:
    """Delete a namespace's queues and exchanges (deleting what is not there is no error)."""
    connection = await aio_pika.connect(url, timeout=10)
    try:
        channel = await connection.channel()
        for consumer in consumers:
            await channel.queue_delete(f"{namespace}.{consumer}")
            await channel.queue_delete(f"{namespace}.{consumer}.dead")
        await channel.queue_delete(f"{namespace}.unrouted")
        for exchange in ("unrouted", "events", "dead"):
            await channel.exchange_delete(f"{namespace}.{exchange}")
    finally:
        await connection.close()


@contextmanager
def rabbitmq_namespace(prefix: str = "varsel-e2e") -> Iterator[dict[str, str]]:
    """Give the settings for a namespace of this test's own; delete its topology on leaving.

    Leave this context only after the processes using the namespace have stopped: a running
    consumer whose queue disappears declares it again.
    """
    require(reachable("127.0.0.1", 5672), "RabbitMQ at 127.0.0.1:5672")
    namespace = f"{prefix}-{uuid.uuid4().hex[:8]}"
    try:
        yield {"VARSEL_BROKER_URL": BROKER_URL, "VARSEL_BROKER_NAMESPACE": namespace}
    finally:
        # A thread of its own: a test driving Playwright's sync API runs an event loop here.
        with ThreadPoolExecutor(1) as pool:
            deleting = asyncio.wait_for(delete_topology(BROKER_URL, namespace), timeout=30)
            pool.submit(asyncio.run, deleting).result()
