"""The mail benchmarks' yardstick: Postfix's smtp-sink, and smtp-source sending to it.

smtp-source is a C client that does nothing but SMTP; its mails/s against the sink is the
ceiling a sender is compared with. It is measured two ways, in the same invocation, each with
as many sessions as varsel's pool has connections and against the same sink varsel sent to:

* **connection reused** (``-d``): each session sends all its mails over one connection, as
  varsel's pooled sender does. The message is one of varsel's own mails of the same run
  (``-F``), so both put the same bytes on the wire. This is the ceiling the ratios use.
* **connection per mail** (no ``-d``, as the ceiling was measured before): a TCP connection,
  HELO and QUIT for every mail, which varsel's pool never pays. Printed beside it, labelled,
  so older figures can be compared.

smtp-source does not pipeline (four round trips a mail, where varsel's sender needs two), so
even the reused figure is not the most the sink can take.

Needs Postfix's programs: ``apt-get install -y postfix`` (see bench/README.md).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from services.mailer.adapters.senders import HandOver, MailSender
from services.mailer.bootstrap import Mailer
from services.mailer.delivery import DeliveryWorker

HOST = "127.0.0.1"


def tool(name: str) -> str:
    """Return the path of one of Postfix's test programs, or stop with how to install them."""
    found = shutil.which(name) or f"/usr/sbin/{name}"
    if not Path(found).exists():
        raise SystemExit(f"{name} not found: apt-get install -y postfix (see bench/README.md)")
    return found


def free_port() -> int:
    """Return a loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def load() -> float:
    """Return the machine's 1-minute load average."""
    return os.getloadavg()[0]


@dataclass
class Sink:
    """A running smtp-sink: where it listens, and its process (for its CPU time)."""

    port: int
    pid: int


@contextmanager
def sink() -> Iterator[Sink]:
    """Run smtp-sink on a free loopback port while the block runs."""
    port = free_port()
    as_root = ["-u", "nobody"] if os.geteuid() == 0 else []  # smtp-sink refuses to run as root
    process = subprocess.Popen(
        [tool("smtp-sink"), *as_root, "-c", f"{HOST}:{port}", "1000"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection((HOST, port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("smtp-sink did not start") from None
                time.sleep(0.05)
        yield Sink(port=port, pid=process.pid)
    finally:
        process.terminate()
        process.wait(timeout=10)


# Mails a Recording looks at before it steps aside: its own call per mail is the benchmark's
# work, not varsel's, and was counted in varsel's CPU for every mail when it stayed.
SAMPLE = 1_000


class Recording:
    """Wraps a mail sender: counts the first SAMPLE mails' bytes and keeps the first mail, then
    hands the worker its own sender back."""

    def __init__(self, inner: MailSender, worker: DeliveryWorker) -> None:
        self.inner = inner
        self.worker = worker
        self.bytes = 0
        self.mails = 0
        self.first: bytes | None = None

    async def send(
        self,
        sender: str,
        recipient: str,
        message: bytes,
        *,
        hand_over: HandOver | None = None,
        owner: uuid.UUID | None = None,
        transparent: bytes | None = None,
        then: tuple[str, str] | None = None,
    ) -> None:
        """Send through the wrapped sender, then count the message."""
        await self.inner.send(
            sender,
            recipient,
            message,
            hand_over=hand_over,
            owner=owner,
            transparent=transparent,
            then=then,
        )
        self.bytes += len(message)
        self.mails += 1
        if self.first is None:
            self.first = message
        if self.mails == SAMPLE:
            self.worker._sender = self.inner  # the rest go straight to varsel's own sender

    def abandon(self) -> None:
        """Drop what the wrapped sender sent early for mails not sent."""
        self.inner.abandon()

    def connections(self) -> int:
        return self.inner.connections()

    async def close(self) -> None:
        """Close the wrapped sender."""
        await self.inner.close()

    @property
    def mean_bytes(self) -> float:
        """Return the mean size of the mails looked at (the first SAMPLE)."""
        return self.bytes / max(1, self.mails)


def record_mails(mailer: Mailer) -> Recording:
    """Count what the mailer's delivery worker hands over, without changing what it sends."""
    recording = Recording(mailer.worker._sender, mailer.worker)
    mailer.worker._sender = recording
    return recording


@dataclass
class Ceilings:
    """smtp-source's mails/s both ways, and the size of the mail it sent."""

    reused: float
    per_mail: float
    message_bytes: int


def smtp_source(port: int, count: int, sessions: int, message: Path, *, reuse: bool) -> float:
    """Send ``count`` copies of the message file with smtp-source; return mails/s."""
    command = [tool("smtp-source"), *(["-d"] if reuse else []), "-s", str(sessions)]
    command += ["-m", str(count), "-F", str(message), f"{HOST}:{port}"]
    started = time.perf_counter()
    subprocess.run(command, check=True)
    return count / (time.perf_counter() - started)


def message_file(message: bytes, directory: Path) -> Path:
    """Write a mail as smtp-source's ``-F`` reads it; return the file."""
    path = directory / "smtp-source.eml"
    # smtp-source ends every line of the file with CRLF and dot-stuffs it itself.
    path.write_bytes(message.replace(b"\r\n", b"\n"))
    return path


def ceilings(port: int, count: int, sessions: int, message: bytes) -> Ceilings:
    """Measure both ceilings with ``count`` copies of one of varsel's mails."""
    with tempfile.TemporaryDirectory() as directory:
        path = message_file(message, Path(directory))
        reused = smtp_source(port, count, sessions, path, reuse=True)
        per_mail = smtp_source(port, count, sessions, path, reuse=False)
    return Ceilings(reused=reused, per_mail=per_mail, message_bytes=len(message))


@dataclass
class Wire:
    """Bytes a relay passed each way since it was last read."""

    to_server: int = 0
    to_client: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> tuple[int, int]:
        """Return the bytes each way and start counting again."""
        with self.lock:
            taken = (self.to_server, self.to_client)
            self.to_server = self.to_client = 0
        return taken


@contextmanager
def counting_relay(target: int) -> Iterator[tuple[int, Wire]]:
    """Relay loopback TCP to ``target`` and count the bytes each way; yield its port and counts.

    For checking that two senders put the same bytes on the wire, not for timing: the relay
    costs CPU of its own.
    """
    port, wire = free_port(), Wire()
    loop = asyncio.new_event_loop()
    started = threading.Event()
    stop = asyncio.Event()

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, up: bool) -> None:
        try:
            while data := await reader.read(65536):
                with wire.lock:
                    if up:
                        wire.to_server += len(data)
                    else:
                        wire.to_client += len(data)
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await asyncio.open_connection(HOST, target)
        await asyncio.gather(pipe(reader, server_writer, True), pipe(server_reader, writer, False))

    async def serve() -> None:
        server = await asyncio.start_server(connected, HOST, port, backlog=1000)
        started.set()
        async with server:
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    started.wait(10)
    try:
        yield port, wire
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
