"""The digest schedule: every minute, run whatever daily or weekly period has closed."""

from __future__ import annotations

from datetime import UTC, datetime

from apscheduler.schedulers.base import BaseScheduler

from services.mailer.digests import DigestRunner

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
