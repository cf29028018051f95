"""The watcher's HTTP client: a GET at a time on kept-alive connections (ADR 0029).

aiohttp's request and response objects, its timers, traces and stream readers cost about
0.08 ms of CPU a poll, a sixth of a whole poll round (docs/benchmarks.md, «Watcher»), for
features a poll never uses. A poll asks one thing: GET this URL, with these validators, and
give me the status, the headers and at most so many bytes. So that is all this does, on
well-kept parts: httptools (llhttp) parses the answer (http_exchange), yarl encodes the URL
as aiohttp did, aiohappyeyeballs connects as aiohttp does (every address in turn, IPv6 and
IPv4 raced), aiohttp's own resolver and cookie jar resolve names (the address guard checks
every answer: address_guard) and keep cookies, and the ssl module verifies certificates.
"""

from __future__ import annotations

import asyncio
import base64
import socket
import ssl
from collections import deque
from functools import lru_cache
from http.cookies import CookieError, SimpleCookie
from typing import Any, NamedTuple

import aiohappyeyeballs
from aiohttp import CookieJar
from aiohttp.resolver import ThreadedResolver
from yarl import URL

from services.watcher.adapters.address_guard import AddressRefused, PublicOnlyResolver
from services.watcher.adapters.fetch_errors import FetchError
from services.watcher.adapters.http_exchange import Disconnected, Exchange, Reply
from shared.private_addresses import REFUSED, forbidden_address

# How long an idle connection is kept for the host's next poll (aiohttp's keep-alive), and
# how long a name's addresses are kept (aiohttp's DNS cache).
KEEP_IDLE_SECONDS = 15.0
DNS_SECONDS = 10.0
_NAMES_KEPT = 4096

# An address as socket.getaddrinfo gives it: family, type, protocol, canonical name, address.
AddrInfo = tuple[int, int, int, str, tuple[Any, ...]]


class Target(NamedTuple):
    """Where a URL's request goes, and its request's first lines."""

    key: tuple[str, str, int]  # scheme, host, port: the connections that may serve it
    host: str  # as resolved and connected to (IDNA, no brackets)
    port: int
    tls: bool
    head: bytes  # «GET target HTTP/1.1», Host, User-Agent and Accept-Encoding


