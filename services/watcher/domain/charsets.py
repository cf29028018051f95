"""Read bytes as browsers read them where a label and the bytes disagree (WHATWG Encoding)."""

from __future__ import annotations

import re


def _windows_1252(byte: int) -> str:
    """Return the character windows-1252 reads a byte as; its five holes as C1 (WHATWG)."""
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(byte)


_C1_AS_WINDOWS_1252 = {code: _windows_1252(code) for code in range(0x80, 0xA0)}
# surrogateescape reads a byte that fits no UTF-8 sequence as U+DC80-U+DCFF.
_ESCAPED_AS_WINDOWS_1252 = {chr(0xDC00 + code): _windows_1252(code) for code in range(0x80, 0x100)}
_ESCAPED_RE = re.compile("[\udc80-\udcff]")


def as_windows_1252(body: bytes) -> str:
    """Read a body as windows-1252, as browsers do (its holes as C1 characters)."""
    try:
        return body.decode("cp1252")  # in C; translating costs 60 times as much
    except UnicodeDecodeError:
        return body.decode("latin-1").translate(_C1_AS_WINDOWS_1252)


def utf8_with_stray_windows_1252(body: bytes) -> str:
    """Read a body as UTF-8, each byte that fits no UTF-8 sequence as windows-1252.

    One «’» pasted from a word processor into a UTF-8 page made the whole page read as
    windows-1252: every «å» became «Ã¥», and the page «changed» each time the byte came or
    went. A windows-1252 page served as UTF-8 reads as windows-1252 all the same.
    """
    text = body.decode("utf-8", "surrogateescape")
    if len(text) == len(body):  # no UTF-8 sequence in it, only bytes of windows-1252
        return as_windows_1252(body)
    return _ESCAPED_RE.sub(lambda stray: _ESCAPED_AS_WINDOWS_1252[stray[0]], text)
