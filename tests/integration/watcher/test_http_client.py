"""The watcher's HTTP client on the wire: kept-alive connections, a connection the server
closed while idle, interim answers, bodies ended by a close or cut short, the header cap,
a GET abandoned mid-answer, the pool's size and the request's own lines.

The server is a loopback TCP server scripted byte by byte, since these are the cases a
well-behaved HTTP server never produces.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pytest
import trustme

from services.watcher.adapters.fetch_errors import FetchError
from services.watcher.adapters.http_client import HttpClient
from services.watcher.adapters.http_exchange import HEADER_BYTES, Reply

USER_AGENT = "varsel-test/1 (+http://127.0.0.1)"
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"

# What the server does with one request: the bytes it answers, and whether it then closes.
Answer = Callable[[int, bytes], "tuple[bytes, bool] | None"]


@dataclass
class Wire:
    """A loopback server whose every answer is given by ``answer(connection, request)``:
    the bytes to send and whether to close after them; None closes without a word."""

    answer: Answer
    requests: list[tuple[int, bytes]] = field(default_factory=list)
    connections: int = 0
    open_now: int = 0
    most_open: int = 0
    delay: float = 0.0  # seconds before each answer
    writers: list[asyncio.StreamWriter] = field(default_factory=list)
    server: asyncio.Server | None = None
    scheme: str = "http"

    @property
    def base(self) -> str:
        assert self.server is not None
        return f"{self.scheme}://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.append(writer)
        self.connections += 1
        number = self.connections
        self.open_now += 1
        self.most_open = max(self.most_open, self.open_now)
        try:
            while True:
                try:
                    request = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                self.requests.append((number, request))
                said = self.answer(number, request)
                if said is None:
                    return
                data, close = said
                await asyncio.sleep(self.delay)
                if data:
                    writer.write(data)
                    await writer.drain()
                if close:
                    return
        finally:
            self.open_now -= 1
            writer.close()


class Start(Protocol):
    def __call__(self, answer: Answer, *, tls: ssl.SSLContext | None = None) -> Awaitable[Wire]: ...


@pytest.fixture
async def wire() -> AsyncIterator[Start]:
    """Start scripted servers on loopback; each is closed after the test."""
    started: list[Wire] = []

    async def start(answer: Answer, *, tls: ssl.SSLContext | None = None) -> Wire:
        scripted = Wire(answer, scheme="https" if tls else "http")
        scripted.server = await asyncio.start_server(scripted.serve, "127.0.0.1", 0, ssl=tls)
        started.append(scripted)
        return scripted

    yield start
    for scripted in started:
        assert scripted.server is not None
        scripted.server.close()
        for writer in scripted.writers:  # a test that failed may have left its client's open
            writer.close()
        await scripted.server.wait_closed()


async def _get_once(url: str, **options: object) -> Reply:
    """GET ``url`` (a cap of 1,000 bytes) on a client of its own, closed after."""
    client = _client(**options)
    try:
        return await client.get(url, {}, 1000)
    finally:
        await client.aclose()


def _client(**kwargs: object) -> HttpClient:
    options: dict[str, object] = {
        "user_agent": USER_AGENT,
        "connect_timeout": 5.0,
        "public_only": False,
        **kwargs,
    }
    return HttpClient(**options)  # type: ignore[arg-type]


async def test_a_kept_alive_connection_serves_the_host_s_next_poll(
    wire: Start,
) -> None:
    site = await wire(lambda _n, _r: (OK, False))
    client = _client()
    first = await client.get(f"{site.base}/a", {}, 1000)
    second = await client.get(f"{site.base}/b", {}, 1000)
    await client.aclose()

    assert (first.status, b"".join(first.chunks)) == (200, b"hello")
    assert (second.status, b"".join(second.chunks)) == (200, b"hello")
    assert [number for number, _ in site.requests] == [1, 1]


async def test_a_connection_the_server_closed_while_idle_is_replaced_once(
    wire: Start,
) -> None:
    # The first connection answers once, then ends without a word at the next request, as a
    # server whose keep-alive ran out just as the request came: asked again on a new one.
    def idle_end(connection: int, _request: bytes) -> tuple[bytes, bool] | None:
        return None if connection == 1 and len(site.requests) > 1 else (OK, False)

    site = await wire(idle_end)
    client = _client()
    await client.get(f"{site.base}/a", {}, 1000)
    again = await client.get(f"{site.base}/a", {}, 1000)
    await client.aclose()

    assert b"".join(again.chunks) == b"hello"
    assert [number for number, _ in site.requests] == [1, 1, 2]


async def test_a_new_connection_closed_before_an_answer_is_a_failure_not_asked_again(
    wire: Start,
) -> None:
    site = await wire(lambda _n, _r: None)
    with pytest.raises(FetchError, match="closed the connection before answering in full"):
        await _get_once(f"{site.base}/a")

    assert len(site.requests) == 1


async def test_an_answer_saying_connection_close_is_not_used_again(
    wire: Start,
) -> None:
    closing = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello"
    site = await wire(lambda _n, _r: (closing, False))
    client = _client()
    await client.get(f"{site.base}/a", {}, 1000)
    await client.get(f"{site.base}/a", {}, 1000)
    await client.aclose()

    assert [number for number, _ in site.requests] == [1, 2]


async def test_an_interim_answer_is_passed_over_for_the_real_one(
    wire: Start,
) -> None:
    hints = b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
    site = await wire(lambda _n, _r: (hints + OK, False))
    reply = await _get_once(f"{site.base}/a")

    assert (reply.status, b"".join(reply.chunks)) == (200, b"hello")
    assert "link" not in reply.headers


async def test_a_body_ended_by_the_close_is_read_and_said_to_be_so(
    wire: Start,
) -> None:
    site = await wire(lambda _n, _r: (b"HTTP/1.0 200 OK\r\n\r\nall of it", True))
    reply = await _get_once(f"{site.base}/a")

    assert (b"".join(reply.chunks), reply.ended_by_close) == (b"all of it", True)


async def test_a_body_cut_short_of_its_content_length_is_a_broken_body(
    wire: Start,
) -> None:
    cut = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this"
    site = await wire(lambda _n, _r: (cut, True))
    with pytest.raises(FetchError) as refused:
        await _get_once(f"{site.base}/a")

    assert str(refused.value) == (
        f"broken body from {site.base}/a: the connection closed after 9 bytes, before the"
        " end its headers announced"
    )


async def test_headers_without_end_are_refused_at_the_cap(wire: Start) -> None:
    filler = b"X-Filler: " + b"x" * 1000 + b"\r\n"
    answer = b"HTTP/1.1 200 OK\r\n" + filler * (HEADER_BYTES // 1000 + 2) + b"\r\n"
    site = await wire(lambda _n, _r: (answer, False))
    with pytest.raises(FetchError, match=f"headers over {HEADER_BYTES} bytes"):
        await _get_once(f"{site.base}/a")


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (
            b"HTTP/1.1 200 OK\r\nX-Filler: " + b"x" * (HEADER_BYTES * 4),
            f"headers over {HEADER_BYTES} bytes",
        ),
        (
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\n\r\n",
            "a switch to another protocol, which no poll asks for",
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n"
            b"X-Trailer: " + b"x" * (HEADER_BYTES * 4),
            f"headers over {HEADER_BYTES} bytes",
        ),
    ],
    ids=["one endless header", "an unasked protocol switch", "one endless trailer"],
)
async def test_an_answer_no_poll_can_read_is_refused_in_words(
    wire: Start, answer: bytes, said: str
) -> None:
    site = await wire(lambda _n, _r: (answer, False))
    with pytest.raises(FetchError) as refused:
        await _get_once(f"{site.base}/a")

    assert str(refused.value) == f"invalid HTTP answer from {site.base}/a: {said}"


async def test_a_get_abandoned_mid_answer_leaves_no_connection_to_reuse(
    wire: Start,
) -> None:
    # The first answer stops halfway and hangs (its deadline ends the wait); the connection
    # it was on must not serve the next GET, whose answer would be the first one's rest.
    half = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello"
    site = await wire(lambda n, _r: (half, False) if n == 1 else (OK, False))
    client = _client()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.3):
            await client.get(f"{site.base}/a", {}, 1000)
    reply = await client.get(f"{site.base}/a", {}, 1000)
    await client.aclose()

    assert b"".join(reply.chunks) == b"hello"
    assert [number for number, _ in site.requests] == [1, 2]


async def test_the_pool_opens_no_more_connections_than_its_size(wire: Start) -> None:
    site = await wire(lambda _n, _r: (OK, False))
    site.delay = 0.05  # every answer a moment late, so the GETs overlap
    client = _client(max_connections=2)
    replies = await asyncio.gather(*(client.get(f"{site.base}/{i}", {}, 1000) for i in range(6)))
    await client.aclose()

    assert [reply.status for reply in replies] == [200] * 6
    assert (site.connections, site.most_open) == (2, 2)


async def test_a_full_pool_closes_another_host_s_idle_connection_for_a_new_host(
    wire: Start,
) -> None:
    first = await wire(lambda _n, _r: (OK, False))
    second = await wire(lambda _n, _r: (OK, False))
    client = _client(max_connections=1)
    await client.get(f"{first.base}/a", {}, 1000)
    await client.get(f"{second.base}/a", {}, 1000)
    await asyncio.sleep(0.05)  # the first server sees its connection end
    closed_for_room = first.open_now == 0
    await client.aclose()

    assert (first.connections, second.connections) == (1, 1)
    assert closed_for_room


async def test_the_request_names_the_host_and_agent_and_encodes_the_address(
    wire: Start,
) -> None:
    site = await wire(lambda _n, _r: (OK, False))
    client = _client()
    await client.get(f"{site.base}/søk?q=a b#del", {"If-None-Match": '"v1"'}, 1000)
    await client.aclose()

    ((_, request),) = site.requests
    lines = request.decode("ascii").split("\r\n")
    assert lines[0] == "GET /s%C3%B8k?q=a+b HTTP/1.1"  # as aiohttp sent it (yarl)
    assert f"Host: {site.base.removeprefix('http://')}" in lines
    assert f"User-Agent: {USER_AGENT}" in lines
    assert 'If-None-Match: "v1"' in lines
    assert not any(line.lower().startswith("accept:") for line in lines)


async def test_the_client_itself_refuses_a_name_that_resolves_to_loopback(
    wire: Start,
) -> None:
    # Checked where the connection resolves the name, so an answer that changes between
    # lookups (DNS rebinding) cannot reach an internal address.
    site = await wire(lambda _n, _r: (OK, False))
    with pytest.raises(FetchError, match="private, loopback or link-local") as refused:
        await _get_once(site.base.replace("127.0.0.1", "localhost") + "/a", public_only=True)

    assert refused.value.reason == "refused"
    assert site.requests == []


@pytest.fixture
def authority() -> trustme.CA:
    """A throwaway certificate authority, trusted by nothing until a test says so."""
    return trustme.CA()


def _server_tls(authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    return context


async def test_a_certificate_from_an_unknown_authority_is_refused_in_words(
    wire: Start, authority: trustme.CA
) -> None:
    site = await wire(lambda _n, _r: (OK, False), tls=_server_tls(authority))
    with pytest.raises(FetchError) as refused:
        await _get_once(f"{site.base}/a")

    port = site.base.rsplit(":", 1)[1]
    assert str(refused.value) == (
        f"cannot fetch {site.base}/a: TLS with 127.0.0.1:{port} failed, its certificate is not"
        " trusted (unable to get local issuer certificate)"
    )
    assert site.requests == []


async def test_a_certificate_the_system_trusts_is_read_over_a_kept_connection(
    wire: Start, authority: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The system's store, as OpenSSL finds it: here a file of the throwaway authority alone.
    trusted = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(trusted))
    monkeypatch.setenv("SSL_CERT_FILE", str(trusted))
    site = await wire(lambda _n, _r: (OK, False), tls=_server_tls(authority))
    client = _client()
    first = await client.get(f"{site.base}/a", {}, 1000)
    second = await client.get(f"{site.base}/b", {}, 1000)
    await client.aclose()

    assert [b"".join(reply.chunks) for reply in (first, second)] == [b"hello", b"hello"]
    assert [number for number, _ in site.requests] == [1, 1]


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\nContent-Length: 5\n\nhello",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX-Odd: a\x01b\r\nContent-Length: 5\r\n\r\nhello",
    ],
    ids=["lines ended by LF alone", "a space after a chunk's size", "a control character"],
)
async def test_an_answer_browsers_read_is_read_as_aiohttp_read_it(
    wire: Start, answer: bytes
) -> None:
    site = await wire(lambda _n, _r: (answer, False))
    reply = await _get_once(f"{site.base}/a")

    assert (reply.status, b"".join(reply.chunks)) == (200, b"hello")


@pytest.mark.parametrize(
    ("answer", "header", "kept"),
    [
        (b"HTTP/1.1 304 Not Modified\r\nContent-Length: 5000\r\n\r\n", "content-length", True),
        (b"HTTP/1.1 301 Moved\r\nLocation: /b\r\nContent-Length: 5000\r\n\r\n", "location", False),
        (
            b"HTTP/1.1 503 Busy\r\nRetry-After: 120\r\nContent-Length: 5000\r\n\r\n",
            "retry-after",
            False,
        ),
    ],
    ids=["304", "301", "503"],
)
async def test_an_answer_other_than_200_is_read_to_its_headers_whatever_its_length(
    wire: Start, answer: bytes, header: str, kept: bool
) -> None:
    # Bodies (of more than the cap here) a poll never reads: a 304's length is the page's.
    site = await wire(lambda _n, _r: (answer + b"x" * 5000 * (not kept), False))
    client = _client()
    reply = await client.get(f"{site.base}/a", {}, 1000)
    await client.get(f"{site.base}/a", {}, 1000)
    await client.aclose()

    assert (reply.chunks, header in reply.headers) == ([], True)
    # The unread body's connection is not used again; a 304's, which has none, is.
    assert [number for number, _ in site.requests] == ([1, 1] if kept else [1, 2])


@pytest.mark.parametrize(
    ("framing", "whole"),
    [
        (b"Transfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", False),
        (b"Transfer-Encoding: chunked, identity\r\n\r\nhello", True),
    ],
    ids=["chunked last, cut", "identity last, ended by the close"],
)
async def test_the_last_transfer_coding_frames_the_body(
    wire: Start, framing: bytes, whole: bool
) -> None:
    site = await wire(lambda _n, _r: (b"HTTP/1.1 200 OK\r\n" + framing, True))
    if whole:
        reply = await _get_once(f"{site.base}/a")
        assert (b"".join(reply.chunks), reply.ended_by_close) == (b"hello", True)
    else:
        with pytest.raises(FetchError, match=r"^broken body from "):
            await _get_once(f"{site.base}/a")


@pytest.mark.parametrize(
    "host", ["１２７.０.０.１", "127。0。0。1"], ids=["fullwidth", "ideographic"]
)
async def test_a_loopback_address_written_in_other_digits_is_refused(
    wire: Start, host: str
) -> None:
    site = await wire(lambda _n, _r: (OK, False))
    with pytest.raises(FetchError, match="private, loopback or link-local") as refused:
        await _get_once(site.base.replace("127.0.0.1", host) + "/a", public_only=True)

    assert refused.value.reason == "refused"
    assert site.requests == []


async def test_a_host_name_no_lookup_can_take_is_said_in_words() -> None:
    with pytest.raises(FetchError, match=r"^cannot resolve a\.\.b: not a valid host name"):
        await _get_once("http://a..b/p")


async def test_credentials_in_a_source_s_address_are_sent_as_basic(wire: Start) -> None:
    site = await wire(lambda _n, _r: (OK, False))
    await _get_once(site.base.replace("://", "://redaksjon:hemmelig@") + "/a")

    ((_, request),) = site.requests
    assert b"\r\nAuthorization: Basic cmVkYWtzam9uOmhlbW1lbGln\r\n" in request
