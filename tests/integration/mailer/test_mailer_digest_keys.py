"""A digest period is known by its key: a moved digest day or hour starts a period of its own,
and a run recorded under the key an earlier version gave its period is not run again.

Keyed by the ISO week of its end, the Friday period after a move from Monday was the Monday's
(``weekly:2026-W49``), found done, and its changes waited a week more; keyed by the date of its
end, an evening's daily period after a move from the morning was the morning's. Real SQLite and
PostgreSQL, real SMTP on loopback.
"""

from __future__ import annotations

from sqlalchemy import select, update

from services.mailer.adapters.tables import Delivery, DigestRun
from services.mailer.digests import DigestRunner
from services.mailer.domain.ledger import DigestRunStatus
from tests.integration.mailer.digests_support import ADDRESS, digest_now, titles
from tests.integration.mailer.harness import Harness, at

MONDAY = "2026-11-30T06:30:00+00:00"  # 07:30 in Oslo, the weekly digest's day and hour


def moved(harness: Harness, *, hour: int = 7, weekday: int = 0) -> DigestRunner:
    """Return the digest runner varsel runs after a restart with another hour or weekday."""
    settings = harness.runtime.settings
    return DigestRunner(
        harness.runtime.sessions,
        harness.clock,
        timezone=settings.timezone,
        hour=hour,
        weekday=weekday,
    )


async def runs(harness: Harness, frequency: str) -> list[tuple[str, str]]:
    """Return the recorded runs of a rhythm: key and status, oldest first."""
    async with harness.runtime.sessions() as session:
        found = await session.execute(
            select(DigestRun.key, DigestRun.status)
            .where(DigestRun.frequency == frequency)
            .order_by(DigestRun.period_end)
        )
        return [(key, str(status)) for key, status in found]


async def a_weekly_digest_on_monday(harness: Harness) -> None:
    """Let a weekly reader be told of a change by the digest of Monday 30 November."""
    harness.clock.set(at("2026-11-26T10:00:00+00:00"))
    await harness.subscribe(ADDRESS, frequency="weekly")
    await harness.seeded()
    await harness.change("Endring 1")
    harness.clock.set(at(MONDAY))
    await digest_now(harness)
    assert titles(harness) == [["Endring 1"]]


async def test_a_weekly_digest_moved_from_monday_to_friday_is_sent_on_the_first_friday(
    harness: Harness,
) -> None:
    await a_weekly_digest_on_monday(harness)
    harness.clock.set(at("2026-12-01T10:00:00+00:00"))
    await harness.change("Endring 2")

    friday = moved(harness, weekday=4)  # VARSEL_DIGEST_WEEKDAY=4, and a restart
    harness.clock.set(at("2026-12-04T06:30:00+00:00"))
    assert await friday.run_due() == 1
    await harness.send_all()

    assert titles(harness) == [["Endring 1"], ["Endring 2"]]
    assert [key for key, _ in await runs(harness, "weekly")] == [
        "weekly:2026-11-30T07:00+01:00",
        "weekly:2026-12-04T07:00+01:00",
    ]


async def test_a_daily_digest_moved_to_the_evening_is_sent_that_evening(
    harness: Harness,
) -> None:
    harness.clock.set(at("2026-11-23T10:00:00+00:00"))
    await harness.subscribe(ADDRESS, frequency="daily")
    await harness.seeded()
    await harness.change("Endring 1")
    harness.clock.set(at("2026-11-24T06:30:00+00:00"))  # 07:30 in Oslo
    await digest_now(harness)
    harness.clock.set(at("2026-11-24T10:00:00+00:00"))
    await harness.change("Endring 2")

    evening = moved(harness, hour=20)  # VARSEL_DIGEST_HOUR=20, and a restart
    harness.clock.set(at("2026-11-24T19:30:00+00:00"))  # 20:30 in Oslo
    assert await evening.run_due() == 1
    await harness.send_all()

    assert titles(harness) == [["Endring 1"], ["Endring 2"]]


async def test_a_run_recorded_under_the_former_key_is_not_run_again(harness: Harness) -> None:
    await a_weekly_digest_on_monday(harness)
    # As the version before recorded that run and queued its digests.
    former = "weekly:2026-W49"
    [(key, _)] = await runs(harness, "weekly")
    async with harness.runtime.sessions() as session, session.begin():
        await session.execute(update(DigestRun).where(DigestRun.key == key).values(key=former))
        await session.execute(
            update(Delivery).where(Delivery.batch_key == key).values(batch_key=former)
        )

    harness.clock.set(at("2026-11-30T08:00:00+00:00"))  # upgraded, and started again
    assert await harness.mailer.digests.run_due() == 0
    assert await runs(harness, "weekly") == [(former, DigestRunStatus.DONE)]

    # A run the version before left unfinished (it died mid-way) is finished under its key.
    async with harness.runtime.sessions() as session, session.begin():
        await session.execute(
            update(DigestRun)
            .where(DigestRun.key == former)
            .values(status=DigestRunStatus.RUNNING, finished_at=None)
        )
    assert await harness.mailer.digests.run_due() == 0
    await harness.send_all()
    assert await runs(harness, "weekly") == [(former, DigestRunStatus.DONE)]
    assert titles(harness) == [["Endring 1"]], "one digest of the period"
