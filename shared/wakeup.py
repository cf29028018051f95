"""Waiting for work: a background loop sleeps until woken, stopped, or its poll interval passes."""

from __future__ import annotations

import asyncio


async def sleep_until_woken(
    wake: asyncio.Event, stop: asyncio.Event, poll_seconds: float, *, clear: bool = True
) -> bool:
    """Clear ``wake`` (unless ``clear`` is false: a wake that came meanwhile then counts), then
    wait until it or ``stop`` is set, or ``poll_seconds`` pass; tell whether either was set."""
    if clear:
        wake.clear()
    waiters = {asyncio.ensure_future(wake.wait()), asyncio.ensure_future(stop.wait())}
    done, pending = await asyncio.wait(
        waiters, timeout=poll_seconds, return_when=asyncio.FIRST_COMPLETED
    )
    for task in pending:
        task.cancel()
    return bool(done)
