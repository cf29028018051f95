"""Profile sign-ups in process: the real app over ASGI on a fresh PostgreSQL database.

Prints a pyinstrument tree of N sign-ups (each a new address; one at a time unless
--concurrency says otherwise), the CPU each took (client included) and the number of statements
each one sends to the database, the outbox relay's included.

    .venv/bin/python bench/signup/hotspots.py [--count 300] [--concurrency 1] [--no-profile]
    CPROFILE=tottime .venv/bin/python bench/signup/hotspots.py --no-profile   # cProfile instead

Side by side, in one invocation (each measurement a process of its own, taking turns):

    .venv/bin/python bench/signup/hotspots.py --compare-with /tmp/before [--bare] \
        [--instructions] [--repeat 3] [--count 300]

``--compare-with`` runs the same sign-ups on the code of another checkout (``--code`` of each
child); ``--bare`` adds the bare FastAPI endpoint of ``run.py`` (``bare_app.py``), driven with
the same form; ``--instructions`` counts each measurement's instructions under callgrind (only
the measured sign-ups: instrumentation is switched on and off around them), a figure the
machine's load cannot move. Prints one Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from asgi_lifespan import LifespanManager
from pyinstrument import Profiler
from sqlalchemy import event
from starlette.types import ASGIApp

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ADMIN = os.environ.get("VARSEL_TEST_POSTGRES", "postgresql://127.0.0.1:5432/test")
BARE = "bare"
SLUG = "norge-i-verden"


async def _admin(statement: str, database: str = ADMIN) -> None:
    connection = await asyncpg.connect(database)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def form_token(client: httpx.AsyncClient) -> str:
    """Open the sign-up form once; return its CSRF token, which every sign-up then sends."""
    form = await client.get(f"/subscribe/{SLUG}")
    match = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    return match.group(1) if match else ""


def _callgrind(switch: str) -> None:
    """Switch callgrind's instrumentation of this process on or off."""
    subprocess.run(["callgrind_control", "-i", switch, str(os.getpid())], check=True)
    # callgrind_control returns once the switch is asked for; give it time to take effect.
    time.sleep(0.5)


async def _varsel_app(url: str, code: Path) -> tuple[ASGIApp, Any]:
    """Build varsel's app (subscriptions only) from the checkout at ``code``; return it and its
    engine."""
    sys.path.insert(0, str(code))
    from shared.runtime import build_runtime
    from shared.schema import upgrade_async
    from shared.settings import Settings
    from varsel.app import create_app

    await upgrade_async(url)
    settings = Settings(
        database_url=url,
        var_dir=Path(tempfile.mkdtemp()),
        secret_key="profile-secret-key-0123456789abcdef0123456789",
        signup_limit_per_address=10**9,
        signup_limit_per_address_daily=10**9,
        signup_limit_per_client=10**9,
        # The catalogue's version check is work of the clock, not of the sign-ups counted.
        catalogue_check_seconds=300,
    )
    runtime = build_runtime(settings)
    return create_app(runtime, ("subscriptions",)), runtime.engine.sync_engine


async def _bare_app(url: str) -> tuple[ASGIApp, Any]:
    """Build the bare endpoint of ``run.py`` on its table; return it and its engine."""
    plain = url.replace("postgresql+asyncpg://", "postgresql://")
    await _admin(
        "CREATE TABLE bench_signups (id uuid PRIMARY KEY, email varchar(320) UNIQUE,"
        " frequency varchar(10), created_at timestamptz)",
        plain,
    )
    os.environ["BENCH_DATABASE_URL"] = url
    sys.path.insert(0, str(HERE))
    import bare_app

    return bare_app.app, bare_app.engine.sync_engine


