"""Periodic jobs: shutdown cuts a running job in one plain line; a job's real error keeps its
traceback."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import pytest

from shared.scheduled import Jobs


async def test_stop_cuts_a_running_job_in_one_line_after_it_has_cleaned_up(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    started, cleaned = asyncio.Event(), []

    async def slow() -> None:
        started.set()
        try:
            await asyncio.sleep(60)
        finally:
            await asyncio.sleep(0.05)  # a rollback: the engine must still be open for it
            cleaned.append(True)

    async def idle() -> None:
        return None

    jobs = Jobs()
    jobs.add(slow, cut="cut the slow job short; the next start does it", trigger="date")
    jobs.add(idle, cut="cut the idle job short", trigger="interval", hours=1)
    jobs.start()
    await asyncio.wait_for(started.wait(), timeout=10)
    await jobs.stop(grace=10)

    assert cleaned == [True]
    # APScheduler's own INFO lines are not shown (shared.logs keeps it to warnings).
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    ours = [(r.getMessage(), r.exc_info) for r in caplog.records if r.name == "shared.scheduled"]
    assert ours == [("shutdown: cut the slow job short; the next start does it", None)]


async def test_a_job_that_fails_is_logged_with_its_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    failed = asyncio.Event()

    async def broken() -> None:
        failed.set()
        raise ValueError("the job's own bug")

    jobs = Jobs()
    jobs.add(broken, cut="cut the broken job short", trigger="date", run_date=datetime.now(UTC))
    jobs.start()
    await asyncio.wait_for(failed.wait(), timeout=10)
    for _ in range(100):
        if any(r.levelno == logging.ERROR for r in caplog.records):
            break
        await asyncio.sleep(0.01)
    await jobs.stop(grace=10)

    (error,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert error.exc_info is not None and isinstance(error.exc_info[1], ValueError)
    assert not any("shutdown" in r.getMessage() for r in caplog.records)
