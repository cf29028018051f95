"""Fetching sources over HTTP: conditional requests, caps, per-host limits, an address guard."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urljoin

from multidict import CIMultiDictProxy

from services.watcher.adapters.content_coding import (
    CutShort,
    Inflater,
    Unasked,
    Undecodable,
    body_coding,
)
from services.watcher.adapters.fetch_errors import FetchError
from services.watcher.adapters.host_turns import HostTurns
from services.watcher.adapters.http_client import HttpClient
from services.watcher.adapters.http_exchange import Reply
from services.watcher.adapters.http_headers import (
    PAUSES,
    ahead,
    ended_by_close,
    escaped_bytes,
    retry_after,
    sendable,
    usable_etag,
    usable_last_modified,
)
from services.watcher.domain.refresh import refresh_target


@dataclass(frozen=True, slots=True)
class Fetched:
    """The answer to one poll."""

    url: str
    not_modified: bool
    body: bytes = b""
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    links: str | None = None  # the Link header(s), where a feed may name its WebSub hub
    # The body's end was the server closing the connection: no length, no chunks, no
    # compressed stream whose end is checked. Such a body cut off on its way looks whole.
    ended_by_close: bool = False


class Fetcher(Protocol):
    """Fetches a source, conditionally when validators are known."""

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None,
        last_modified: str | None,
        deadline: float | None = None,
    ) -> Fetched:
        """Return the body or a not-modified answer; raise FetchError on any failure, and
        FetchDeadline when ``deadline`` (on the event loop's clock) passes first, NoTurn when
        it passed while, or after, the fetch waited for a host's turn."""

    async def aclose(self) -> None:
        """Release connections."""


class HttpFetcher:
    """The real fetcher, on one HttpClient (its pool of connections and cookies)."""

    def __init__(
        self,
        *,
        timeout: float,
        max_bytes: int,
        max_redirects: int,
        per_host: int,
        allow_private: bool,
        user_agent: str,
        min_gap_seconds: float = 0.0,
    ) -> None:
        self._http: HttpClient | None = None
        self._user_agent = user_agent
        # Connecting must succeed within the timeout; the whole answer must arrive within
        # twice it (HostTurns). No per-read timeout: the deadline already ends a trickling
        # answer.
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._max_redirects = max_redirects
        self._allow_private = allow_private
        self._turns = HostTurns(per_host=per_host, timeout=timeout, min_gap_seconds=min_gap_seconds)

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None,
        last_modified: str | None,
        deadline: float | None = None,
    ) -> Fetched:
        """Fetch with validators, following at most the configured number of redirects, and
        ending by ``deadline`` (on the event loop's clock), if given."""
        headers: dict[str, str] = {}
        # Each checked again: one stored before it was checked may be in the future, or hold
        # a character no request may carry.
        if etag and sendable(etag):
            headers["If-None-Match"] = etag
        if last_modified and sendable(last_modified) and not ahead(last_modified, None):
            headers["If-Modified-Since"] = last_modified
        current = url
        for _ in range(self._max_redirects + 1):
            # The URL split once, by the client, which keeps it: a source is polled again and
            # again. Its host is judged where it is connected to (http_client, address_guard).
            host = self._client().target(current).host
            response = await self._turns.hop(host, current, self._get, headers, deadline)
            if response.status_code == 304 and not headers:
                # A 304 answers a conditional request alone. Taken as «unchanged» when
                # nothing was asked, a new source never took its baseline and a known one
                # missed every change while it showed as working.
                raise FetchError(
                    f"HTTP 304 from {current}, to a request without If-None-Match or"
                    " If-Modified-Since: «not modified» since nothing",
                    "http_status",
                )
            if response.is_redirect:
                location = response.location
                if not location:
                    raise FetchError(f"redirect without a Location from {current}")
                try:
                    current = urljoin(current, escaped_bytes(location))
                except ValueError as exc:  # «http://[::1»: no URL at all
                    raise FetchError(
                        f"invalid URL {location[:200]!r} in a redirect from {current}", "bad_url"
                    ) from exc
                continue
            fetched = response.to_fetched(current)
            if not fetched.not_modified:
                # A CMS's «moved» notice that refreshes at once is a redirect a browser follows:
                # followed as one, under the same limit (domain/refresh.py).
                target = refresh_target(fetched.body, fetched.content_type, current)
                if target is not None:
                    current = target
                    continue
            return fetched
        raise FetchError(f"more than {self._max_redirects} redirects from {url}")

    def _client(self) -> HttpClient:
        # Made on first use: its connections belong to the running event loop.
        if self._http is None:
            self._http = HttpClient(
                user_agent=self._user_agent,
                connect_timeout=self._timeout,
                public_only=not self._allow_private,
            )
        return self._http

    async def _get(self, url: str, headers: dict[str, str]) -> _Response:
        reply = await self._client().get(url, headers, self._max_bytes)
        status = reply.status
        if status == 304:
            return _Response(304, b"", reply.headers, None)
        if status in _REDIRECTS:
            return _Response(status, b"", reply.headers, reply.headers.get("location"))
        if status != 200:
            pause = retry_after(reply.headers) if status in PAUSES else None
            said = f" (it asks for a pause of {pause:.0f} s)" if pause else ""
            raise FetchError(
                f"HTTP {status} from {url}{said}",
                "http_status",
                status=status,
                retry_after=pause,
            )
        return _Response(200, self._body(reply, url), reply.headers, None)

    def _body(self, reply: Reply, url: str) -> bytes:
        """A 200's body, its Content-Encoding decoded within the cap (the bytes as sent were
        capped as they came: http_exchange)."""
        try:
            coding = body_coding(reply.headers.get("content-encoding"))
        except Unasked as exc:
            raise FetchError(
                f"{url} sends a body compressed as {exc}, which varsel does not ask for"
            ) from exc
        if coding is None:
            return b"".join(reply.chunks)
        inflater = Inflater(coding)
        parts: list[bytes] = []
        size = 0
        # Chunk by chunk, each inflated to one byte past what the cap leaves at most, so a
        # bomb never inflates further than the cap.
        try:
            for chunk in reply.chunks:
                part = inflater.inflate(chunk, self._max_bytes - size)
                size += len(part)
                if size > self._max_bytes:
                    raise FetchError(f"body is over the {self._max_bytes}-byte cap", "too_large")
                parts.append(part)
            inflater.end()
        except Undecodable as exc:
            raise FetchError(
                f"{url} sends a body marked Content-Encoding: {exc} that is not {exc}"
            ) from exc
        except CutShort as exc:
            raise FetchError(
                f"broken body from {url}: its {exc} stream stops before its end (cut off on"
                " the way; what came was not read)"
            ) from exc
        return b"".join(parts)

    async def aclose(self) -> None:
        """Close the connections."""
        if self._http is not None:
            http, self._http = self._http, None
            await http.aclose()


_REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True, slots=True)
class _Response:
    status_code: int
    body: bytes
    headers: CIMultiDictProxy[str]
    location: str | None

    @property
    def is_redirect(self) -> bool:
        return self.status_code in _REDIRECTS

    def to_fetched(self, url: str) -> Fetched:
        if self.status_code == 304:
            return Fetched(url=url, not_modified=True)
        return Fetched(
            url=url,
            not_modified=False,
            body=self.body,
            content_type=self.headers.get("content-type"),
            etag=usable_etag(self.headers),
            last_modified=usable_last_modified(self.headers),
            links=escaped_bytes(", ".join(self.headers.getall("link", ()))) or None,
            ended_by_close=ended_by_close(self.headers),
        )
