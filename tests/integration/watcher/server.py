"""A scriptable loopback HTTP server: validators, redirects, slow and huge bodies, gzip, bodies
ended by closing the connection."""

from __future__ import annotations

import contextlib
import gzip
import threading
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    """What one path answers."""

    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    etag: str | None = None
    last_modified: str | None = None
    location: str | None = None
    set_cookie: str | None = None
    delay: float = 0.0  # seconds before the status line
    hold: float = 0.0  # seconds spent "working" (for concurrency counting)
    chunked: bool = False  # no Content-Length, chunked transfer encoding
    gzip: bool = False
    encoding: str | None = None  # a Content-Encoding header; the body is sent as it is
    endless: int = 0  # stream this many bytes of filler instead of body
    trickle: float = 0.0  # chunked: the body in ten pieces, this many seconds apart
    # 304 to any If-Modified-Since not older than Last-Modified, as many frameworks answer
    # (not only to the very date it sent).
    not_older_is_fresh: bool = False
    retry_after: str | None = None  # a Retry-After header
    content_length: int | None = None  # a Content-Length that is not the body's
    # No Content-Length, no chunks: the body ends where the server closes the connection, as
    # HTTP/1.0 servers and some proxies end it (a cut body is sent as such a server sends it).
    close_delimited: bool = False


@dataclass(frozen=True)
class Seen:
    """One request the server received, and what it answered."""

    path: str
    headers: dict[str, str]
    status: int


@dataclass
class ScriptedSite:
    """Routes that tests change between polls, and a log of what the server saw."""

    routes: dict[str, Route] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    active: int = 0
    max_active: int = 0
    # A condition, so that reading the log can wait for requests still being logged.
    lock: threading.Condition = field(default_factory=threading.Condition)
    _server: ThreadingHTTPServer | None = None

    def set(self, path: str, route: Route) -> None:
        """Publish or replace a route."""
        with self.lock:
            self.routes[path] = route

    def log(self, path: str) -> list[Seen]:
        """Return the requests that reached a path, once those in progress are logged.

        A request is logged after its answer is sent, so the client may already hold the
        answer (and the test be reading the log) while the server thread is still logging it.
        """
        with self.lock:
            self.lock.wait_for(lambda: self.active == 0, timeout=5)
            return [s for s in self.seen if s.path == path]

    def url(self, path: str) -> str:
        """Return the absolute URL of a path."""
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        with self.lock:
            route = self.routes.get(handler.path)
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        status = None
        try:
            status = self._respond(handler, route)
        finally:
            # One step: no reader sees the request finished but not yet logged.
            with self.lock:
                self.active -= 1
                if status is not None:
                    self.seen.append(Seen(handler.path, dict(handler.headers), status))
                self.lock.notify_all()

    def _respond(self, handler: BaseHTTPRequestHandler, route: Route | None) -> int:
        if route is None:
            handler.send_error(404)
            return 404
        time.sleep(route.delay + route.hold)
        since = handler.headers.get("If-Modified-Since")
        fresh = (route.etag and handler.headers.get("If-None-Match") == route.etag) or (
            route.last_modified
            and since is not None
            and (
                since == route.last_modified
                or (route.not_older_is_fresh and _not_older(since, route.last_modified))
            )
        )
        if fresh:
            handler.send_response(304)
            handler.end_headers()
            return 304
        handler.send_response(route.status)
        if route.location:
            handler.send_header("Location", route.location)
        if route.set_cookie:
            handler.send_header("Set-Cookie", route.set_cookie)
        if route.retry_after:
            handler.send_header("Retry-After", route.retry_after)
        handler.send_header("Content-Type", route.content_type)
        if route.etag:
            handler.send_header("ETag", route.etag)
        if route.last_modified:
            handler.send_header("Last-Modified", route.last_modified)
        body = gzip.compress(route.body) if route.gzip else route.body
        if route.gzip or route.encoding:
            handler.send_header("Content-Encoding", route.encoding or "gzip")
        if route.close_delimited:
            handler.send_header("Connection", "close")
            handler.end_headers()
            handler.wfile.write(body)
            handler.close_connection = True
            return route.status
        if route.chunked or route.endless:
            handler.send_header("Transfer-Encoding", "chunked")
            handler.end_headers()
            # The client gives up at its cap or its deadline, as it should.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self._stream(handler, body, route.endless, route.trickle)
            return route.status
        length = len(body) if route.content_length is None else route.content_length
        handler.send_header("Content-Length", str(length))
        if route.content_length is not None:
            # Headers and body in one write, as a server writes a small answer: the client then
            # meets the bytes past the Content-Length beside the headers in one read. Written
            # apart, they may arrive apart, and what the client makes of them is a race.
            handler._headers_buffer.append(b"\r\n" + body)  # type: ignore[attr-defined]
            handler.flush_headers()
            return route.status
        handler.end_headers()
        handler.wfile.write(body)
        return route.status

    @staticmethod
    def _stream(handler: BaseHTTPRequestHandler, body: bytes, endless: int, trickle: float) -> None:
        chunk = b"<p>" + b"fyll " * 2000 + b"</p>\n"
        pieces = [body] if not endless else [chunk] * (endless // len(chunk) + 1)
        if trickle:
            step = len(body) // 10 + 1
            pieces = [body[at : at + step] for at in range(0, len(body), step)]
        for piece in pieces:
            handler.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            handler.wfile.flush()
            time.sleep(trickle)
        handler.wfile.write(b"0\r\n\r\n")

    def start(self) -> None:
        """Serve on 127.0.0.1 and a free port."""
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                site._answer(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def _not_older(since: str, modified: str) -> bool:
    """Tell whether an If-Modified-Since date is not older than a Last-Modified date."""
    return parsedate_to_datetime(since) >= parsedate_to_datetime(modified)
