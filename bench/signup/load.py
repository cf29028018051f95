"""Steady load on one sign-up endpoint: N connections for a fixed time; prints JSON figures."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time

import httpx


async def _worker(
    base_url: str, slug: str, n: int, until: float, latencies: list[float], errors: list[int]
) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        form = await client.get(f"/subscribe/{slug}")
        match = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        token = match.group(1) if match else ""
        i = 0
        while time.monotonic() < until:
            i += 1
            data = {
                "email": f"bench-{n}-{i}-{time.monotonic_ns()}@example.no",
                "frequency": "immediate",
                "csrf_token": token,
            }
            started = time.perf_counter()
            answer = await client.post(f"/subscribe/{slug}", data=data)
            latencies.append(time.perf_counter() - started)
            if answer.status_code != 200:
                errors.append(answer.status_code)


async def _run(base_url: str, slug: str, concurrency: int, seconds: float) -> dict[str, float]:
    latencies: list[float] = []
    errors: list[int] = []
    started = time.monotonic()
    until = started + seconds
    await asyncio.gather(
        *(_worker(base_url, slug, n, until, latencies, errors) for n in range(concurrency))
    )
    elapsed = time.monotonic() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": len(errors),
        "requests_per_s": len(latencies) / elapsed,
        "p50_ms": latencies[len(latencies) // 2] * 1000 if latencies else 0.0,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000 if latencies else 0.0,
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
