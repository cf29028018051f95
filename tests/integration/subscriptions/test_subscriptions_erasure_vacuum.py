"""On PostgreSQL an erased address stays a dead tuple until VACUUM; the hourly job removes it.

``pageinspect`` reads the subscriber table's pages and its address index as they are on disk:
before the job the deleted row (and its index entry) is still there with the address, after it
neither is, nor any other dead tuple, and the statistics say the table was vacuumed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from services.subscriptions.adapters.tables import Subscriber
from tests.support.databases import migrated_postgres_database

from .harness import Harness, press, running, subscribed

ADDRESS = "per.vakuum-slettet@eksempel.no"
OTHER = "kari.blir-igjen@eksempel.no"

pytestmark = pytest.mark.postgres


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with migrated_postgres_database() as url:
        yield url


async def _tuples_holding(h: Harness, needle: str) -> list[str]:
    """Return where the table's heap pages or the address index hold ``needle`` in a tuple."""
    table = Subscriber.__tablename__
    found: list[str] = []
    async with h.runtime.engine.connect() as connection:
        await connection.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
        index = (
            await connection.execute(
                text(
                    "SELECT indexrelid::regclass::text FROM pg_index "
                    "JOIN pg_attribute a ON a.attrelid = indrelid AND a.attnum = indkey[0] "
                    "WHERE indrelid = CAST(:t AS regclass) AND a.attname = 'email'"
                ),
                {"t": table},
            )
        ).scalar_one()
        heap_pages = (
            await connection.execute(
                text("SELECT pg_relation_size(CAST(:t AS regclass)) / 8192"), {"t": table}
            )
        ).scalar_one()
        for block in range(heap_pages):
            rows = await connection.execute(
                text(
                    "SELECT lp, lp_flags FROM heap_page_items(get_raw_page(:t, :b)) "
                    "WHERE position(convert_to(:n, 'UTF8') IN t_data) > 0"
                ),
                {"t": table, "b": block, "n": needle},
            )
            found += [f"{table} block {block} item {lp} (flags {f})" for lp, f in rows]
        index_pages = (
            await connection.execute(
                text("SELECT pg_relation_size(CAST(:i AS regclass)) / 8192"), {"i": index}
            )
        ).scalar_one()
        for block in range(1, index_pages):  # block 0 is the index's metapage
            items = await connection.execute(
                text("SELECT itemoffset, data FROM bt_page_items(:i, :b)"),
                {"i": index, "b": block},
            )
            for offset, data in items:
                if needle.encode() in bytes.fromhex((data or "").replace(" ", "")):
                    found.append(f"{index} block {block} item {offset}")
        await connection.commit()
    return found


async def _dead_tuples(h: Harness) -> int:
    """Count the table's dead tuples as its pages hold them: deleted or replaced row versions
    (an xmax that is not only a row lock, HEAP_XMAX_LOCK_ONLY = 128: FOR UPDATE sets one too).

    The pages, not pg_stat_user_tables.n_dead_tup: a backend reports its deletes to the
    statistics up to seconds later, so that counter can rise again after a vacuum that left
    nothing dead (seen under load).
    """
    table = Subscriber.__tablename__
    dead = 0
    async with h.runtime.engine.connect() as connection:
        pages = (
            await connection.execute(
                text("SELECT pg_relation_size(CAST(:t AS regclass)) / 8192"), {"t": table}
            )
        ).scalar_one()
        for block in range(pages):
            dead += (
                await connection.execute(
                    text(
                        "SELECT count(*) FROM heap_page_items(get_raw_page(:t, :b)) "
                        "WHERE lp_flags = 3 "
                        "OR (lp_flags = 1 AND t_xmax <> '0' AND t_infomask & 128 = 0)"
                    ),
                    {"t": table, "b": block},
                )
            ).scalar_one()
        vacuumed = (
            await connection.execute(
                text("SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = :t"),
                {"t": table},
            )
        ).scalar_one()
    assert vacuumed > 0, "the subscriber table was never vacuumed"
    return int(dead)


async def _dead_tuples_before_any_vacuum(h: Harness) -> int:
    async with h.runtime.engine.connect() as connection:
        dead = (
            await connection.execute(
                text(
                    "SELECT count(*) FROM heap_page_items(get_raw_page(:t, 0)) "
                    "WHERE lp_flags = 1 AND t_xmax <> '0' AND t_infomask & 128 = 0"
                ),
                {"t": Subscriber.__tablename__},
            )
        ).scalar_one()
    return int(dead)


async def _no_older_snapshot(h: Harness, within: float = 30.0) -> None:
    """Wait until no other connection to the database holds a snapshot (an open transaction)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        async with h.runtime.engine.connect() as connection:
            holding = (
                await connection.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                        " AND pid <> pg_backend_pid() AND backend_xmin IS NOT NULL"
                    )
                )
            ).scalar_one()
        if not holding:
            return
        assert asyncio.get_running_loop().time() < deadline, f"{holding} transactions stay open"
        await asyncio.sleep(0.05)


async def test_the_hourly_job_vacuums_the_erased_address_out_of_the_pages(
    postgres_url: str, tmp_path: Path
) -> None:
    async with running(postgres_url, tmp_path) as h:
        await subscribed(h, ADDRESS)
        await subscribed(h, OTHER)
        token = await h.link_token(ADDRESS, "unsubscribe")
        erased = await press(h.client, f"/unsubscribe/{token}", "erase")
        assert erased.status_code == 200, erased.text
        assert await h.subscriber(ADDRESS) is None
        # Deleted for every reader, but still on the table's pages as a dead tuple.
        assert await _tuples_holding(h, ADDRESS) != []
        assert await _dead_tuples_before_any_vacuum(h) > 0

        # VACUUM removes a dead tuple only once no transaction that could still see it is
        # open: the app's own background work (the outbox relay's pass, the consumers of the
        # erasure) may hold one for a moment on a busy machine, and the hourly job comes later.
        await _no_older_snapshot(h)
        removed = await h.app.state.housekeeping["subscriptions"]()

        assert isinstance(removed, dict)
        assert await _tuples_holding(h, ADDRESS) == []
        assert await _dead_tuples(h) == 0
        # The person who stays is untouched, and the search finds a live address.
        assert await _tuples_holding(h, OTHER) != []
        assert await h.subscriber(OTHER) is not None
