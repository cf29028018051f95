"""The scheduler of a process's periodic jobs, and how shutdown ends the ones still running.

APScheduler cancels a running job when it shuts down, then logs the ``CancelledError`` as an
error with its traceback, which an operator reads as a crash. Every job of varsel is
recoverable (a cut job's transaction rolls back, and a later run takes up what is left), so a
job cut by shutdown ends quietly instead, with one line saying what was cut and when its work
goes on. A job that fails is logged as the background loops log theirs (shared.failing_passes):
the first failure of a run with its traceback, repeats now and then in one line, and the run
that works again says so; with the database down, each job had logged a traceback at every run.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.util import get_callable_name

from shared.failing_passes import PassFailures

log = logging.getLogger(__name__)


class Jobs:
    """A process's periodic jobs on an APScheduler scheduler, in UTC."""

    def __init__(self) -> None:
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self._running: set[asyncio.Task[Any]] = set()
        self._stopping = False

    def add(
        self,
        job: Callable[[], Awaitable[Any]],
        *,
        cut: str,
        name: str | None = None,
        **trigger: Any,
    ) -> None:
        """Schedule a coroutine job; ``cut`` tells an operator what shutdown cut and what then.

        ``trigger`` holds APScheduler's ``add_job`` arguments (the trigger, its fields, and
        ``max_instances``, ``coalesce`` or ``next_run_time``).
        """

        named = name or get_callable_name(job)
        failures = PassFailures(log, f"scheduled job {named}")

        # A coroutine function: APScheduler awaits it on the loop, as it would the job itself.
        async def run() -> Any:
            task = asyncio.current_task()
            assert task is not None
            self._running.add(task)
            try:
                done = await job()
            except asyncio.CancelledError:
                if not self._stopping:
                    raise  # not ours: let whoever cancelled it see it
                log.info("shutdown: %s", cut)
                return None
            except Exception as exc:
                # Every job is recoverable: its next run takes up what this one left.
                failures.failed(exc)
                return None
            finally:
                self._running.discard(task)
            failures.succeeded()
            return done

        self.scheduler.add_job(run, name=named, **trigger)

    def start(self) -> None:
        """Start running the jobs on the current event loop."""
        self.scheduler.start()

    async def stop(self, grace: float) -> None:
        """Start no more jobs, cut those running, and wait up to ``grace`` s for them to end.

        Waiting lets a cut job roll back its transaction before the engine is closed.
        """
        self._stopping = True
        running = set(self._running)
        self.scheduler.shutdown(wait=False)  # cancels every running job
        if running:
            await asyncio.wait(running, timeout=grace)
