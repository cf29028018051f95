"""The mailer's minute: run whatever daily or weekly digest period has closed, and remind
editors of changes that waited too long on the desk."""

from __future__ import annotations

from datetime import UTC, datetime

from apscheduler.schedulers.base import BaseScheduler

from services.mailer.digests import DigestRunner
from services.mailer.review_reminders import ReviewReminders

CHECK_SECONDS = 60


def schedule_digests(scheduler: BaseScheduler, runner: DigestRunner) -> None:
    """Add the digest runs to a scheduler; the first at once, so a missed digest is made up."""
    scheduler.add_job(
        runner.run_due,
        "interval",
        seconds=CHECK_SECONDS,
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(UTC),
    )


def schedule_review_reminders(scheduler: BaseScheduler, reminders: ReviewReminders) -> None:
    """Add the check for overdue changes on the desk to a scheduler, every minute."""
    scheduler.add_job(
        reminders.remind_overdue,
        "interval",
        seconds=CHECK_SECONDS,
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(UTC),
    )
