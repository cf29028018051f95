"""Waiting for work: a background loop sleeps until woken, stopped, or its poll interval passes."""

from __future__ import annotations

import asyncio


async def sleep_until_woken(wake: asyncio.Event, stop: asyncio.Event, poll_seconds: float) -> None:
    """Clear ``wake``, then wait until it or ``stop`` is set, or ``poll_seconds`` pass."""
    wake.clear()
    waiters = {asyncio.ensure_future(wake.wait()), asyncio.ensure_future(stop.wait())}
    _, pending = await asyncio.wait(
        waiters, timeout=poll_seconds, return_when=asyncio.FIRST_COMPLETED
    )
    for task in pending:
        task.cancel()
