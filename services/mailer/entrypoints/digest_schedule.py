"""The mailer's minute: run whatever daily or weekly digest period has closed, and remind
editors of changes that waited too long on the desk."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.base import BaseScheduler

from services.mailer.digests import DigestRunner
from services.mailer.review_reminders import ReviewReminders

CHECK_SECONDS = 60


def _every_minute(scheduler: BaseScheduler, job: Callable[[], Awaitable[Any]]) -> None:
    # The first run at once, so what was missed while no mailer ran is made up at start.
    scheduler.add_job(
        job,
        "interval",
        seconds=CHECK_SECONDS,
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(UTC),
    )


def schedule_digests(scheduler: BaseScheduler, runner: DigestRunner) -> None:
    """Add the digest runs to a scheduler; the first at once, so a missed digest is made up."""
    _every_minute(scheduler, runner.run_due)


def schedule_review_reminders(scheduler: BaseScheduler, reminders: ReviewReminders) -> None:
    """Add the check for overdue changes on the desk to a scheduler, every minute."""
    _every_minute(scheduler, reminders.remind_overdue)
