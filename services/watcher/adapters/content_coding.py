"""Decoding a fetched body's Content-Encoding as it arrives, to a cap, and only if it is whole.

aiohttp decodes gzip without telling a stream that stops short from one that ends: it reads
concatenated gzip members, so it never asks whether the last one was finished. A compressed
page cut off on its way (a proxy's or CDN's stored copy of a broken transfer, sent with the
length of what it holds) was read as half the page, and every follower was told that the
other half had been removed; the page whole again was no news, the removal had been told.
The fetcher takes the bytes as they came (``auto_decompress=False``) and decodes them here,
where the end of the stream is checked.

A coding varsel does not decode is never asked for (its requests accept gzip and deflate):
brotli and zstandard are refused in words, and a value that names no compression at all
(«identity», «none», a charset written in the wrong header) leaves the body as it is, as
aiohttp left it.
"""

from __future__ import annotations

import zlib
from typing import Final

# What each coding's stream is read as: gzip's header and trailer, or deflate's (sniffed).
_GZIP: Final = 16 + zlib.MAX_WBITS
_MEMBER: Final = b"\x1f\x8b"  # how a gzip member starts
# More gzip members than this in one body is no server's way of writing one (aiohttp's limit).
_MOST_MEMBERS: Final = 1024
_NAMES: Final = {"gzip": "gzip", "x-gzip": "gzip", "deflate": "deflate"}
# Compressions varsel does not ask for, by the name aiohttp gave them in its refusal.
_UNASKED: Final = {"br": "brotli", "zstd": "zstandard"}


class Undecodable(Exception):
    """The body is not in the coding its header names; ``str(e)`` is the coding."""


class Unasked(Exception):
    """The body is compressed in a coding varsel does not ask for; ``str(e)`` names it."""


class CutShort(Exception):
    """The body's compressed stream ends before its end: the transfer was cut off."""


def body_coding(header: str | None) -> str | None:
    """Return the compression a Content-Encoding header names that is decoded here («gzip»
    or «deflate»); None for a body taken as it is. Raise Unasked for brotli or zstandard."""
    if header is None:
        return None
    token = header.strip().lower()
    if token in _UNASKED:
        raise Unasked(_UNASKED[token])
    return _NAMES.get(token)


class Inflater:
    """One body's decoder: fed its chunks in order, then told that it has ended."""

    def __init__(self, coding: str) -> None:
        self._coding = coding
        self._stream: zlib._Decompress | None = None
        self._after = b""  # bytes after a finished gzip member, too few to tell a next one
        self._done = False  # the stream ended, and what followed it is no stream
        self._members = 1

    def inflate(self, chunk: bytes, most: int) -> bytes:
        """Return what ``chunk`` decodes to: all of it, or more than ``most`` bytes when it
        decodes to more (the caller refuses the body then; a bomb never inflates further)."""
        data, self._after = self._after + chunk, b""
        if not data or self._done:
            return b""
        if self._stream is None:
            self._stream = self._open(data)
        parts: list[bytes] = []
        made = 0
        try:
            while data and made <= most:
                if self._stream.eof:
                    if self._coding == "gzip" and len(data) < len(_MEMBER):
                        self._after = data  # a next member's start may be split
                        break
                    if self._coding != "gzip" or not data.startswith(_MEMBER):
                        # Bytes after the stream (padding, a stray newline): ignored, as
                        # browsers ignore them.
                        self._done = True
                        break
                    self._members += 1  # gzip may hold several, as aiohttp reads them
                    if self._members > _MOST_MEMBERS:
                        raise Undecodable(self._coding)
                    self._stream = zlib.decompressobj(_GZIP)
                parts.append(self._stream.decompress(data, most + 1 - made))
                made += len(parts[-1])
                # Input the limit left unread, else what followed the stream's end.
                data = self._stream.unconsumed_tail or self._stream.unused_data
        except zlib.error as exc:
            raise Undecodable(self._coding) from exc
        return b"".join(parts)

    def end(self) -> None:
        """Raise CutShort if the body's stream was begun and not finished."""
        if self._stream is not None and not self._stream.eof:
            raise CutShort(self._coding)

    def _open(self, first: bytes) -> zlib._Decompress:
        if self._coding == "gzip":
            return zlib.decompressobj(_GZIP)
        # deflate is meant to be zlib's format; some servers send the raw stream (as aiohttp
        # reads them: a zlib header's low four bits are 8).
        return zlib.decompressobj(zlib.MAX_WBITS if first[0] & 0x0F == 8 else -zlib.MAX_WBITS)
