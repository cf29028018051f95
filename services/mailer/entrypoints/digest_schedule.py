"""The mailer's minute: run whatever daily or weekly digest period has closed, and remind
editors of changes that waited too long on the desk."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from services.mailer.digests import DigestRunner
from services.mailer.review_reminders import ReviewReminders
from shared.scheduled import Jobs

CHECK_SECONDS = 60


def _every_minute(jobs: Jobs, job: Callable[[], Awaitable[Any]], cut: str) -> None:
    # The first run at once, so what was missed while no mailer ran is made up at start.
    jobs.add(
        job,
        cut=cut,
        trigger="interval",
        seconds=CHECK_SECONDS,
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(UTC),
    )


def schedule_digests(jobs: Jobs, runner: DigestRunner) -> None:
    """Add the digest runs to a scheduler; the first at once, so a missed digest is made up."""
    # A run cut short stays "running" and the next start walks its period again (digests.py).
    _every_minute(
        jobs,
        runner.run_due,
        "cut the digest run short; the next start takes it up where it stopped",
    )


def schedule_review_reminders(jobs: Jobs, reminders: ReviewReminders) -> None:
    """Add the check for overdue changes on the desk to a scheduler, every minute."""
    # The mark "reminded" commits with the mails queued, or not at all.
    _every_minute(
        jobs,
        reminders.remind_overdue,
        "cut reminding editors of overdue changes short; the next start reminds them",
    )
