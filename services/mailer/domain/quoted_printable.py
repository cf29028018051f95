"""Quoted-printable bodies with holes for each recipient's links (RFC 2045).

The shared text is encoded once, in segments that end where a link goes, each hole between
two soft line breaks: a link dropped in later, encoded and folded on its own, never makes a
line of the shared text longer or splits an escape. The standard library's encoders work on a
whole body, which would have to be encoded again for every recipient.
"""

from __future__ import annotations

import binascii
import re
from typing import Final

_QP_LINE: Final = 75  # characters before a soft line break's "=" (RFC 2045: 76 in all)


def qp_pieces(body: str, context: str, pattern: re.Pattern[str]) -> list[bytes | str]:
    """Encode ``body`` quoted-printable with a named slot where each sentinel was."""
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    pieces: list[bytes | str] = []
    position = 0
    for match in pattern.finditer(body):
        pieces += [_qp_segment(body[position : match.start()]), b"=\r\n"]
        pieces += [f"{match.lastgroup}/{context}", b"=\r\n"]
        position = match.end()
    pieces.append(_qp_segment(body[position:]))
    return pieces


def _qp_segment(segment: str) -> bytes:
    """Encode a run of text that may be followed directly by a soft line break."""
    encoded = binascii.b2a_qp(segment.encode("utf-8"), quotetabs=False, istext=True, header=False)
    lines = encoded.split(b"\n")
    # binascii can exceed 76 characters when it escapes trailing whitespace, so fold again;
    # the last line keeps room for the "=" of the soft break that may follow it.
    last = len(lines) - 1
    return b"\r\n".join(
        _fold(line, _QP_LINE if index == last else _QP_LINE + 1) for index, line in enumerate(lines)
    )


def qp_value(value: str) -> bytes:
    """QP-encode a link (printable ASCII) as whole lines joined by soft breaks."""
    return _fold(value.encode("ascii").replace(b"=", b"=3D"), _QP_LINE)


def _fold(line: bytes, last_limit: int) -> bytes:
    """Break an encoded line with soft breaks so no piece passes 76, never inside an escape."""
    if len(line) <= last_limit:
        return line
    pieces: list[bytes] = []
    start = 0
    while len(line) - start > last_limit:
        cut = start + _QP_LINE
        if line[cut - 2 : cut - 1] == b"=":
            cut -= 2
        elif line[cut - 1 : cut] == b"=":
            cut -= 1
        pieces.append(line[start:cut])
        start = cut
    pieces.append(line[start:])
    return b"=\r\n".join(pieces)
