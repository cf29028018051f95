"""The sending loop: send whatever is due, then sleep until woken or the poll interval ends."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from services.mailer.delivery import DeliveryWorker
from shared.failing_passes import PassFailures
from shared.wakeup import sleep_until_woken

log = logging.getLogger(__name__)


async def send_until_stopped(
    worker: DeliveryWorker,
    stop: asyncio.Event,
    poll_seconds: float,
    *,
    rest: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Send until ``stop`` is set, waking early when new work is queued; ``rest`` lets go of
    the relay's connections whenever nothing is left to send."""
    failures = PassFailures(log, "mailer: delivery pass")
    while not stop.is_set():
        try:
            while await worker.send_due():
                if stop.is_set():
                    return
        except Exception as exc:
            failures.failed(exc)
        else:
            failures.succeeded()
            if rest is not None:
                # A relay caps the connections one client holds (ADR 0025): held idle, they
                # would leave another mailer on this host none, and it would take the relay
                # for down. Postfix's own client keeps an idle connection two seconds.
                await rest()
        await sleep_until_woken(worker.wake, stop, poll_seconds)
