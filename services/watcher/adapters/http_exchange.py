"""One HTTP/1.1 connection of the watcher's: a GET written, its answer read by llhttp.

The answer is parsed by httptools (llhttp, the C parser uvicorn reads requests with); this
module only keeps what the callbacks hand over and says, in an operator's words, what went
wrong. One request at a time: the pool (http_client) lends a connection to one poll and takes
it back once the answer has ended where its headers said it would.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httptools
from multidict import CIMultiDict, CIMultiDictProxy

from services.watcher.adapters.fetch_errors import FetchError
from services.watcher.adapters.http_headers import chunked

# The most bytes an answer's status line and headers may take, interim answers included (a
# real site sends a few kilobytes; aiohttp allowed 8,190 a line): a server that keeps sending
# headers, or one endless header, is refused before it fills the memory.
HEADER_BYTES = 64 * 1024


_NO_HEADERS: CIMultiDictProxy[str] = CIMultiDictProxy(CIMultiDict())
# The bytes a chunk's size line and ending may take beyond HEADER_BYTES: its size in hex, a
# short extension, CRLFs. More, an endless extension say, is refused with the headers' words.
_CHUNK_FRAMING = 64


class _HeadersEnough(Exception):
    """Raised from llhttp's callback to stop reading at an answer's headers."""


@dataclass(frozen=True, slots=True)
class Reply:
    """An answer read in full: status, headers and the body's bytes as they came."""

    status: int
    headers: CIMultiDictProxy[str]
    chunks: list[bytes]
    ended_by_close: bool  # no length and no chunks: the body ended when the server closed


