"""A large fan-out leaves PostgreSQL's planner knowing about the rows it added.

Until autovacuum gets round to the grown delivery table (up to a minute, or never where it is
off), the planner took the claim query for one that reads a handful of rows, sorted every due
delivery for each batch of 200, and the mailer sent a third slower (docs/benchmarks.md).
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

from sqlalchemy import text

from services.mailer.adapters.deliveries import ANALYZE_AFTER
from tests.integration.mailer.harness import Harness, on
from tests.support.seed import insert_immediate_subscribers


async def last_analyze(harness: Harness) -> datetime | None:
    """When the delivery table was last analysed by a command (not by autovacuum)."""
    async with harness.runtime.sessions() as session:
        # Not a statistics snapshot this connection kept from an earlier reading.
        await session.execute(text("SELECT pg_stat_clear_snapshot()"))
        return await session.scalar(
            text("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'mail_deliveries'")
        )


async def analysed(harness: Harness) -> datetime | None:
    """Return last_analyze once PostgreSQL's cumulative statistics show it, or None by then.

    They are not read in the transaction that wrote them, and a busy server showed the large
    fan-out's ANALYZE as not yet made once (CI, under a full suite's load): a deadline for the
    statistics to arrive, not a measure of how soon.
    """
    deadline = time.monotonic() + STATISTICS_DEADLINE_SECONDS
    while (when := await last_analyze(harness)) is None and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    return when


STATISTICS_DEADLINE_SECONDS = 30


@on("postgresql")
async def test_only_a_large_fan_out_refreshes_the_planner_statistics(harness: Harness) -> None:
    await harness.subscribe("kari@example.org")
    await harness.seeded()
    await harness.change("Et lite varsel")
    assert await last_analyze(harness) is None, "a small fan-out needs no ANALYZE"

    await insert_immediate_subscribers(harness.runtime.sessions, ANALYZE_AFTER)
    await harness.change("Et stort varsel")

    assert await analysed(harness) is not None
    async with harness.runtime.sessions() as session:
        queued = await session.scalar(
            text("SELECT count(*) FROM mail_deliveries WHERE status = 'queued'")
        )
    assert queued == ANALYZE_AFTER + 2  # one alert for each new person, two for Kari
