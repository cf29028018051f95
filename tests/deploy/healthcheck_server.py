"""A loopback HTTP server with fixed answers, for running the real health-check commands."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextmanager
def serving(statuses: dict[str, int], seen: list[str] | None = None) -> Iterator[int]:
    """Serve GET path -> status on 127.0.0.1 (404 for other paths); yield the port.

    Every path asked for is appended to ``seen``, if given.
    """

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if seen is not None:
                seen.append(self.path)
            status = statuses.get(self.path, 404)
            body = b"ok" if status < 400 else b"not ok"
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # quiet
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def run_probe(argv: list[str], port: int) -> int:
    """Run an exec-form health check against `port` instead of 8000; return its exit code."""
    assert argv[0] == "python", f"the health check must use python, not {argv[0]!r}"
    code = [part.replace("127.0.0.1:8000", f"127.0.0.1:{port}") for part in argv]
    assert code != argv, "the health check does not ask 127.0.0.1:8000"
    result = subprocess.run(
        [sys.executable, *code[1:]], capture_output=True, timeout=30, check=False
    )
    return result.returncode
