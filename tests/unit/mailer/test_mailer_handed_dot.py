"""The final dot of a handed-over mail goes into the kernel or not at all (ADR 0008).

Killed after COMMIT, a process still delivers what the kernel holds and loses what it holds
itself. A dot that the kernel could not take (its buffer full) is dropped with the connection,
so the server discards the mail and the ledger queues it again, rather than recorded as sent.
The transport here stands in for one whose kernel buffer is full at the moment of the dot.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, cast

import aiosmtplib
import pytest

from services.mailer.adapters.smtp_connection import CONTENT_TIMEOUTS, SmtpConnection


class FullTransport(asyncio.Transport):
    """Takes writes; after ``fill()``, holds whatever is written next, as when the kernel's
    send buffer is full. ``answer``, if set, is the server's reply to the next write."""

    def __init__(self) -> None:
        super().__init__()
        self.written: list[bytes] = []
        self.held = 0
        self.full = False
        self.aborted = False
        self.protocol: asyncio.Protocol | None = None
        self.answer: bytes | None = None

    def fill(self) -> None:
        self.full = True

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written.append(bytes(data))
        if self.full:
            self.held += len(data)
        if self.answer is not None and self.protocol is not None:
            asyncio.get_running_loop().call_soon(self.protocol.data_received, self.answer)
            self.answer = None

    def get_write_buffer_size(self) -> int:
        return self.held

    def abort(self) -> None:
        self.aborted = True

    def close(self) -> None:
        self.aborted = True

    def is_closing(self) -> bool:
        return self.aborted

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self.protocol = cast(asyncio.Protocol, protocol)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default


class ConnectedClient:
    """What SmtpConnection reads of aiosmtplib's client once it is connected."""

    is_ehlo_or_helo_needed = False

    def __init__(self, transport: FullTransport, timeout: float = 5.0) -> None:
        self.transport = transport
        self.timeout = timeout

    def supports_extension(self, name: str) -> bool:
        return name == "pipelining"


@pytest.mark.parametrize("full_at_the_dot", [False, True])
async def test_a_dot_the_kernel_cannot_take_is_dropped_with_the_connection(
    full_at_the_dot: bool,
) -> None:
    transport = FullTransport()
    connection = SmtpConnection(cast(aiosmtplib.SMTP, ConnectedClient(transport)))
    transport.answer = b"250 ok\r\n250 ok\r\n354 go on\r\n"  # to MAIL, RCPT and DATA
    released: list[BaseException | None] = []

    async def hand_over(release: Callable[[], None]) -> None:
        if full_at_the_dot:
            transport.fill()
        try:
            release()
        except ConnectionError as exc:
            released.append(exc)
            raise
        released.append(None)
        assert transport.protocol is not None
        transport.protocol.data_received(b"250 queued\r\n")

    sending = connection.send("a@fhi.no", "b@example.org", b"Subject: x\r\n\r\nHei\r\n", hand_over)
    if full_at_the_dot:
        with pytest.raises(ConnectionError, match="final dot"):
            await sending
        assert transport.aborted, "the dot was dropped with the connection, never sent later"
    else:
        await sending
        assert released == [None] and not transport.aborted
    assert transport.written[-1] == b".\r\n"


async def _content_to(transport: FullTransport, handed: list[bool]) -> None:
    """Send a mail on a connection over ``transport`` whose SMTP timeout is 0.2 s, noting in
    ``handed`` if it was handed over."""
    connection = SmtpConnection(cast(aiosmtplib.SMTP, ConnectedClient(transport, timeout=0.2)))
    transport.answer = b"250 ok\r\n250 ok\r\n354 go on\r\n"  # to MAIL, RCPT and DATA

    async def hand_over(release: Callable[[], None]) -> None:
        handed.append(True)
        release()

    await connection.send("a@fhi.no", "b@example.org", b"Subject: x\r\n\r\nHei\r\n", hand_over)


async def test_a_relay_that_stops_reading_mid_content_is_given_up_before_any_hand_over() -> None:
    transport = FullTransport()
    transport.fill()  # nothing written from now on leaves the process
    handed: list[bool] = []
    with pytest.raises(TimeoutError, match="stopped reading"):
        await _content_to(transport, handed)
    assert handed == [] and transport.aborted


async def test_a_relay_that_reads_a_little_now_and_then_is_given_up_before_any_hand_over() -> None:
    transport = FullTransport()
    transport.fill()
    handed: list[bool] = []

    async def trickle() -> None:  # a byte every 0.1 s: always within the 0.2 s wait
        while transport.held:
            await asyncio.sleep(0.1)
            transport.held -= 1

    reading = asyncio.create_task(trickle())
    started = asyncio.get_running_loop().time()
    try:
        with pytest.raises(TimeoutError, match="read too slowly"):
            async with asyncio.timeout(5):  # before, it waited for as long as the relay liked
                await _content_to(transport, handed)
    finally:
        reading.cancel()
    # Given up by its own deadline (the words above), not by the 5 s one around it.
    assert asyncio.get_running_loop().time() - started >= 0.2 * CONTENT_TIMEOUTS
    assert handed == [] and transport.aborted
    assert b".\r\n" not in transport.written, "no final dot"
