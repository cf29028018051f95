"""A claim reads the ledger's open rows by an index, not every mail ever sent.

On PostgreSQL the claim has one index to read them by, the partial ix_mail_deliveries_claimable
(migration 0004, its condition is_open since 0027); the (status, next_attempt_at) index is made
on SQLite alone (migration 0023), so each claim and mark writes one index entry fewer. Were the
partial index gone, or a question not asked by its condition, each would read the whole ledger.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.mailer.adapters.claims import claim_due
from services.mailer.delivery import LEASE
from tests.distributed.topology import OPEN_MAIL
from tests.integration.mailer.harness import Harness, on
from tests.support.seed import insert_immediate_subscribers

LEDGER = 5_000
OPEN = 3


async def ledger_counts(session: AsyncSession, *counts: str) -> tuple[int, ...]:
    """Return this transaction's counts of the ledger's activity so far (``seq_scan``,
    ``idx_scan``, ``n_tup_upd``, ``n_tup_hot_upd``: pg_stat_xact_user_tables)."""
    row = (
        await session.execute(
            text(
                f"SELECT {', '.join(counts)} FROM pg_stat_xact_user_tables "
                "WHERE relname = 'mail_deliveries'"
            )
        )
    ).one()
    return tuple(row)


async def _a_ledger_of_sent_mails(harness: Harness) -> None:
    """Fill the ledger with LEDGER mails, all sent but the newest OPEN, and analyse it."""
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


@on("postgresql")
async def test_a_claim_among_thousands_of_sent_mails_reads_the_open_rows_by_index(
    harness: Harness,
) -> None:
    await _a_ledger_of_sent_mails(harness)

    now = harness.clock.now()
    async with harness.runtime.sessions() as session, session.begin():
        before = await ledger_counts(session, "seq_scan", "idx_scan")
        claimed = await claim_due(session, now, now + LEASE, limit=32, skip_locked=True)
        after = await ledger_counts(session, "seq_scan", "idx_scan")
    assert len(claimed) == OPEN
    assert after[0] == before[0], "the claim read the whole ledger"
    assert after[1] > before[1]


@on("postgresql")
async def test_asking_how_many_mails_are_left_reads_the_open_rows_by_index(
    harness: Harness,
) -> None:
    # The distributed tests ask it again and again while the mailers work (topology.settled),
    # as the scaling benchmark asks whether any is left: by the status, PostgreSQL read the
    # whole ledger at each look once the index's condition became is_open (migration 0027).
    await _a_ledger_of_sent_mails(harness)

    async with harness.runtime.sessions() as session, session.begin():
        before = await ledger_counts(session, "seq_scan", "idx_scan")
        left = (await session.execute(text(OPEN_MAIL))).scalar_one()
        after = await ledger_counts(session, "seq_scan", "idx_scan")
    assert left == OPEN
    assert after[0] == before[0], "the question read the whole ledger"
    assert after[1] > before[1]


@on("postgresql")
async def test_a_claim_updates_the_rows_in_place_writing_no_index_entry(
    harness: Harness,
) -> None:
    # A claim changes the status from queued to sending, and no column an index reads: with
    # room on the page (fillfactor 50, migration 0027) PostgreSQL updates each row in place
    # (HOT). Before 0027 the claimable index read the status, and each claim wrote an entry
    # into all four of the ledger's indexes for every mail.
    await insert_immediate_subscribers(harness.runtime.sessions, 200)
    await harness.change("Et varsel til mange")
    now = harness.clock.now()
    async with harness.runtime.sessions() as session, session.begin():
        before = await ledger_counts(session, "n_tup_upd", "n_tup_hot_upd")
        claimed = await claim_due(session, now, now + LEASE, limit=200, skip_locked=True)
        after = await ledger_counts(session, "n_tup_upd", "n_tup_hot_upd")
    assert len(claimed) == 200
    assert after[0] - before[0] == 200
    assert after[1] - before[1] == 200, "some claims wrote new index entries"

    # The mark (sending to sent) takes the row out of the claimable index, and the next
    # claim still finds nothing sent.
    async with harness.runtime.sessions() as session, session.begin():
        await session.execute(text("UPDATE mail_deliveries SET status = 'sent'"))
    async with harness.runtime.sessions() as session, session.begin():
        assert await claim_due(session, now, now + LEASE, limit=200, skip_locked=True) == []
        open_rows = await session.execute(
            text("SELECT count(*) FROM mail_deliveries WHERE is_open")
        )
        assert open_rows.scalar_one() == 0