class HttpClient:
    """GETs over a pool of at most ``max_connections`` connections."""

    def __init__(
        self,
        *,
        user_agent: str,
        connect_timeout: float,
        public_only: bool,
        max_connections: int = 100,
    ) -> None:
        self._user_agent = user_agent
        self._connect_timeout = connect_timeout
        self._public_only = public_only
        self._resolver = PublicOnlyResolver() if public_only else ThreadedResolver()
        # unsafe: keep cookies for sources addressed by IP too (aiohttp drops them by default);
        # some sites send first-time visitors through a cookie-setting redirect.
        self._cookies = CookieJar(unsafe=True)
        self._idle: dict[tuple[str, str, int], list[Exchange]] = {}
        self._limit = max_connections
        self._open = 0  # connections open, lent out or idle
        self._waiters: deque[asyncio.Future[None]] = deque()  # GETs waiting for room
        self._addresses: dict[tuple[str, int], tuple[float, list[AddrInfo]]] = {}
        self._tls: ssl.SSLContext | None = None
        self._swept = 0.0

    def target(self, url: str) -> Target:
        """Where ``url``'s request goes (its host judged by the address guard when connected
        to); raise FetchError for a URL no GET may ask."""
        return request_target(url, self._user_agent)

    async def get(self, url: str, headers: dict[str, str], max_bytes: int) -> Reply:
        """GET ``url`` with ``headers`` added; raise FetchError for any failure.

        A connection that was idle may have been closed by the server meanwhile: a request
        that meets such an end before any byte of its answer is asked again, once, on a new
        connection, as aiohttp does for a request that changes nothing; the host's other idle
        connections, as old or older, are closed with it.
        """
        target = self.target(url)
        request = self._request(url, target, headers)
        for _ in range(2):
            exchange = await self._connection(target, url)
            try:
                reply = await exchange.ask(request, url, max_bytes)
            except Disconnected as exc:
                self._discard(exchange)
                if exc.stale:
                    for idle in self._idle.pop(target.key, []):
                        self._discard(idle)
                    continue
                raise
            except BaseException:
                self._discard(exchange)  # cancelled or failed mid-answer: never used again
                raise
            self._return(target, exchange)
            if "set-cookie" in reply.headers:
                self._keep_cookies(reply, url)
            return reply
        raise FetchError(f"{url} closed the connection before answering in full")

    async def aclose(self) -> None:
        """Close every idle connection (those lent out close when their poll ends)."""
        for exchanges in self._idle.values():
            for exchange in exchanges:
                exchange.close()
        self._idle.clear()
        await asyncio.sleep(0)  # let the transports' close callbacks run

    def _request(self, url: str, target: Target, headers: dict[str, str]) -> bytes:
        lines = [f"{name}: {value}\r\n" for name, value in headers.items()]
        if len(self._cookies):
            cookie = self._cookie_header(url)
            if cookie:
                lines.append(f"Cookie: {cookie}\r\n")
        return target.head + "".join(lines).encode("utf-8", "surrogateescape") + b"\r\n"

    def _cookie_header(self, url: str) -> str:
        # As aiohttp's request writes them: name=value pairs, «; » between.
        cookies = self._cookies.filter_cookies(URL(url))
        return "; ".join(f"{name}={morsel.coded_value}" for name, morsel in cookies.items())

    def _keep_cookies(self, reply: Reply, url: str) -> None:
        found: SimpleCookie = SimpleCookie()
        for header in reply.headers.getall("set-cookie"):
            try:
                found.load(header)
            except CookieError:
                continue  # a cookie no browser would keep either: the others still count
        self._cookies.update_cookies(found, URL(url))

    async def _connection(self, target: Target, url: str) -> Exchange:
        """An idle connection to the target's host, or a new one when the pool has room
        (made by closing the longest idle one to another host, if need be); else wait for
        a connection to come back or close."""
        loop = asyncio.get_running_loop()
        if loop.time() - self._swept > KEEP_IDLE_SECONDS:
            self._sweep(loop.time())
        while True:
            idle = self._idle.get(target.key)
            while idle:
                exchange = idle.pop()
                if _usable(exchange, loop.time()):
                    return exchange
                self._discard(exchange)
            if self._open < self._limit or self._close_one_idle():
                break
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except BaseException:
                if waiter in self._waiters:  # cancelled while waiting
                    self._waiters.remove(waiter)
                elif waiter.done() and not waiter.cancelled():
                    self._wake()  # woken, then cancelled: the room goes to the next GET
                raise
        self._open += 1
        try:
            return await self._connect(target, url)
        except BaseException:
            self._open -= 1
            self._wake()
            raise

    async def _connect(self, target: Target, url: str) -> Exchange:
        loop = asyncio.get_running_loop()
        tls = self._tls_context() if target.tls else None
        try:
            async with asyncio.timeout(self._connect_timeout):
                addresses = await self._resolve(target.host, target.port)
                hostname = target.host.rstrip(".") if tls else None
                if len(addresses) == 1:
                    # One address: nothing to race, and the event loop connects in C (a third
                    # of a poll's CPU where every poll needs a new connection, bench/watcher).
                    family, _, _, _, address = addresses[0]
                    _, exchange = await loop.create_connection(
                        Exchange,
                        host=address[0],
                        port=address[1],
                        family=family,
                        ssl=tls,
                        server_hostname=hostname,
                    )
                else:
                    sock = await aiohappyeyeballs.start_connection(
                        addresses,
                        happy_eyeballs_delay=0.25,
                        interleave=1,
                    )
                    _, exchange = await loop.create_connection(
                        Exchange, sock=sock, ssl=tls, server_hostname=hostname
                    )
        except TimeoutError as exc:
            raise FetchError(f"timed out fetching {url}") from exc
        except ssl.SSLCertVerificationError as exc:
            raise FetchError(
                f"cannot fetch {url}: TLS with {target.host}:{target.port} failed, its"
                f" certificate is not trusted ({exc.verify_message})"
            ) from exc
        except ssl.SSLError as exc:
            raise FetchError(
                f"cannot fetch {url}: TLS with {target.host}:{target.port} failed"
                f" ({exc.reason or exc})"
            ) from exc
        except OSError as exc:
            reason = exc.strerror or exc
            raise FetchError(
                f"cannot fetch {url}: Cannot connect to host {target.host}:{target.port} [{reason}]"
            ) from exc
        return exchange

    async def _resolve(self, host: str, port: int) -> list[AddrInfo]:
        """The addresses to connect to, as socket.getaddrinfo gives them: an IP literal as
        it is, a name by the resolver (which judges each answer), kept for DNS_SECONDS.

        A literal is judged here too, as the URL's parser wrote it: «１２７.０.０.１» and
        «127。0。0。1» are 127.0.0.1 by then, which the fetcher's look at the URL as written
        does not see.
        """
        try:
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            socket.inet_pton(family, host)
        except OSError:
            pass
        else:
            if self._public_only and forbidden_address(host):
                raise FetchError(f"refused {host}: {REFUSED}", "refused")
            return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (host, port))]
        now = asyncio.get_running_loop().time()
        kept = self._addresses.get((host, port))
        if kept is not None and now - kept[0] < DNS_SECONDS:
            return kept[1]
        try:
            found = await self._resolver.resolve(host, port, family=socket.AF_UNSPEC)
        except AddressRefused as exc:
            raise FetchError(exc.strerror or REFUSED, "refused") from exc
        except OSError as exc:
            raise FetchError(f"cannot resolve {host}: {exc.strerror or exc}") from exc
        except UnicodeError as exc:  # «a..b», a label over 63 characters: no name at all
            raise FetchError(f"cannot resolve {host}: not a valid host name ({exc})") from exc
        addresses: list[AddrInfo] = [
            (
                answer["family"],
                socket.SOCK_STREAM,
                socket.IPPROTO_TCP,
                "",
                (answer["host"], answer["port"], 0, 0)
                if answer["family"] == socket.AF_INET6
                else (answer["host"], answer["port"]),
            )
            for answer in found
        ]
        if len(self._addresses) >= _NAMES_KEPT:  # a redirect to ever new names: keep the fresh
            self._addresses = {
                key: kept for key, kept in self._addresses.items() if now - kept[0] < DNS_SECONDS
            }
        self._addresses[(host, port)] = (now, addresses)
        return addresses

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:  # loading the system's certificates takes a while: once
            self._tls = ssl.create_default_context()
            self._tls.set_alpn_protocols(("http/1.1",))
        return self._tls

    def _return(self, target: Target, exchange: Exchange) -> None:
        if not exchange.reusable or exchange.closed:
            self._discard(exchange)
            return
        exchange.idle_since = asyncio.get_running_loop().time()
        self._idle.setdefault(target.key, []).append(exchange)
        self._wake()  # a GET waiting for room may take it, or close it for its own host

    def _discard(self, exchange: Exchange) -> None:
        exchange.close()
        self._open -= 1
        self._wake()

    def _wake(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def _sweep(self, now: float) -> None:
        """Let go of the idle connections no GET may take: idle too long, or closed."""
        self._swept = now
        for key, exchanges in list(self._idle.items()):
            kept = []
            for each in exchanges:
                if _usable(each, now):
                    kept.append(each)
                else:
                    self._discard(each)
            if kept:
                self._idle[key] = kept
            else:
                del self._idle[key]

    def _close_one_idle(self) -> bool:
        """Make room for a new connection by closing the longest idle one; False if none."""
        oldest: tuple[float, tuple[str, str, int]] | None = None
        for key, exchanges in self._idle.items():
            if exchanges and (oldest is None or exchanges[0].idle_since < oldest[0]):
                oldest = (exchanges[0].idle_since, key)
        if oldest is None:
            return False
        self._discard(self._idle[oldest[1]].pop(0))
        return True


def _usable(exchange: Exchange, now: float) -> bool:
    """Whether an idle connection may serve a GET: open, and idle less than KEEP_IDLE_SECONDS."""
    return not exchange.closed and now - exchange.idle_since < KEEP_IDLE_SECONDS


@lru_cache(maxsize=4096)
def request_target(url: str, user_agent: str) -> Target:
    """Split a URL into where its request goes and the request's fixed lines (kept: a
    source's URL is asked again at every poll). Raise FetchError for a URL no GET can ask."""
    try:
        parsed = URL(url)
        host, port = parsed.raw_host, parsed.port
        authority = parsed.host_port_subcomponent
    except (ValueError, UnicodeError) as exc:
        raise FetchError(f"invalid URL {url[:200]!r}", "bad_url") from exc
    if parsed.scheme not in ("http", "https") or not host:
        raise FetchError(f"refused {url!r}: only http and https URLs are fetched", "bad_url")
    if port is None or authority is None:
        raise FetchError(f"invalid URL {url[:200]!r}", "bad_url")
    path = parsed.raw_path_qs or "/"
    head = (
        f"GET {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: {user_agent}\r\n"
        "Accept-Encoding: gzip, deflate\r\n"
    )
    if parsed.user is not None:
        # A source's address may carry its credentials, as aiohttp sent them: Basic.
        secret = f"{parsed.user}:{parsed.password or ''}".encode()
        head += f"Authorization: Basic {base64.b64encode(secret).decode('ascii')}\r\n"
    if not (path + authority).isascii() or any(character in path for character in "\r\n \t"):
        raise FetchError(f"invalid URL {url[:200]!r}", "bad_url")
    tls = parsed.scheme == "https"
    return Target((parsed.scheme, host, port), host, port, tls, head.encode("utf-8"))
