"""A real HTTP server on loopback serving fixture pages that tests can change."""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise


@dataclass
class Resource:
    """What one path answers."""

    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    etag: bool = True
    delay: float = 0.0  # seconds before answering: a slow server
    location: str | None = None  # a Location header (with a 3xx status)


@dataclass
class FixtureSite:
    """Mutable pages plus a log of requests, served by ``http.server`` in a thread."""

    resources: dict[str, Resource] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    # When each of ``requests`` arrived (time.monotonic()), in the same order.
    arrivals: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    def set(self, path: str, resource: Resource) -> None:
        """Publish (or replace) a resource."""
        with self.lock:
            self.resources[path] = resource

    def hits(self, path: str) -> int:
        """Return how many requests reached a path."""
        with self.lock:
            return sum(1 for p, _ in self.requests if p == path)

    def gaps(self, path: str) -> list[float]:
        """Return the seconds between consecutive requests to a path."""
        times = [at for at, _ in self.visits(path)]
        return [later - earlier for earlier, later in pairwise(times)]

    def visits(self, path: str) -> list[tuple[float, dict[str, str]]]:
        """Return when each request to a path arrived (time.monotonic()) and its headers."""
        with self.lock:
            return [
                (at, headers)
                for at, (p, headers) in zip(self.arrivals, self.requests, strict=True)
                if p == path
            ]

    def start(self) -> None:
        """Serve on 127.0.0.1 and a free port."""
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with site.lock:
                    site.requests.append((self.path, dict(self.headers)))
                    site.arrivals.append(time.monotonic())
                    resource = site.resources.get(self.path)
                if resource is None:
                    self.send_error(404)
                    return
                time.sleep(resource.delay)
                tag = '"' + hashlib.sha256(resource.body).hexdigest()[:16] + '"'
                if resource.etag and self.headers.get("If-None-Match") == tag:
                    self.send_response(304)
                    self.send_header("ETag", tag)
                    self.end_headers()
                    return
                self.send_response(resource.status)
                self.send_header("Content-Type", resource.content_type)
                self.send_header("Content-Length", str(len(resource.body)))
                if resource.location:
                    self.send_header("Location", resource.location)
                if resource.etag:
                    self.send_header("ETag", tag)
                self.end_headers()
                self.wfile.write(resource.body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def base_url(self) -> str:
        """Return the site's URL."""
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
