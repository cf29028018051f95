"""A pooled SMTP connection ends when it is closed or lost, whatever handles on it it keeps.

The connection keeps a descriptor of its own for TCP_CORK (smtp_connection._options_socket):
the socket ends only once every descriptor on it is closed, so a forgotten one would leave
the relay with a connection that never ends and this process with a descriptor per connection.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import aiosmtplib

from services.mailer.adapters.smtp_connection import SmtpConnection


class Relay:
    """A relay on loopback that greets, says EHLO, and notes when each connection ends."""

    def __init__(self) -> None:
        self.ended: asyncio.Queue[None] = asyncio.Queue()
        self.writers: list[asyncio.StreamWriter] = []

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.append(writer)
        writer.write(b"220 relay ready\r\n")
        while line := await reader.readline():
            if line.upper().startswith(b"EHLO"):
                writer.write(b"250-relay\r\n250 PIPELINING\r\n")
            elif line.upper().startswith(b"QUIT"):
                writer.write(b"221 bye\r\n")
            else:
                writer.write(b"250 ok\r\n")
        self.ended.put_nowait(None)  # end of stream: every descriptor on the other side closed
        writer.close()


@asynccontextmanager
async def relay() -> AsyncIterator[tuple[Relay, Callable[[], asyncio.Future[SmtpConnection]]]]:
    served = Relay()
    server = await asyncio.start_server(served.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]

    async def connect() -> SmtpConnection:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=5, start_tls=False)
        await client.connect()
        await client.ehlo()
        return SmtpConnection(client)

    try:
        yield served, lambda: asyncio.ensure_future(connect())
    finally:
        server.close()
        await server.wait_closed()


def _descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


async def test_a_closed_connection_ends_for_the_relay() -> None:
    async with relay() as (served, connect):
        connection = await connect()
        connection.close()
        async with asyncio.timeout(5):
            await served.ended.get()
        assert not connection.is_open


async def test_a_connection_quit_ends_for_the_relay() -> None:
    async with relay() as (served, connect):
        connection = await connect()
        await connection.quit()
        async with asyncio.timeout(5):
            await served.ended.get()


async def test_a_connection_the_relay_ends_leaves_no_descriptor_behind() -> None:
    async with relay() as (served, connect):
        before = _descriptors()
        connections = [await connect() for _ in range(5)]
        assert _descriptors() > before
        for writer in served.writers:
            writer.close()  # the relay hangs up on every one of them
        async with asyncio.timeout(5):
            while any(c.is_open for c in connections):
                await asyncio.sleep(0.01)
            # connection_lost runs a step after the transport closes: give it its turn.
            while _descriptors() > before:
                await asyncio.sleep(0.01)
        assert _descriptors() == before
