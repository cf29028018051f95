"""The consent ledger at a million rows: timeline lookups and filtered, keyset-paged pages.

Loads N ledger rows into a fresh PostgreSQL database with COPY (people with realistic stories
over three years, twenty topics of uneven popularity), signs in through the admin login form,
and times requests through the real app over httpx's ASGI transport:

* lookup: POST /admin/consent with a random person's address (their whole timeline);
* ledger: GET /admin/ledger filtered by topic, event type and a date range, following the
  "next page" cursor several pages deep;
* baseline: GET /admin (signed in, no ledger query), the yardstick of the same run.

Run:  .venv/bin/python bench/admin/ledger.py [--rows 1000000] [--requests 300] [--compare]
``--compare`` first times the indexes as they were from migration 0003 to 0034, carrying the
topics, in the same run (0035 took the topics out: an index entry could not hold a sign-up for
every topic of a large catalogue).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.admin import handlers
from services.admin.entrypoints import ledger_views
from services.subscriptions import read_api
from services.subscriptions.adapters.tables import PrivacyNotice
from services.subscriptions.bootstrap import record_privacy_notices
from shared.runtime import build_runtime
from shared.schema import upgrade
from shared.settings import Settings
from shared.tokens import address_hash
from varsel.app import create_app

ADMIN_DB = os.environ.get("VARSEL_TEST_POSTGRES", "postgresql://127.0.0.1:5432/test")
SECRET = "bench-admin-ledger-secret-key-0123456789"
PASSWORD = "bench password, long enough"
TOPICS = [f"tema-{n:02d}" for n in range(20)]
# Zipf-like popularity: the first topic is chosen twenty times as often as the last.
WEIGHTS = [1 / (n + 1) for n in range(len(TOPICS))]
START = datetime(2023, 11, 1, tzinfo=UTC)
SPAN = timedelta(days=3 * 365)
CHANNELS = {"requested": "web", "confirmed": "email-link", "preferences_changed": "manage-page"}


def catalogue() -> str:
    """Return a catalogue with the benchmark's topics."""
    return "".join(
        f'[[topics]]\nslug = "{slug}"\ntitle = {{ nb = "{slug}", en = "{slug}" }}\n\n'
        for slug in TOPICS
    )


def stories(rows: int, notice: tuple[str, str], rng: random.Random) -> Iterator[tuple[object, ...]]:
    """Yield ledger rows, person by person, until ``rows`` are made."""
    version, sha = notice
    made, person = 0, 0
    while made < rows:
        person += 1
        subject = address_hash(SECRET, f"person{person}@example.no")
        topics = sorted(set(rng.choices(TOPICS, WEIGHTS, k=rng.choice((1, 1, 1, 2, 3)))))
        frequency = rng.choice(("immediate", "daily", "weekly"))
        at = START + SPAN * rng.random()
        steps = ["requested"]
        if rng.random() < 0.85:
            steps.append("confirmed")
            if rng.random() < 0.2:
                steps.append("preferences_changed")
            if rng.random() < 0.3:
                steps.append("unsubscribed")
                if rng.random() < 0.5:
                    steps.append("erased")
        for action in steps:
            if made == rows:
                return
            yield (
                subject,
                action,
                json.dumps(topics),
                frequency,
                "nb",
                version,
                sha,
                "https://www.example.no/side" if action == "requested" else None,
                CHANNELS.get(action, "link"),
                str(uuid.uuid4()) if action == "requested" else None,
                at,
                None,
            )
            made += 1
            at += timedelta(minutes=rng.randint(1, 60 * 24 * 30))


COLUMNS = (
    "subject_hash, action, topics, frequency, language, privacy_version, privacy_hash, page, "
    "channel, token_id, occurred_at, details"
)


async def load(dsn: str, rows: int, notice: tuple[str, str]) -> float:
    """COPY the rows in, in time order as the app appends them; return the seconds it took."""
    started = time.perf_counter()
    connection = await asyncpg.connect(dsn)
    try:
        # Stories are made person by person; a real ledger grows in time order, ids and heap
        # pages with it. A staging table puts the rows in that order.
        await connection.execute(
            "CREATE UNLOGGED TABLE bench_staging AS SELECT * FROM sub_consent_ledger WITH NO DATA"
        )
        await connection.copy_records_to_table(
            "bench_staging",
            records=stories(rows, notice, random.Random(1)),
            columns=[c.strip() for c in COLUMNS.split(",")],
        )
        await connection.execute(
            f"INSERT INTO sub_consent_ledger ({COLUMNS}) "
            f"SELECT {COLUMNS} FROM bench_staging ORDER BY occurred_at"
        )
        await connection.execute("DROP TABLE bench_staging")
        await connection.execute("VACUUM ANALYZE sub_consent_ledger")
    finally:
        await connection.close()
    return time.perf_counter() - started