class Exchange(asyncio.Protocol):
    """A connection that asks one GET at a time (``ask``) and reads the answer."""

    def __init__(self) -> None:
        self._parser = httptools.HttpResponseParser(self)
        # Read as leniently as aiohttp read answers: a header value with a control character
        # in it (the fetcher never sends such a validator back: http_headers.sendable), lines
        # ended by LF alone, spaces after a chunk's size. Refusing such an answer left a page
        # that browsers show unread at every poll.
        self._parser.set_dangerous_leniencies(
            lenient_headers=True,
            lenient_optional_cr_before_lf=True,
            lenient_spaces_after_chunk_size=True,
        )
        self._transport: asyncio.Transport | None = None
        self._answer: asyncio.Future[Reply] | None = None
        self._url = ""
        self._max_bytes = 0
        self._reset()
        self.asked = 0  # requests written on this connection: a reused one may be stale
        self.reusable = False
        self.idle_since = 0.0

    def _reset(self) -> None:
        self._fields: list[tuple[str, str]] = []
        self._header_map: CIMultiDictProxy[str] = _NO_HEADERS
        self._header_bytes = 0  # the headers' names and values, as handed over
        self._wire_bytes = 0  # every byte of the answer, as it arrives
        self._chunk_count = 0
        self._chunks: list[bytes] = []
        self._taken = 0
        self._status = 0
        self._headers_done = False
        self._keep_alive = False
        self._until_close = False
        self._received = False
        self._complete: Reply | None = None
        self._refused: FetchError | None = None
        self._body_unwanted = False  # an answer read no further than its headers

    @property
    def closed(self) -> bool:
        """Whether the connection is gone or going."""
        return self._transport is None or self._transport.is_closing()

    def ask(self, request: bytes, url: str, max_bytes: int) -> asyncio.Future[Reply]:
        """Write ``request`` (a whole GET) and return the future of its answer; a body of more
        than ``max_bytes`` bytes, as sent, ends it with a FetchError."""
        assert self._transport is not None, "asked on a closed connection"
        self._reset()
        self._url, self._max_bytes = url, max_bytes
        self.asked += 1
        self.reusable = False
        self._answer = asyncio.get_running_loop().create_future()
        self._transport.write(request)
        return self._answer

    def close(self) -> None:
        """Close the connection (an answer still awaited ends as cut off)."""
        if self._transport is not None:
            self._transport.close()

    # asyncio's side

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self._answer is None or self._answer.done():
            # Bytes nobody asked for (a body longer than its length, sent late): what
            # follows on this connection cannot be trusted, so it is not used again.
            self.close()
            return
        self._received = True
        try:
            self._parser.feed_data(data)
        except (httptools.HttpParserError, httptools.HttpParserUpgrade) as exc:
            if self._body_unwanted and self._complete is not None:
                # Stopped at the headers on purpose: the body is not read, nor the connection
                # used again.
                self._answer.set_result(self._complete)
                self.close()
                return
            # A refusal of a callback's own (the cap) comes back wrapped by httptools.
            self._fail(
                self._refused
                or FetchError(f"invalid HTTP answer from {self._url}: {self._said(exc)}")
            )
            return
        # httptools gathers a header's (or a trailer's) name and value before handing them
        # over, and a chunk's size line before its bytes: what is not body is counted as it
        # arrives, so an endless one is refused at the cap, not gathered until the deadline.
        self._wire_bytes += len(data)
        framing = self._wire_bytes - self._taken
        if framing > HEADER_BYTES + _CHUNK_FRAMING * self._chunk_count:
            self._fail(
                FetchError(
                    f"invalid HTTP answer from {self._url}: headers over {HEADER_BYTES} bytes"
                )
            )
            return
        if self._complete is not None:
            # Resolved only once the whole read is parsed: bytes after the answer's end in
            # the same read are an error above, not a next answer.
            self.reusable = self._keep_alive
            self._answer.set_result(self._complete)
            # An idle connection keeps no body: the reply holds it now.
            self._chunks, self._fields, self._complete = [], [], None

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        if self._answer is None or self._answer.done():
            return
        if self._until_close and self._headers_done:
            self._answer.set_result(self._reply(ended_by_close=True))
        elif not self._received:
            self._answer.set_exception(Disconnected(self._url, stale=self.asked > 1))
        elif not self._headers_done:
            self._answer.set_exception(
                FetchError(f"{self._url} closed the connection before answering in full")
            )
        else:
            self._answer.set_exception(
                FetchError(
                    f"broken body from {self._url}: the connection closed after {self._taken}"
                    " bytes, before the end its headers announced"
                )
            )

    # llhttp's callbacks

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_bytes += len(name) + len(value)
        if self._header_bytes > HEADER_BYTES:
            raise self._refuse(
                f"invalid HTTP answer from {self._url}: headers over {HEADER_BYTES} bytes"
            )
        # As aiohttp read them: UTF-8, and any other byte kept as a lone surrogate
        # (http_headers.escaped_bytes turns those back into the bytes they were).
        self._fields.append(
            (name.decode("utf-8", "surrogateescape"), value.decode("utf-8", "surrogateescape"))
        )

    def on_headers_complete(self) -> None:
        self._status = self._parser.get_status_code()
        if 100 <= self._status < 200:
            return  # an interim answer (100 Continue, 103 Early Hints): the real one follows
        self._headers_done = True
        self._keep_alive = self._parser.should_keep_alive()  # read here: llhttp resets it
        self._header_map = headers = CIMultiDictProxy(CIMultiDict(self._fields))
        if self._status in (204, 304):
            return  # no body, whatever the headers say (llhttp reads none)
        if self._status != 200:
            # A redirect's Location, an error's status and Retry-After are all a poll reads
            # of such an answer (as aiohttp's session left its body unread): ended here.
            self._body_unwanted = True
            self._complete = self._reply(ended_by_close=False)
            raise _HeadersEnough
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self._max_bytes:
            raise self._refuse(
                f"body of {declared} bytes is over the {self._max_bytes}-byte cap", "too_large"
            )
        self._until_close = declared is None and not chunked(headers)

    def on_chunk_header(self) -> None:
        self._chunk_count += 1

    def on_body(self, body: bytes) -> None:
        self._taken += len(body)
        if self._taken > self._max_bytes:
            raise self._refuse(f"body is over the {self._max_bytes}-byte cap", "too_large")
        self._chunks.append(body)

    def on_message_complete(self) -> None:
        if not self._headers_done:
            self._fields = []  # the interim answer's, dropped (its bytes still count)
            return
        if self._complete is not None:
            return
        self._complete = self._reply(ended_by_close=False)

    # the rest

    def _reply(self, *, ended_by_close: bool) -> Reply:
        return Reply(self._status, self._header_map, self._chunks, ended_by_close)

    def _refuse(self, message: str, reason: str = "unreachable") -> FetchError:
        self._refused = FetchError(message, reason)
        return self._refused

    def _said(self, exc: Exception) -> str:
        """Say what llhttp found wrong, in one line of at most 200 characters."""
        if self._complete is not None:
            return "bytes past the end its headers announced"
        if isinstance(exc, httptools.HttpParserUpgrade):  # its text is only where it stopped
            return "a switch to another protocol, which no poll asks for"
        line = str(exc).strip().split("\n", 1)[0] or type(exc).__name__
        return line if len(line) <= 200 else line[:200] + "…"

    def _fail(self, error: Exception) -> None:
        self.close()  # mid-answer: the connection is in no state to be used again
        if self._answer is not None and not self._answer.done():
            self._answer.set_exception(error)


class Disconnected(FetchError):
    """The server closed the connection before a byte of its answer."""

    def __init__(self, url: str, *, stale: bool) -> None:
        super().__init__(f"{url} closed the connection before answering in full")
        self.stale = stale  # on a reused connection, the server may have ended it while idle
