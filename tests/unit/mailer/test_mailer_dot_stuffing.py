"""Dot-stuffing of the DATA content (RFC 5321, 4.5.2): what the server must get back."""

from __future__ import annotations

import pytest

from services.mailer.adapters.smtp_connection import _stuffed


@pytest.mark.parametrize(
    ("message", "on_the_wire"),
    [
        (b"Subject: x\r\n\r\nno dots\r\n", b"Subject: x\r\n\r\nno dots\r\n"),
        (b".first line\r\n", b"..first line\r\n"),
        (b"a\r\n.b\r\n..c\r\n", b"a\r\n..b\r\n...c\r\n"),
        (b"a\r\n.\r\nb\r\n", b"a\r\n..\r\nb\r\n"),  # a lone dot must not end the mail early
        (b"a.b\r\nc. d\r\n", b"a.b\r\nc. d\r\n"),  # dots inside a line stay single
        (b"a\n.b\r.c", b"a\r\n..b\r\n..c\r\n"),  # bare line ends become CRLF first
        (b".", b"..\r\n"),
        (b"", b"\r\n"),
    ],
)
def test_leading_dots_are_doubled_and_line_ends_made_crlf(
    message: bytes, on_the_wire: bytes
) -> None:
    assert _stuffed(message) == on_the_wire
