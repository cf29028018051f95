"""A large fan-out leaves PostgreSQL's planner knowing about the rows it added.

Until autovacuum gets round to the grown delivery table (up to a minute, or never where it is
off), the planner took the claim query for one that reads a handful of rows, sorted every due
delivery for each batch of 200, and the mailer sent a third slower (docs/benchmarks.md).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text

from services.mailer.adapters.deliveries import ANALYZE_AFTER
from tests.integration.mailer.harness import Harness, on
from tests.support.seed import insert_immediate_subscribers


async def last_analyze(harness: Harness) -> datetime | None:
    """When the delivery table was last analysed by a command (not by autovacuum)."""
    async with harness.runtime.sessions() as session:
        return await session.scalar(
            text("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'mail_deliveries'")
        )


@on("postgresql")
async def test_only_a_large_fan_out_refreshes_the_planner_statistics(harness: Harness) -> None:
    await harness.subscribe("kari@example.org")
    await harness.seeded()
    await harness.change("Et lite varsel")
    assert await last_analyze(harness) is None, "a small fan-out needs no ANALYZE"

    await insert_immediate_subscribers(harness.runtime.sessions, ANALYZE_AFTER)
    await harness.change("Et stort varsel")

    assert await last_analyze(harness) is not None
    async with harness.runtime.sessions() as session:
        queued = await session.scalar(
            text("SELECT count(*) FROM mail_deliveries WHERE status = 'queued'")
        )
    assert queued == ANALYZE_AFTER + 2  # one alert for each new person, two for Kari
