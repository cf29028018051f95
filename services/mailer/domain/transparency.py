"""A rendered mail's pieces joined in DATA's transparent form (RFC 5321, 4.5.2).

On the wire, a line of a mail's content that starts with "." gets a second one, and every line
ends in CRLF. Done on the finished message, that is three passes to check the line ends and
one to double the dots, over every byte of every mail: for an 81 KiB digest, half of the
mailer's CPU. A rendered mail is made of large pieces shared by every recipient and small values
of one person; the shared pieces are checked and stuffed once, when the mail is rendered, and
only the joins and the small values are looked at per person.
"""

from __future__ import annotations


def crlf_only(piece: bytes) -> bool:
    """Return whether every line end in the piece is a whole CRLF (none bare, none cut)."""
    ends = piece.count(b"\r\n")
    return piece.count(b"\r") == ends == piece.count(b"\n")


def stuffed_inside(piece: bytes) -> bytes:
    """Double the dots that start a line after a CRLF within the piece (not its first byte)."""
    return piece.replace(b"\r\n.", b"\r\n..")
