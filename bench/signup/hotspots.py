"""Profile sign-ups in process: the real app over ASGI on a fresh PostgreSQL database.

Prints a pyinstrument tree of N sign-ups (each a new address; one at a time unless
--concurrency says otherwise), the CPU each took (client included) and the number of statements
each one sends to the database, the outbox relay's included.

    .venv/bin/python bench/signup/hotspots.py [--count 300] [--concurrency 1] [--no-profile]
    CPROFILE=tottime .venv/bin/python bench/signup/hotspots.py --no-profile   # cProfile instead
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import re
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

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from shared.runtime import build_runtime  # noqa: E402
from shared.schema import upgrade_async  # noqa: E402
from shared.settings import Settings  # noqa: E402
from varsel.app import create_app  # noqa: E402

ADMIN = os.environ.get("VARSEL_TEST_POSTGRES", "postgresql://127.0.0.1:5432/test")


async def _admin(statement: str) -> None:
    connection = await asyncpg.connect(ADMIN)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def _run(count: int, concurrency: int, html: str | None, profile: bool) -> None:
    name = f"varsel_bench_{uuid.uuid4().hex[:10]}"
    await _admin(f'CREATE DATABASE "{name}"')
    base = ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    url = f"{base}/{name}"
    try:
        await upgrade_async(url)
        settings = Settings(
            database_url=url,
            var_dir=Path(tempfile.mkdtemp()),
            secret_key="profile-secret-key-0123456789abcdef0123456789",
            signup_limit_per_address=10**9,
            signup_limit_per_client=10**9,
        )
        runtime = build_runtime(settings)
        statements = 0
        show = False

        shown: list[str] = []

        def _count(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
            nonlocal statements
            statements += 1
            if show and len(shown) < 40:
                shown.append(" ".join(statement.split())[:110])

        event.listen(runtime.engine.sync_engine, "before_cursor_execute", _count)
        app = create_app(runtime, ("subscriptions",))
        async with LifespanManager(app):
            transport = httpx.ASGITransport(app, client=("127.0.0.1", 50000))
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                form = await client.get("/subscribe/norge-i-verden")
                match = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
                token = match.group(1) if match else ""

                async def one(i: int) -> None:
                    answer = await client.post(
                        "/subscribe/norge-i-verden",
                        data={
                            "email": f"profile-{i}@example.no",
                            "frequency": "immediate",
                            "csrf_token": token,
                            "page": "/subscribe/norge-i-verden",  # the form's own page
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
                statements = 0
                profiler = Profiler(async_mode="disabled", interval=0.0005) if profile else None
                own = cProfile.Profile() if os.environ.get("CPROFILE") else None
                if own:
                    own.enable()
                started, cpu = time.perf_counter(), time.process_time()
                if profiler:
                    profiler.start()

                async def lane(lane_no: int) -> None:
                    for i in range(lane_no, count, concurrency):
                        await one(i)

                await asyncio.gather(*(lane(n) for n in range(concurrency)))
                if profiler:
                    profiler.stop()
                if own:
                    own.disable()
                    pstats.Stats(own).sort_stats(os.environ["CPROFILE"]).print_stats(45)
                elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
                await asyncio.sleep(0.5)
        print("statements of one sign-up (and the relay's pass after it):")
        print("\n".join(f"  {line}" for line in shown))
        if profiler:
            print(
                profiler.output_text(
                    unicode=True, color=False, show_all=bool(os.environ.get("SHOW_ALL"))
                )
            )
            if html:
                await asyncio.to_thread(Path(html).write_text, profiler.output_html())
        print(
            f"{count} sign-ups in {elapsed:.2f} s ({elapsed / count * 1000:.1f} ms each, "
            f"{cpu / count * 1000:.1f} ms CPU each, client and server in this one process)"
        )
        print(f"statements per sign-up (relay included): {statements / count:.1f}")
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    """Parse arguments and profile."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=1, help="sign-ups in flight at once")
    parser.add_argument("--html")
    parser.add_argument("--no-profile", action="store_true", help="time CPU without pyinstrument")
    args = parser.parse_args()
    asyncio.run(_run(args.count, args.concurrency, args.html, not args.no_profile))


if __name__ == "__main__":
    main()
