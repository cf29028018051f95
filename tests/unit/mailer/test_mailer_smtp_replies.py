"""Reading SMTP replies off a pipelined connection: however the bytes are split, in time or not."""

from __future__ import annotations

import asyncio

import aiosmtplib
import pytest

from services.mailer.adapters.smtp_replies import Replies

# A pipelined MAIL, RCPT and DATA answered in one write, then a multi-line reply.
WIRE = (
    b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
    b"250-first\r\n250 last\r\n"
)
EXPECTED = [
    (250, "2.1.0 Ok"),
    (250, "2.1.5 Ok"),
    (354, "End data with <CR><LF>.<CR><LF>"),
    (250, "first\nlast"),
]


async def _read(chunks: list[bytes], count: int) -> list[tuple[int, str]]:
    replies = Replies(wait=5.0)
    replies.asked(count)
    for chunk in chunks:
        replies.data_received(chunk)
    return [tuple(await replies.next()) for _ in range(count)]  # type: ignore[misc]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 13, len(WIRE)])
async def test_replies_split_anywhere_read_the_same(size: int) -> None:
    chunks = [WIRE[i : i + size] for i in range(0, len(WIRE), size)]
    assert await _read(chunks, len(EXPECTED)) == EXPECTED


async def test_a_reply_that_arrives_later_wakes_the_reader() -> None:
    replies = Replies(wait=5.0)
    reading = asyncio.ensure_future(replies.next())
    await asyncio.sleep(0)
    assert not reading.done()
    replies.data_received(b"250 O")
    await asyncio.sleep(0)
    assert not reading.done(), "half a line is no reply"
    replies.data_received(b"k\r\n")
    assert tuple(await reading) == (250, "Ok")


async def test_an_unreadable_code_reads_as_a_failure() -> None:
    assert await _read([b"2x0 what\r\n"], 1) == [(-1, "what")]


async def test_a_reply_longer_than_smtp_allows_ends_the_connection() -> None:
    replies = Replies(wait=5.0)
    replies.data_received(b"250-" + b"x" * 70_000)
    with pytest.raises(aiosmtplib.SMTPResponseException, match="too long"):
        await replies.next()


async def test_a_silent_server_fails_the_wait_and_the_next_wait_gets_its_own_time() -> None:
    replies = Replies(wait=0.05)
    replies.asked(2)
    with pytest.raises(TimeoutError):
        await replies.next()
    # The watchdog is armed again for a later wait, which a reply then ends in time.
    reading = asyncio.ensure_future(replies.next())
    await asyncio.sleep(0)
    replies.data_received(b"250 Ok\r\n")
    assert tuple(await reading) == (250, "Ok")
    with pytest.raises(TimeoutError):
        await replies.next()


async def test_a_lost_connection_fails_the_wait() -> None:
    replies = Replies(wait=None)
    reading = asyncio.ensure_future(replies.next())
    await asyncio.sleep(0)
    replies.connection_lost(None)
    with pytest.raises(aiosmtplib.SMTPServerDisconnected):
        await reading


async def test_a_reply_trickled_a_byte_at_a_time_still_fails_the_wait_in_time() -> None:
    # Before, every byte started the wait anew: a relay sending a byte every 29 seconds held
    # the mail's lane (and its batch) for as long as it liked, past the batch's lease.
    replies = Replies(wait=0.2)
    reading = asyncio.ensure_future(replies.next())
    loop = asyncio.get_running_loop()
    started = loop.time()
    for byte in b"250 slowly":
        await asyncio.sleep(0.05)
        if reading.done():
            break
        replies.data_received(bytes([byte]))
    with pytest.raises(TimeoutError):
        await reading
    assert loop.time() - started < 0.4


async def test_replies_nobody_asked_for_end_the_connection_at_once() -> None:
    # A relay that keeps answering commands never sent: before, every reply was kept until the
    # connection was next used (hours later, on an idle one), 120 MB in 8 seconds.
    hung_up = []
    replies = Replies(wait=5.0, hang_up=lambda: hung_up.append(True))
    replies.asked(3)
    replies.data_received(b"250 Ok\r\n250 Ok\r\n354 Go on\r\n421 4.4.2 closing\r\n")
    assert replies.pending == 4 and replies.lost is None, "three asked, and one 421 unasked"
    replies.data_received((b"250 " + b"x" * 500 + b"\r\n") * 10_000)
    assert hung_up == [True]
    assert replies.pending == 3, "the replies to the commands sent, and no more"
    replies.data_received(b"250 more\r\n" * 10_000)
    assert replies.pending == 3 and hung_up == [True]
    assert [(await replies.next()).code for _ in range(3)] == [250, 250, 354]
    with pytest.raises(aiosmtplib.SMTPServerDisconnected, match="nobody asked for"):
        await replies.next()


async def test_replies_read_make_room_for_the_next_commands_and_no_more() -> None:
    replies = Replies(wait=5.0)
    for _ in range(1000):
        replies.asked(1)
        replies.data_received(b"250 Ok\r\n")
        assert tuple(await replies.next()) == (250, "Ok")
    replies.data_received(b"421 closing\r\n")
    assert replies.pending == 1 and replies.lost is None
    replies.data_received(b"250 unasked\r\n")
    assert replies.pending == 0 and replies.lost is not None, "dropped: no command was sent"
