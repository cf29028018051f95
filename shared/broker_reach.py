"""Whether RabbitMQ answers, asked once before a process starts; and broker URLs fit for logs.

Apart from the bus (rabbitmq.py): `varsel run` asks this before anything starts, so a broker
that is down or refuses the credentials is one line for the operator, not pages of traceback
from inside a server's start-up.
"""

from __future__ import annotations

import asyncio
import logging
import time
from urllib.parse import urlsplit, urlunsplit

import aio_pika
from aio_pika.connection import make_url
from aiormq.exceptions import ProbableAuthenticationError

log = logging.getLogger(__name__)


def redact(url: str) -> str:
    """Drop the password from a broker URL so it can be logged."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def broker_problem(url: str, timeout: float = 10.0, wait: float = 0.0) -> str | None:
    """Say why RabbitMQ at ``url`` cannot be reached and what to do; None when it answers.

    A broker that is not up yet is asked again for up to ``wait`` seconds, a line logged at
    each try: started together (compose, a node that rebooted), it is often seconds behind,
    and a process that gave up at once would wait out its supervisor's back-off (minutes in
    Kubernetes) after the broker came. Credentials it refuses are said at once.
    """
    # Asked before a process starts serving: a start-up that fails inside the server's lifespan
    # ends in pages of traceback, where the operator needs one line.

    async def connect() -> None:
        connection = await aio_pika.connect(make_url(url), timeout=timeout)
        await connection.close()

    # The client logs its own ERROR line for a refused connection; the one line returned says it.
    client_log = logging.getLogger("aiormq.connection")
    level = client_log.level
    client_log.setLevel(logging.CRITICAL)
    give_up = time.monotonic() + wait
    pause = 1.0
    try:
        while True:
            try:
                asyncio.run(connect())
            except ProbableAuthenticationError as exc:
                # The broker is up: starting it is no step, the URL's user or password is.
                return (
                    f"RabbitMQ at {redact(url)} refused the credentials: {exc}; "
                    "check the user name and password in VARSEL_BROKER_URL"
                )
            except Exception as exc:
                problem = f"cannot reach RabbitMQ at {redact(url)}: {type(exc).__name__}: {exc}"
                left = give_up - time.monotonic()
                if left <= 0:
                    return f"{problem}; start it, or check VARSEL_BROKER_URL"
                pause = min(pause, left)
                log.warning("%s; trying again in %.0f s", problem, pause)
                time.sleep(pause)
                pause = min(pause * 2, 10.0)
            else:
                return None
    finally:
        client_log.setLevel(level)
