"""Periodic jobs: shutdown cuts a running job in one plain line; a job's real error keeps its
traceback, and one that fails at every run is logged sparingly."""

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


async def test_a_job_that_fails_at_every_run_is_logged_sparingly_and_when_it_works_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # With the database down, the mailer's digest and reminder jobs each logged a traceback of
    # about a hundred lines every minute, as long as the outage lasted (and the watcher's asking
    # of hubs and each service's housekeeping at theirs): the loops beside them say it once.
    caplog.set_level(logging.INFO)
    runs: list[int] = []
    healed = asyncio.Event()

    async def outage() -> None:
        runs.append(len(runs))
        if len(runs) > 20:
            healed.set()
            return
        raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")

    jobs = Jobs()
    jobs.add(
        outage, cut="cut the job short", name="the digest run", trigger="interval", seconds=0.01
    )
    jobs.start()
    await asyncio.wait_for(healed.wait(), timeout=30)
    await jobs.stop(grace=10)

    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert 3 <= len(errors) <= 5, [r.getMessage() for r in errors]  # the 1st, 4th, 8th, 16th
    assert "the digest run failed: the database cannot be reached" in errors[0].getMessage()
    assert not any(r.exc_info or r.exc_text for r in errors)
    assert "ConnectionRefusedError" in errors[-1].getMessage()
    (back,) = [r for r in caplog.records if "works again" in r.getMessage()]
    assert "the digest run" in back.getMessage() and "20 failed" in back.getMessage()
