"""The sending loop: send whatever is due, then sleep until woken or the poll interval ends."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from services.mailer.delivery import DeliveryWorker
from shared.failing_passes import PassFailures
from shared.wakeup import sleep_until_woken

log = logging.getLogger(__name__)

# How long the SMTP connections stay open with nothing to send, at most (the poll interval, 1 s
# by default, if shorter): Postfix's own client keeps an idle one two seconds
# (smtp_connection_cache_time_limit), long enough for a burst of mail.
IDLE_GRACE = 2.0


async def send_until_stopped(
    worker: DeliveryWorker,
    stop: asyncio.Event,
    poll_seconds: float,
    *,
    rest: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Send until ``stop`` is set, waking early when new work is queued; ``rest`` lets go of
    the relay's connections once nothing has been due for IDLE_GRACE seconds."""
    failures = PassFailures(log, "mailer: delivery pass")
    grace = poll_seconds if rest is None else min(poll_seconds, IDLE_GRACE)
    while not stop.is_set():
        # Cleared before the pass looks, not after: a mail queued after its last claim wakes
        # the sleep below rather than waiting out the poll interval.
        worker.wake.clear()
        try:
            while await worker.send_due():
                if stop.is_set():
                    return
        except Exception as exc:
            failures.failed(exc)
        else:
            failures.succeeded()
        if await sleep_until_woken(worker.wake, stop, grace, clear=False) or rest is None:
            continue
        # Nothing came for a while. A relay caps the connections one client holds (ADR 0025):
        # held idle, they would leave another mailer on this host none, and it would take the
        # relay for down. A wake that comes while they close (at most QUIT's 5 s) is kept.
        await rest()
        if poll_seconds > grace:
            await sleep_until_woken(worker.wake, stop, poll_seconds - grace, clear=False)
