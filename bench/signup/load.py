"""Steady load on one sign-up endpoint: N connections for a fixed time; prints JSON figures."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time

import httpx


async def _worker(
    client: httpx.AsyncClient,
    slug: str,
    n: int,
    window: tuple[float, float],
    latencies: list[float],
    errors: list[int],
) -> None:
    form = await client.get(f"/subscribe/{slug}")
    match = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    token = match.group(1) if match else ""
    start, until = window
    # Every connection has its CSRF cookie before the clock starts, so setup is not measured.
    await asyncio.sleep(max(0.0, start - time.monotonic()))
    i = 0
    while time.monotonic() < until:
        i += 1
        data = {
            "email": f"bench-{n}-{i}-{time.monotonic_ns()}@example.no",
            "frequency": "immediate",
            "csrf_token": token,
            "page": f"/subscribe/{slug}",  # the hidden field: the page the form is on
        }
        started = time.perf_counter()
        answer = await client.post(f"/subscribe/{slug}", data=data)
        latencies.append(time.perf_counter() - started)
        if answer.status_code != 200:
            errors.append(answer.status_code)


async def _run(base_url: str, slug: str, concurrency: int, seconds: float) -> dict[str, object]:
    latencies: list[float] = []
    errors: list[int] = []
    clients = [httpx.AsyncClient(base_url=base_url, timeout=30) for _ in range(concurrency)]
    started = time.monotonic() + 2.0
    until = started + seconds
    try:
        await asyncio.gather(
            *(
                _worker(client, slug, n, (started, until), latencies, errors)
                for n, client in enumerate(clients)
            )
        )
    finally:
        for client in clients:
            await client.aclose()
    # Requests still running at the deadline finish and count; so does the time they took.
    elapsed = max(until, time.monotonic()) - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": len(errors),
        "requests_per_s": len(latencies) / elapsed,
        "p50_ms": latencies[len(latencies) // 2] * 1000 if latencies else 0.0,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000 if latencies else 0.0,
        "elapsed_s": elapsed,
        "latencies_ms": [round(x * 1000, 2) for x in latencies],
    }


def main() -> None:
    """Parse arguments, run the load, print one JSON line."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--slug", default="norge-i-verden")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(_run(args.url, args.slug, args.concurrency, args.seconds))))


if __name__ == "__main__":
    main()
