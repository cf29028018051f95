"""Seed a benchmark database with COPY, in its own process (so it never counts in the mailer's RSS).

    python bench/mailer/seed.py immediate postgresql://127.0.0.1/db 100000
    python bench/mailer/seed.py weekly postgresql://127.0.0.1/db 100000 --topics 5 --changes 20 \\
        --week-start 2026-11-16T06:00:00+00:00

``immediate``: N confirmed immediate subscribers of ``topic-1``. ``weekly``: N confirmed weekly
subscribers of every topic (following them since the day before the week), and ``changes``
stored changes per topic inside the week, not yet told: the measuring process tells them (the
week's fan-out, docs/decisions/0016) before the digest run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

SUBSCRIBER_COLUMNS = (
    "id",
    "email",
    "language",
    "frequency",
    "status",
    "created_at",
    "confirmed_at",
    "hard_bounces",
)


def topic_slug(n: int) -> str:
    """Return the n-th benchmark topic (1-based)."""
    return f"topic-{n}"


async def _subscribers(
    connection: asyncpg.Connection,
    count: int,
    frequency: str,
    topics: list[str],
    since: datetime | None = None,
) -> list[uuid.UUID]:
    now = datetime.now(UTC) if since is None else since
    ids = [uuid.uuid4() for _ in range(count)]
    await connection.copy_records_to_table(
        "sub_subscribers",
        columns=SUBSCRIBER_COLUMNS,
        records=(
            (i, f"p{n}@bench.example.org", "nb", frequency, "active", now, now, 0)
            for n, i in enumerate(ids)
        ),
    )
    await connection.copy_records_to_table(
        "sub_subscriptions",
        columns=("subscriber_id", "topic", "started_at"),
        records=((i, topic, now) for i in ids for topic in topics),
    )
    return ids


async def seed_immediate(url: str, count: int) -> None:
    """Insert ``count`` confirmed immediate subscribers of topic 1."""
    connection = await asyncpg.connect(url)
    try:
        await _subscribers(connection, count, "immediate", [topic_slug(1)])
        # A live database with this many people has planner statistics; autovacuum is off on
        # some test machines, and would lag a bulk load by a minute anyway.
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def seed_weekly(
    url: str, count: int, topics: int, changes: int, week_start: datetime
) -> None:
    """Insert weekly subscribers of every topic and a week of changes not yet told."""
    slugs = [topic_slug(n) for n in range(1, topics + 1)]
    connection = await asyncpg.connect(url)
    try:
        await _subscribers(connection, count, "weekly", slugs, week_start - timedelta(days=1))
        step = timedelta(days=7) / (changes + 1)
        stored = [
            (uuid.uuid4(), slug, week_start + step * (k + 1))
            for slug in slugs
            for k in range(changes)
        ]
        await connection.copy_records_to_table(
            "mail_changes",
            columns=(
                "id",
                "source_url",
                "url",
                "title",
                "kind",
                "topics",
                "summary",
                "occurred_at",
            ),
            records=(
                (
                    change_id,
                    f"https://www.fhi.no/{slug}/",
                    f"https://www.fhi.no/{slug}/rapport-{change_id.hex[:8]}",
                    f"Ny rapport om {slug} ({when:%d.%m})",
                    "page",
                    json.dumps([slug]),
                    "Nytt avsnitt om vaksinasjonsdekning. Tabell 2 og 3 er oppdatert med tall "
                    "for andre kvartal.",
                    when,
                )
                for change_id, slug, when in stored
            ),
        )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


def main() -> None:
    """Parse the command line and seed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=["immediate", "weekly"])
    parser.add_argument("url", help="postgresql:// URL of a migrated database")
    parser.add_argument("count", type=int)
    parser.add_argument("--topics", type=int, default=5)
    parser.add_argument("--changes", type=int, default=20, help="changes per topic")
    parser.add_argument("--week-start", default="2026-11-16T06:00:00+00:00")
    args = parser.parse_args()
    started = time.perf_counter()
    if args.kind == "immediate":
        asyncio.run(seed_immediate(args.url, args.count))
    else:
        start = datetime.fromisoformat(args.week_start)
        asyncio.run(seed_weekly(args.url, args.count, args.topics, args.changes, start))
    print(json.dumps({"seed_s": round(time.perf_counter() - started, 1)}))


if __name__ == "__main__":
    main()
