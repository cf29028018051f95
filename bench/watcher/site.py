"""A fast loopback site for the watcher benchmark: 1,000 realistic pages, 10 % change per round.

Run as its own process: ``python bench/watcher/site.py --port 8765``. ``GET /_round/N``
switches every page to round N. Page i answers with an ETag when i % 3 == 0, with a
Last-Modified when i % 3 == 1, and with neither (an identical 200 body) otherwise; pages
with i % 10 == 0 get a new paragraph in every round.
"""

from __future__ import annotations

import argparse
import email.utils
import hashlib
import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import uvicorn

PAGES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "watcher" / "pages"
EPOCH = 1_735_689_600  # 2025-01-01T00:00:00Z
FILLER = (
    "<p>Kommunen skal sørge for at innbyggerne får nødvendige helse- og omsorgstjenester, "
    "og tjenestene skal være forsvarlige. Side {i}, avsnitt {n}: veilederen beskriver hvordan "
    "helsepersonell bør samarbeide på tvers av nivåer, med vekt på brukermedvirkning, "
    "dokumentasjon og oppfølging av pasienter med sammensatte behov.</p>\n"
)


def _templates() -> list[str]:
    out = []
    for path in sorted(PAGES.glob("*.html")):
        html = path.read_text("utf-8")
        # Extra paragraphs go inside the main content: before its first <h2> after the <h1>.
        at = html.index("<h2", html.index("</h1>"))
        out.append(html[:at] + "{extra}" + html[at:])
    return out


TEMPLATES = _templates()


def page(i: int, round_no: int) -> bytes:
    """Return page i as served in a round: 8-40 KB of realistic HTML."""
    template = TEMPLATES[i % len(TEMPLATES)]
    target = 8_000 + (i * 7919) % 32_000
    parts = [f"<p>Denne siden har nummer {i} i katalogen.</p>\n"]
    size = len(template)
    n = 0
    while size < target:
        paragraph = FILLER.format(i=i, n=n)
        parts.append(paragraph)
        size += len(paragraph)
        n += 1
    if i % 10 == 0:
        for r in range(1, round_no + 1):
            parts.append(f"<h2>Endring {r}</h2><p>Ny informasjon i runde {r} for side {i}.</p>\n")
    return template.replace("{extra}", "".join(parts)).encode("utf-8")


class Site:
    """The ASGI app."""

    def __init__(self) -> None:
        self.round = 0
        self.changed_at = float(EPOCH)  # when the current round's pages last changed
        self.cache: dict[tuple[int, int], tuple[bytes, str, str]] = {}

    def _resource(self, i: int) -> tuple[bytes, str, str]:
        version = self.round if i % 10 == 0 else 0
        key = (i, version)
        if key not in self.cache:
            body = page(i, version)
            etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
            modified = email.utils.formatdate(self.changed_at if version else EPOCH, usegmt=True)
            self.cache[key] = (body, etag, modified)
        return self.cache[key]

    async def __call__(
        self,
        scope: dict[str, Any],
        receive: Callable[[], Awaitable[Any]],
        send: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        if match := re.fullmatch(r"/_round/(\d+)", path):
            self.round = int(match.group(1))
            self.changed_at = time.time()
            await self._send(send, 200, [], b"ok")
            return
        match = re.fullmatch(r"/([pc])/(\d+)", path)
        if not match:
            await self._send(send, 404, [], b"not found")
            return
        i = int(match.group(2))
        body, etag, modified = self._resource(i)
        out = [(b"content-type", b"text/html; charset=utf-8")]
        if match.group(1) == "c":
            # /c/: the same pages, each answer ending its connection, so that every poll
            # connects anew, as urlwatch's do (requests without a session) and as a watcher's
            # do where a site is polled less often than its connections are kept.
            out.append((b"connection", b"close"))
        if i % 3 == 0:
            out.append((b"etag", etag.encode()))
            if headers.get("if-none-match") == etag:
                await self._send(send, 304, out, b"")
                return
        elif i % 3 == 1:
            out.append((b"last-modified", modified.encode()))
            since = headers.get("if-modified-since")
            parsed = email.utils.parsedate_tz(since) if since else None
            last = self.changed_at if i % 10 == 0 and self.round else EPOCH
            if parsed and email.utils.mktime_tz(parsed) >= int(last):
                await self._send(send, 304, out, b"")
                return
        await self._send(send, 200, out, body)

    @staticmethod
    async def _send(
        send: Callable[[dict[str, Any]], Awaitable[None]],
        status: int,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
    ) -> None:
        headers = [*headers, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def main() -> None:
    """Serve the site on loopback."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    uvicorn.run(Site(), host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