def percentile(values: list[float], share: float) -> float:
    """Return a percentile in milliseconds (nearest rank)."""
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def timed(count: int, request: Callable[[int], Awaitable[httpx.Response]]) -> list[float]:
    """Time ``count`` requests one after another; fail on any unexpected status."""
    latencies = []
    for n in range(count):
        started = time.perf_counter()
        response = await request(n)
        latencies.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"request {n} answered {response.status_code}")
    return latencies


async def measure(
    url: str, workdir: Path, requests: int, people: int, user: str
) -> dict[str, list[float]]:
    """Sign in and time the three kinds of request through the app."""
    config = workdir / "catalogue.toml"
    config.write_text(catalogue(), encoding="utf-8")
    runtime = build_runtime(
        Settings(database_url=url, config=config, var_dir=workdir, secret_key=SECRET)
    )
    app = create_app(runtime, ("admin",))
    rng = random.Random(2)
    async with runtime.sessions() as session, session.begin():
        await handlers.create_user(session, user, "auditor", PASSWORD, runtime.clock.now())
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            form = await client.get("/admin/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
            assert token
            signed_in = await client.post(
                "/admin/login",
                data={"name": user, "password": PASSWORD, "csrf_token": token.group(1)},
            )
            assert signed_in.status_code == 303, signed_in.status_code
            csrf = token.group(1)

            async def home(n: int) -> httpx.Response:
                return await client.get("/admin")

            async def lookup(n: int) -> httpx.Response:
                person = rng.randint(1, people)
                data = {"address": f"person{person}@example.no", "csrf_token": csrf}
                response = await client.post("/admin/consent", data=data)
                if "<tbody>" not in response.text:
                    raise SystemExit(f"no timeline for person {person}")
                return response

            pages: list[str] = []

            async def ledger(n: int) -> httpx.Response:
                # Five pages deep per filter, then a fresh filter.
                if n % 5 == 0 or not pages:
                    first = START + SPAN * rng.random() * 0.9
                    pages[:] = [
                        "/admin/ledger?"
                        + f"topic={rng.choices(TOPICS, WEIGHTS)[0]}"
                        + f"&action={rng.choice(('requested', 'confirmed', 'unsubscribed'))}"
                        + f"&from={first.date()}"
                        + f"&to={(first + timedelta(days=rng.randint(30, 120))).date()}"
                    ]
                response = await client.get(pages[-1])
                following = re.search(r'rel="next" href="([^"]+)"', response.text)
                pages.append(following.group(1).replace("&amp;", "&") if following else pages[0])
                return response

            await timed(20, home)  # warm up: connections, templates, plans
            await timed(20, lookup)
            results = {
                "baseline": await timed(requests, home),
                "lookup": await timed(requests, lookup),
                "ledger": await timed(requests, ledger),
            }
        results.update(await queries_only(runtime.sessions, requests, people))
        return results
    finally:
        await runtime.close()


def ledger_filter(rng: random.Random) -> read_api.LedgerFilter:
    """Return a random filter: a topic, an event type and one to four months."""
    first = START + SPAN * rng.random() * 0.9
    return ledger_views.parse_filter(
        {
            "topic": rng.choices(TOPICS, WEIGHTS)[0],
            "action": rng.choice(("requested", "confirmed", "unsubscribed")),
            "from": first.date().isoformat(),
            "to": (first + timedelta(days=rng.randint(30, 120))).date().isoformat(),
        }
    )


async def queries_only(
    sessions: async_sessionmaker[AsyncSession], requests: int, people: int
) -> dict[str, list[float]]:
    """Time the same two reads without HTTP, templates or the audit write: the database part."""
    rng = random.Random(3)
    lookups, pages = [], []
    for _ in range(requests):
        subject = address_hash(SECRET, f"person{rng.randint(1, people)}@example.no")
        started = time.perf_counter()
        async with sessions() as session:
            await ledger_views.timeline(session, subject)
        lookups.append(time.perf_counter() - started)
    after: tuple[datetime, int] | None = None
    where = ledger_filter(rng)
    for n in range(requests):
        if n % 5 == 0 or after is None:
            where, after = ledger_filter(rng), None
        started = time.perf_counter()
        async with sessions() as session:
            _, after = await read_api.ledger_page(session, where, after=after, limit=50)
        pages.append(time.perf_counter() - started)
    return {"lookup, query only": lookups, "ledger, query only": pages}


LEDGER_INDEXES = {
    "ix_sub_consent_ledger_occurred_at_id": "occurred_at, id",
    "ix_sub_consent_ledger_action_occurred_at_id": "action, occurred_at, id",
}


async def rebuild_indexes(connection: asyncpg.Connection, *, covering: bool) -> None:
    """Build the ledger's keyset indexes with (0003 to 0034) or without (0035) the topics."""
    include = " INCLUDE (topics)" if covering else ""
    for name, columns in LEDGER_INDEXES.items():
        await connection.execute(f'DROP INDEX "{name}"')
        await connection.execute(
            f'CREATE INDEX "{name}" ON sub_consent_ledger ({columns}){include}'
        )
    await connection.execute("VACUUM ANALYZE sub_consent_ledger")


# The page query the app sends (ids first, then the rows), for a rare topic over four months.
EXPLAIN = """EXPLAIN (ANALYZE, FORMAT JSON)
SELECT l.* FROM sub_consent_ledger l JOIN (
  SELECT id, occurred_at FROM sub_consent_ledger
  WHERE CAST(topics AS VARCHAR) LIKE '%"tema-19"%' AND action = 'unsubscribed'
    AND occurred_at >= '2025-03-01' AND occurred_at < '2025-07-01'
  ORDER BY occurred_at DESC, id DESC LIMIT 51) AS page ON page.id = l.id
ORDER BY page.occurred_at DESC, page.id DESC"""


async def explain(connection: asyncpg.Connection) -> str:
    """Return the server's execution time and the inner scan of the sample page query."""
    plan = json.loads(await connection.fetchval(EXPLAIN))[0]
    scans = []

    def walk(node: dict[str, object]) -> None:
        if "Scan" in str(node["Node Type"]):
            scans.append(f"{node['Node Type']} on {node.get('Index Name', node['Relation Name'])}")
        for child in node.get("Plans", []):  # type: ignore[attr-defined]
            walk(child)

    walk(plan["Plan"])
    return f"{plan['Execution Time']:.1f} ms ({scans[0]})"


def print_rows(shape: str, results: dict[str, list[float]]) -> None:
    """Print one Markdown table row per kind of request."""
    base_p50 = percentile(results["baseline"], 0.5)
    for kind, latencies in results.items():
        p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
        print(
            f"| {shape} | {kind} | {len(latencies)} | {p50:.1f} | {p99:.1f} "
            f"| {p50 / base_p50:.1f} |"
        )


async def admin_sql(statement: str) -> None:
    """Run one statement on the server's maintenance database."""
    connection = await asyncpg.connect(ADMIN_DB)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def main() -> None:
    """Load, measure and print a Markdown table row per kind of request."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument(
        "--compare",
        action="store_true",
        help="first time the ledger with its indexes as from 0003 to 0034 (with the topics)",
    )
    args = parser.parse_args()

    name = f"varsel_bench_{uuid.uuid4().hex[:10]}"
    await admin_sql(f'CREATE DATABASE "{name}"')
    base = ADMIN_DB.rsplit("/", 1)[0]
    dsn, url = f"{base}/{name}", f"{base}/{name}".replace("postgresql://", "postgresql+asyncpg://")
    try:
        await asyncio.to_thread(upgrade, url)
        with tempfile.TemporaryDirectory() as tmp:
            config = Path(tmp) / "catalogue.toml"
            config.write_text(catalogue(), encoding="utf-8")
            runtime = build_runtime(
                Settings(database_url=url, config=config, var_dir=Path(tmp), secret_key=SECRET)
            )
            await record_privacy_notices(runtime)
            async with runtime.sessions() as session:
                stored = (await session.scalars(select(PrivacyNotice))).first()
            await runtime.close()
            assert stored is not None
            seconds = await load(dsn, args.rows, (stored.version, stored.sha256))
            connection = await asyncpg.connect(dsn)
            try:
                people = await connection.fetchval(
                    "SELECT count(DISTINCT subject_hash) FROM sub_consent_ledger"
                )
                print(f"loaded {args.rows:,} rows ({people:,} people) in {seconds:.0f} s")
                print("| indexes | request | n | p50 ms | p99 ms | p50 ÷ baseline p50 |")
                print("|---|---|---|---|---|---|")
                shapes = ("0003-0034", "0035") if args.compare else ("0035",)
                for shape in shapes:
                    await rebuild_indexes(connection, covering=shape == "0003-0034")
                    print(f"sample page query, {shape}: {await explain(connection)}")
                    load_before = os.getloadavg()[0]
                    results = await measure(url, Path(tmp), args.requests, people, shape)
                    print_rows(shape, results)
                    print(f"load average {load_before:.1f} → {os.getloadavg()[0]:.1f}")
            finally:
                await connection.close()
    finally:
        await admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    asyncio.run(main())
