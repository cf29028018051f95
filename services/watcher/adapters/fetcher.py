"""Fetching sources over HTTP: conditional requests, caps, per-host limits, an address guard."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol
from urllib.parse import urljoin, urlsplit

import aiohttp
from multidict import CIMultiDictProxy

from services.watcher.adapters.address_guard import AddressRefused
from services.watcher.adapters.content_coding import (
    CutShort,
    Inflater,
    Unasked,
    Undecodable,
    body_coding,
)
from services.watcher.adapters.fetch_errors import FetchError
from services.watcher.adapters.host_turns import HostTurns
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
from services.watcher.adapters.http_session import open_session
from services.watcher.domain.refresh import refresh_target
from shared.private_addresses import REFUSED, forbidden_literal


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
    """The real fetcher, on one shared aiohttp session (see http_session)."""

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
        self._session: aiohttp.ClientSession | None = None
        self._user_agent = user_agent
        # Connecting must succeed within the timeout; the whole answer must arrive within
        # twice it (the deadline in fetch). No per-read timeout: aiohttp would re-arm a timer
        # for every chunk that arrives, and the deadline already ends a trickling answer.
        self._client_timeout = aiohttp.ClientTimeout(
            total=None, connect=timeout, sock_connect=timeout, sock_read=None
        )
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
            host = _host_to_fetch(current, self._allow_private)
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

    def _client(self) -> aiohttp.ClientSession:
        # Opened on first use: an aiohttp session belongs to the running event loop.
        if self._session is None:
            self._session = open_session(
                user_agent=self._user_agent, public_only=not self._allow_private
            )
        return self._session

    async def _get(self, url: str, headers: dict[str, str]) -> _Response:
        try:
            async with self._client().get(
                url,
                headers=headers,
                allow_redirects=False,
                timeout=self._client_timeout,
                auto_decompress=False,  # decoded in _body, where a stream cut short shows
            ) as response:
                status = response.status
                if status == 304:
                    return _Response(304, b"", response.headers, None)
                if status in _REDIRECTS:
                    return _Response(
                        status, b"", response.headers, response.headers.get("location")
                    )
                if status != 200:
                    pause = retry_after(response.headers) if status in PAUSES else None
                    said = f" (it asks for a pause of {pause:.0f} s)" if pause else ""
                    raise FetchError(
                        f"HTTP {status} from {url}{said}",
                        "http_status",
                        status=status,
                        retry_after=pause,
                    )
                return _Response(200, await self._body(response, url), response.headers, None)
        except TimeoutError as exc:  # aiohttp's connect and read timeouts are TimeoutErrors
            raise FetchError(f"timed out fetching {url}") from exc
        except aiohttp.ClientConnectorDNSError as exc:
            if isinstance(exc.os_error, AddressRefused):
                raise FetchError(exc.os_error.strerror or REFUSED, "refused") from exc
            reason = exc.os_error.strerror or exc.os_error
            raise FetchError(f"cannot resolve {exc.host}: {reason}") from exc
        except aiohttp.ClientConnectorError as exc:
            raise FetchError(f"cannot fetch {url}: {exc}") from exc
        except aiohttp.ServerDisconnectedError as exc:
            raise FetchError(f"{url} closed the connection before answering in full") from exc
        except aiohttp.ClientPayloadError as exc:
            raise FetchError(f"broken body from {url}: {exc}") from exc
        except aiohttp.ClientResponseError as exc:
            raise FetchError(f"invalid HTTP answer from {url}: {_first(exc)}") from exc
        except aiohttp.InvalidURL as exc:
            raise FetchError(f"invalid URL {url!r}", "bad_url") from exc
        except aiohttp.ClientError as exc:
            raise FetchError(f"cannot fetch {url}: {type(exc).__name__}: {exc}") from exc

    async def _body(self, response: aiohttp.ClientResponse, url: str) -> bytes:
        """Read a 200's body within the cap, decoding its Content-Encoding as it arrives."""
        declared = response.headers.get("content-length")
        length = int(declared) if declared and declared.isdigit() else None
        if length is not None and length > self._max_bytes:
            raise FetchError(
                f"body of {declared} bytes is over the {self._max_bytes}-byte cap", "too_large"
            )
        try:
            coding = body_coding(response.headers.get("content-encoding"))
        except Unasked as exc:
            raise FetchError(
                f"{url} sends a body compressed as {exc}, which varsel does not ask for"
            ) from exc
        if length is not None and coding is None:
            # Read in one call: the length is known, within the cap, and nothing inflates it
            # (aiohttp reads exactly that many bytes).
            return await response.read()
        inflater = Inflater(coding) if coding is not None else None
        chunks: list[bytes] = []
        size = taken = 0
        # Chunks as they arrive: aiohttp pauses reading while its buffer is full, and a
        # compressed chunk is inflated to one byte past what the cap leaves at most, so memory
        # stays bounded however long (or however compressed) the body is.
        try:
            async for chunk in response.content.iter_any():
                taken += len(chunk)
                if inflater is not None:
                    chunk = inflater.inflate(chunk, self._max_bytes - size)
                size += len(chunk)
                if size > self._max_bytes or taken > self._max_bytes:
                    response.close()  # abandoned mid-body: the connection is not reused
                    raise FetchError(f"body is over the {self._max_bytes}-byte cap", "too_large")
                chunks.append(chunk)
            if inflater is not None:
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
        return b"".join(chunks)

    async def aclose(self) -> None:
        """Close the session and its connections."""
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()


@lru_cache(maxsize=4096)
def _host_to_fetch(url: str, allow_private: bool) -> str:
    """Return the URL's host, or raise FetchError if the URL must not be fetched.

    A name is checked where the connection resolves it (address_guard), which also closes the
    gap a second lookup would leave and costs no lookup of its own: aiohttp caches the checked
    answers. An address written in the URL is checked here, since aiohttp connects to it
    without resolving. The answer depends on the URL alone, so it is kept: a source's URL is
    polled again and again, and splitting it and judging its host cost a tenth as much CPU
    as the request itself.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as exc:
        raise FetchError(f"invalid URL {url[:200]!r}", "bad_url") from exc
    if parts.scheme not in {"http", "https"} or not host:
        raise FetchError(f"refused {url!r}: only http and https URLs are fetched", "bad_url")
    if not allow_private and forbidden_literal(host):
        raise FetchError(f"refused {host}: {REFUSED}", "refused")
    return host


_REDIRECTS = frozenset({301, 302, 303, 307, 308})


def _first(exc: aiohttp.ClientResponseError) -> str:
    """Return the first line of aiohttp's words on an answer it cannot parse.

    The rest is the bytes it stumbled on and a caret under them: a server that sent more
    than its Content-Length put a kilobyte of its page, escaped, into the reason an operator
    reads on the sources page.
    """
    line = str(exc.message).strip().split("\n", 1)[0].rstrip(": ")
    return line if len(line) <= _SAID_CHARS else line[:_SAID_CHARS] + "…"


_SAID_CHARS = 200


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