async def _run(args: argparse.Namespace) -> dict[str, float]:
    name = f"varsel_bench_{uuid.uuid4().hex[:10]}"
    await _admin(f'CREATE DATABASE "{name}"')
    base = ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    url = f"{base}/{name}"
    count, profile = args.count, not args.no_profile
    try:
        if args.code == BARE:
            app, engine = await _bare_app(url)
        else:
            app, engine = await _varsel_app(url, Path(args.code))
        statements = 0
        show = False

        shown: list[str] = []

        def _count(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
            nonlocal statements
            statements += 1
            if show and len(shown) < 40:
                shown.append(" ".join(statement.split())[:110])

        event.listen(engine, "before_cursor_execute", _count)

        def _driver_count(record: Any) -> None:
            # A statement run on the driver's own connection passes no SQLAlchemy event; the
            # driver logs those, and the BEGIN and COMMIT of SQLAlchemy's transactions, which
            # are not counted here either way.
            verb = record.query.split(None, 1)[0].rstrip(";").upper()
            if verb not in ("BEGIN", "COMMIT", "ROLLBACK"):
                _count(None, None, record.query)

        def _log_driver(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.driver_connection.add_query_logger(_driver_count)

        if engine.dialect.name == "postgresql":
            event.listen(engine, "connect", _log_driver)
        async with LifespanManager(app):
            transport = httpx.ASGITransport(app, client=("127.0.0.1", 50000))
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                token = await form_token(client)

                async def one(i: int) -> None:
                    answer = await client.post(
                        f"/subscribe/{SLUG}",
                        data={
                            "email": f"profile-{i}@example.no",
                            "frequency": "immediate",
                            "csrf_token": token,
                            "page": f"/subscribe/{SLUG}",  # the form's own page
                        },
                    )
                    assert answer.status_code == 200, answer.text

                for i in range(20):  # warm caches and the connection pool
                    await one(-i - 1)
                await asyncio.sleep(0.5)
                show = True
                await one(10**6)
                await asyncio.sleep(0.5)
                show = False
                if args.instructions:
                    _callgrind("on")
                statements = 0
                profiler = Profiler(async_mode="disabled", interval=0.0005) if profile else None
                own = cProfile.Profile() if os.environ.get("CPROFILE") else None
                if own:
                    own.enable()
                started, cpu = time.perf_counter(), time.process_time()
                if profiler:
                    profiler.start()

                async def lane(lane_no: int) -> None:
                    for i in range(lane_no, count, args.concurrency):
                        await one(i)

                await asyncio.gather(*(lane(n) for n in range(args.concurrency)))
                if profiler:
                    profiler.stop()
                if own:
                    own.disable()
                    pstats.Stats(own).sort_stats(os.environ["CPROFILE"]).print_stats(45)
                elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
                # The relay's pass after the last commit belongs to the sign-ups too.
                await asyncio.sleep(0.5)
                counted = statements
                if args.instructions:
                    _callgrind("off")
        print("statements of one sign-up (and the relay's pass after it):")
        print("\n".join(f"  {line}" for line in shown))
        if profiler:
            print(
                profiler.output_text(
                    unicode=True, color=False, show_all=bool(os.environ.get("SHOW_ALL"))
                )
            )
            if args.html:
                await asyncio.to_thread(Path(args.html).write_text, profiler.output_html())
        print(
            f"{count} sign-ups in {elapsed:.2f} s ({elapsed / count * 1000:.1f} ms each, "
            f"{cpu / count * 1000:.1f} ms CPU each, client and server in this one process)"
        )
        print(f"statements per sign-up (relay included): {counted / count:.1f}")
        return {
            "wall_ms": elapsed / count * 1000,
            "cpu_ms": cpu / count * 1000,
            "statements": counted / count,
        }
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _measure(code: str, args: argparse.Namespace) -> dict[str, float]:
    """Measure the sign-ups of one code (a checkout, or the bare endpoint) in a process of its
    own; return its figures."""
    command = [sys.executable, __file__, "--code", code, "--no-profile", "--json"]
    command += ["--count", str(args.count), "--concurrency", str(args.concurrency)]
    if args.instructions:
        command = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            "--callgrind-out-file=/dev/null",
            *command,
            "--instructions",
        ]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    if args.instructions:
        found = re.search(r"Collected : (\d+)", done.stderr)
        assert found is not None, done.stderr[-2000:]
        figures["instructions"] = int(found.group(1)) / args.count
    return figures


def _compare(args: argparse.Namespace) -> None:
    """Measure every code in turn, ``--repeat`` times; print one Markdown table."""
    codes = [str(ROOT), *(str(Path(c).resolve()) for c in args.compare_with)]
    if args.bare:
        codes.append(BARE)
    runs: dict[str, list[dict[str, float]]] = {code: [] for code in codes}
    before = os.getloadavg()[0]
    for _ in range(args.repeat):
        for code in codes:
            runs[code].append(_measure(code, args))
    loads = f"{before:.1f} → {os.getloadavg()[0]:.1f}"

    def each(code: str, key: str, form: str) -> str:
        return ", ".join(format(run[key], form) for run in runs[code])

    columns = ["statements per sign-up", "CPU ms per sign-up", "wall ms per sign-up"]
    if args.instructions:
        columns.append("instructions per sign-up")
    print(f"\n{args.count} sign-ups one after the other per run, {args.repeat} runs each, in turns")
    print(f"| code | {' | '.join(columns)} | load before → after |")
    print("|---" * (len(columns) + 2) + "|")
    for code in codes:
        cells = [each(code, "statements", ".1f"), each(code, "cpu_ms", ".2f")]
        cells.append(each(code, "wall_ms", ".1f"))
        if args.instructions:
            cells.append(each(code, "instructions", ",.0f"))
        label = "bare FastAPI INSERT" if code == BARE else code
        print(f"| {label} | {' | '.join(cells)} | {loads} |")


def main() -> None:
    """Parse arguments and profile, or compare."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=1, help="sign-ups in flight at once")
    parser.add_argument("--html")
    parser.add_argument("--no-profile", action="store_true", help="time CPU without pyinstrument")
    parser.add_argument(
        "--code",
        default=str(ROOT),
        help=f"the checkout whose app is measured (default this one), or {BARE!r}",
    )
    parser.add_argument(
        "--compare-with",
        action="append",
        default=[],
        help="also measure another checkout's code, in turns with this one; repeatable",
    )
    parser.add_argument("--bare", action="store_true", help="with --compare-with: the bare app too")
    parser.add_argument("--repeat", type=int, default=3, help="with --compare-with: runs of each")
    parser.add_argument(
        "--instructions", action="store_true", help="count instructions under callgrind"
    )
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.compare_with or args.bare:
        _compare(args)
        return
    if args.instructions and "valgrind" not in os.environ.get("LD_PRELOAD", ""):
        parser.error("--instructions runs under callgrind: use it with --compare-with or --bare")
    figures = asyncio.run(_run(args))
    if args.json:
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
