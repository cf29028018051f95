"""A relay that stops reading mid-DATA: the hand-over waits until the whole content is in the
kernel, under TLS too, where the TLS layer does not count the bytes beneath it (ADR 0008).

Killed after COMMIT, a process still delivers what the kernel holds, and loses what it holds
itself. A proxy between the sender and a real STARTTLS server stops forwarding once a megabyte
has passed, so the sockets' buffers fill and the rest of a large mail waits in the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
import trustme
import uvloop
from aiosmtpd.controller import Controller

from services.mailer.adapters.senders import SmtpMailSender
from services.mailer.adapters.smtp_connection import SmtpConnection
from tests.integration.mailer.tls_support import PipeliningMailbox, authenticate, server_tls
from tests.support.varsel_process import free_port

# Larger than what loopback sockets buffer in the kernel (about 10 MB here), so some of it must
# wait in the process while the relay does not read.
LARGE = 20 * 1024 * 1024
MESSAGE = b"From: a@fhi.no\r\nTo: b@example.org\r\nSubject: x\r\n\r\n" + b"Hei hei.\r\n" * (
    LARGE // 10
)


class StallingProxy:
    """Forwards TCP both ways; stops forwarding towards the server after ``after`` bytes until
    ``resume`` is called."""

    def __init__(self, upstream_port: int, after: int) -> None:
        self.upstream_port = upstream_port
        self.after = after
        self.forwarded = 0
        self.flowing = asyncio.Event()
        self.stalled = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()

    def resume(self) -> None:
        self.flowing.set()

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, towards_server: bool
    ) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
                if towards_server:
                    self.forwarded += len(data)
                    if self.forwarded > self.after and not self.flowing.is_set():
                        self.stalled.set()
                        await self.flowing.wait()  # reads nothing more: the buffers fill
        writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        for pump in (
            self._pump(reader, up_writer, towards_server=True),
            self._pump(up_reader, writer, towards_server=False),
        ):
            task = asyncio.create_task(pump)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[int]:
        server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        try:
            yield server.sockets[0].getsockname()[1]
        finally:
            self.resume()
            server.close()
            for task in list(self._tasks):
                task.cancel()


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def starttls_server(authority: trustme.CA) -> Iterator[tuple[int, PipeliningMailbox]]:
    mailbox = PipeliningMailbox()
    port = free_port()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticate,
        tls_context=server_tls(authority),
        require_starttls=True,
        data_size_limit=2 * LARGE,
    )
    controller.start()
    yield port, mailbox
    controller.stop()


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_the_hand_over_waits_until_the_content_is_in_the_kernel_under_starttls(
    starttls_server: tuple[int, PipeliningMailbox], authority: trustme.CA, loop: str
) -> None:
    # On both loops: varsel runs on uvloop, whose TLS transports are its own.
    port, mailbox = starttls_server
    (uvloop.run if loop == "uvloop" else asyncio.run)(_send_through_a_stall(port, authority))

    (message,) = mailbox.messages
    assert message.recipients == ["kari@example.org"]
    assert len(message.data) >= LARGE


async def _send_through_a_stall(port: int, authority: trustme.CA) -> None:
    client_tls = ssl.create_default_context()
    authority.configure_trust(client_tls)
    proxy = StallingProxy(port, after=1024 * 1024)
    handed = asyncio.Event()

    async def hand_over(release: Callable[[], None]) -> None:
        handed.set()
        release()

    async with proxy.running() as proxy_port:
        sender = SmtpMailSender(
            f"smtp+starttls://127.0.0.1:{proxy_port}", pool_size=1, tls_context=client_tls
        )
        try:
            sending = asyncio.create_task(
                sender.send("varsel@fhi.no", "kari@example.org", MESSAGE, hand_over=hand_over)
            )
            await asyncio.wait_for(proxy.stalled.wait(), 30)
            await asyncio.sleep(0.5)
            assert not handed.is_set(), "handed over while the content's end was in the process"

            proxy.resume()
            await asyncio.wait_for(sending, 60)
        finally:
            await sender.close()
    assert handed.is_set()


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_a_stalled_relay_is_looked_at_a_few_times_a_second_not_a_thousand(
    starttls_server: tuple[int, PipeliningMailbox],
    authority: trustme.CA,
    loop: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    looks = [0]
    buffered = SmtpConnection._buffered

    def counted(self: SmtpConnection) -> int:
        looks[0] += 1
        return buffered(self)

    monkeypatch.setattr(SmtpConnection, "_buffered", counted)
    port, mailbox = starttls_server
    run = uvloop.run if loop == "uvloop" else asyncio.run
    during = run(_looks_while_stalled(port, authority, looks))

    # Before, the wait for the content's drain woke every millisecond: about 1,000 a second.
    assert during < 60, f"{during} looks at a relay stalled for {STALL} s"
    (message,) = mailbox.messages
    assert len(message.data) >= LARGE  # and the mail still went once the relay read again


STALL = 1.0


async def _looks_while_stalled(port: int, authority: trustme.CA, looks: list[int]) -> int:
    """Send a large mail through a relay that stops reading; return how often the sender looked
    at its buffer during ``STALL`` seconds of the stall."""
    client_tls = ssl.create_default_context()
    authority.configure_trust(client_tls)
    proxy = StallingProxy(port, after=1024 * 1024)
    async with proxy.running() as proxy_port:
        sender = SmtpMailSender(
            f"smtp+starttls://127.0.0.1:{proxy_port}", pool_size=1, tls_context=client_tls
        )
        try:
            sending = asyncio.create_task(sender.send("varsel@fhi.no", "kari@example.org", MESSAGE))
            await asyncio.wait_for(proxy.stalled.wait(), 30)
            await asyncio.sleep(0.5)  # the kernel's buffers are full by now
            before = looks[0]
            await asyncio.sleep(STALL)
            during = looks[0] - before
            proxy.resume()
            await asyncio.wait_for(sending, 60)
        finally:
            await sender.close()
    return during
