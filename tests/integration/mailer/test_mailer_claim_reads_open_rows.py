"""A claim reads the ledger's open rows by an index, not every mail ever sent.

On PostgreSQL the claim has one index to read them by, the partial ix_mail_deliveries_claimable
(migration 0004); the (status, next_attempt_at) index is made on SQLite alone (migration 0023),
so each claim and mark writes one index entry fewer. Were the partial index gone or not
usable for the claim's condition, each claim would read the whole ledger.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.mailer.adapters.claims import claim_due
from services.mailer.delivery import LEASE
from tests.integration.mailer.harness import Harness, on
from tests.support.seed import insert_immediate_subscribers

LEDGER = 5_000
OPEN = 3


async def scans(session: AsyncSession) -> tuple[int, int]:
    """Return this transaction's (whole-table, index) scans of the ledger so far."""
    row = (
        await session.execute(
            text(
                "SELECT seq_scan, idx_scan FROM pg_stat_xact_user_tables "
                "WHERE relname = 'mail_deliveries'"
            )
        )
    ).one()
    return row.seq_scan, row.idx_scan


@on("postgresql")
async def test_a_claim_among_thousands_of_sent_mails_reads_the_open_rows_by_index(
    harness: Harness,
) -> None:
    await insert_immediate_subscribers(harness.runtime.sessions, LEDGER)
    await harness.change("Et stort varsel")
    async with harness.runtime.sessions() as session, session.begin():
        # All but the newest few were sent, as in a ledger that has run for a while.
        await session.execute(
            text(
                "UPDATE mail_deliveries SET status = 'sent', sent_at = now() WHERE id NOT IN "
                "(SELECT id FROM mail_deliveries ORDER BY id DESC LIMIT :open)"
            ),
            {"open": OPEN},
        )
    async with harness.runtime.sessions() as session:
        await session.execute(text("ANALYZE mail_deliveries"))
        await session.commit()
        indexes = set(
            (
                await session.execute(
                    text("SELECT indexname FROM pg_indexes WHERE tablename = 'mail_deliveries'")
                )
            ).scalars()
        )
    assert "ix_mail_deliveries_due" not in indexes, "made on SQLite alone (0023)"

    now = harness.clock.now()
    async with harness.runtime.sessions() as session, session.begin():
        before = await scans(session)
        claimed = await claim_due(session, now, now + LEASE, limit=32, skip_locked=True)
        after = await scans(session)
    assert len(claimed) == OPEN
    assert after[0] == before[0], "the claim read the whole ledger"
    assert after[1] > before[1]
