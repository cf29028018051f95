"""A body far over the limit is refused with 413 before it is read, and memory stays flat.

``varsel run`` as its own process on SQLite, spoken to over a raw socket so the test controls
exactly how much of a body is sent: a declared 100 MB body whose bytes never come, and a chunked
body (no Content-Length) streamed until the server answers. The process's peak resident memory
(VmHWM) is read around each, so a server that buffered the body would show it.
"""

from __future__ import annotations

import re
import select
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.varsel_process import VarselProcess

HUNDRED_MB = 100 * 1024 * 1024
CHUNK = 64 * 1024
LIMIT = 65536
# The whole body would add at least this much to the peak; a refused one adds parsing noise.
GROWTH_BOUND = 32 * 1024 * 1024
ANSWER_WITHIN = 30.0  # a bound on a hang, not a measure of speed

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/<pid>/status")


@pytest.fixture(scope="module")
def varsel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VarselProcess]:
    workdir = tmp_path_factory.mktemp("bodies")
    process = VarselProcess(
        workdir,
        {
            "VARSEL_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'varsel.db'}",
            "VARSEL_WATCHER_ENABLED": "false",
            "VARSEL_MAX_BODY_BYTES": str(LIMIT),
        },
        "subscriptions",
    )
    process.start()
    try:
        yield process
    finally:
        process.stop()


def peak_memory(process: VarselProcess) -> int:
    """Return the process's peak resident set size in bytes (VmHWM)."""
    status = Path(f"/proc/{process.pid}/status").read_text()
    match = re.search(r"^VmHWM:\s+(\d+) kB$", status, re.MULTILINE)
    assert match, status
    return int(match.group(1)) * 1024


def request_head(path: str, port: int, *headers: str) -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Content-Type: application/json",
        "Connection: close",
        *headers,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_answer(sock: socket.socket) -> tuple[int, str]:
    """Read a whole answer (the server closes the connection); return its status and body."""
    sock.settimeout(ANSWER_WITHIN)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:
        pass
    head, _, body = data.partition(b"\r\n\r\n")
    assert head, "the server closed the connection without an answer"
    status = int(head.split(b" ", 2)[1])
    return status, body.decode("utf-8", "replace")


def test_a_declared_huge_body_is_refused_before_it_is_read(varsel: VarselProcess) -> None:
    before = peak_memory(varsel)
    with socket.create_connection(("127.0.0.1", varsel.port), timeout=ANSWER_WITHIN) as sock:
        # The head promises 100 MB; not one byte of the body is sent. An answer can only come
        # from a server that refused without reading.
        sock.sendall(
            request_head("/api/v1/subscriptions", varsel.port, f"Content-Length: {HUNDRED_MB}")
        )
        try:
            status, body = read_answer(sock)
        except TimeoutError:
            pytest.fail("no answer: the server waits for a body it should have refused")
    assert status == 413, body[:500]
    assert f"{LIMIT} bytes" in body, body
    assert peak_memory(varsel) - before < GROWTH_BOUND


def test_a_chunked_body_is_cut_off_at_the_limit(varsel: VarselProcess) -> None:
    before = peak_memory(varsel)
    sent = 0
    chunk = f"{CHUNK:x}\r\n".encode() + b"a" * CHUNK + b"\r\n"
    with socket.create_connection(("127.0.0.1", varsel.port), timeout=ANSWER_WITHIN) as sock:
        sock.sendall(
            request_head("/api/v1/subscriptions", varsel.port, "Transfer-Encoding: chunked")
        )
        sock.sendall(b'b\r\n{"email": "\r\n')
        # Stream until the server answers (or stops reading): never more than 100 MB.
        while sent < HUNDRED_MB:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += CHUNK
        else:
            sock.sendall(b'2\r\n"}\r\n0\r\n\r\n')  # the whole body went in: end it
        status, body = read_answer(sock)
    assert status == 413, body[:500]
    assert f"{LIMIT} bytes" in body, body
    assert sent < HUNDRED_MB, "the server read the whole body before it answered"
    assert peak_memory(varsel) - before < GROWTH_BOUND


def test_a_page_form_over_the_limit_is_refused(varsel: VarselProcess) -> None:
    with socket.create_connection(("127.0.0.1", varsel.port), timeout=ANSWER_WITHIN) as sock:
        head = request_head(
            "/subscribe/norge-i-verden", varsel.port, f"Content-Length: {LIMIT + 1}"
        ).replace(b"application/json", b"application/x-www-form-urlencoded")
        sock.sendall(head + b"email=" + b"a" * (LIMIT - 5))
        status, body = read_answer(sock)
    assert status == 413, body
    assert f"{LIMIT} bytes" in body, body
