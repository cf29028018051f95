"""The CPU of the round's GETs through the watcher's HTTP client, against a floor.

Usage: ``.venv/bin/python bench/watcher/client_floor.py [--repeat 3]``

The round's 1,000 GETs alone, 20 at a time, as the poll round asks them: through
``HttpClient`` (services/watcher/adapters/http_client.py) on the site's /c/ pages (every
answer closes its connection, as run.py's equal work) and /p/ pages (kept alive), and on /c/
through the least an event loop can do: a bare ``asyncio.Protocol`` per connection that sends
the request and counts the bytes until the server closes, with no parsing at all. What the
client costs above that floor is all its parsing, pooling and checks could save. Prints one
JSON line per repeat: CPU seconds (getrusage of this process) of each.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))

import run  # noqa: E402  (the benchmark's own site helpers, beside this file)

from services.watcher.adapters.http_client import HttpClient  # noqa: E402
from shared import event_loop  # noqa: E402

CONCURRENCY = 20


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class _Counted(asyncio.Protocol):
    """Count an answer's bytes until the server closes the connection."""

    def __init__(self, done: asyncio.Future[int]) -> None:
        self._done = done
        self._bytes = 0

    def data_received(self, data: bytes) -> None:
        self._bytes += len(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self._done.done():
            self._done.set_result(self._bytes)


async def _timed(count: int, get: Callable[[int], Awaitable[object]]) -> float:
    slots = asyncio.Semaphore(CONCURRENCY)

    async def one(i: int) -> None:
        async with slots:
            await get(i)

    before = _cpu()
    await asyncio.gather(*(one(i) for i in range(count)))
    return round(_cpu() - before, 3)


async def _floor(host: str, port: int, count: int) -> float:
    loop = asyncio.get_running_loop()

    async def get(i: int) -> None:
        done: asyncio.Future[int] = loop.create_future()
        transport, _ = await loop.create_connection(lambda: _Counted(done), host, port)
        transport.write(
            f"GET {run.EQUAL}{i} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n"
            .encode()
        )  # fmt: skip
        await done

    return await _timed(count, get)


async def _client(base: str, path: str, count: int) -> float:
    client = HttpClient(user_agent="varsel-bench", connect_timeout=10, public_only=False)
    try:
        return await _timed(count, lambda i: client.get(f"{base}{path}{i}", {}, 10_000_000))
    finally:
        await client.aclose()


async def _measure(port: int, count: int, repeat: int) -> None:
    base = f"http://127.0.0.1:{port}"
    for _ in range(repeat):
        figures = {
            "floor_bare_protocol_close_cpu_seconds": await _floor("127.0.0.1", port, count),
            "client_close_cpu_seconds": await _client(base, run.EQUAL, count),
            "client_kept_cpu_seconds": await _client(base, run.KEPT, count),
        }
        print(json.dumps(figures), flush=True)


def main() -> None:
    """Start the site, warm its pages, and time the GETs."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with run.serving(args.port) as base:
        run._warm(base, args.count)
        run._round(base, 1)
        event_loop.run(_measure(args.port, args.count, args.repeat))


if __name__ == "__main__":
    main()
