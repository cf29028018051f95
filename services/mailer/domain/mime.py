"""Build a message's bytes once, then personalise a copy per recipient in a few microseconds.

A mail is rendered once with random sentinel strings where the per-recipient links go. The
bodies are encoded quoted-printable segment by segment around the sentinels, and every slot
sits between two soft line breaks, so a recipient's link can be dropped in (QP-encoded and
wrapped) without re-encoding or re-wrapping anything else. Personalising is then a join of
precomputed byte strings with a handful of small values: To, Date, Message-ID, and the links.
"""

from __future__ import annotations

import email.policy
import functools
import html
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from email.header import Header
from email.utils import format_datetime
from typing import Final, Protocol
from urllib.parse import urlsplit

from services.mailer.domain.quoted_printable import qp_pieces, qp_value
from services.mailer.domain.text import one_line
from services.mailer.domain.transparency import crlf_only, stuffed_inside
from services.mailer.domain.wire_address import header_address

_POLICY: Final = email.policy.SMTP
_SUBJECT_MAX: Final = 250

_MESSAGE_ID: Final = re.compile(r"<[!-;=?-~]+@[!-;=?-~]+>")
# Printable ASCII without space, double quote or angle brackets: safe in a header and an href.
_LINK: Final = re.compile(r"https?://[!#-;=?-~]{1,900}")
_LIST_ID: Final = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+")
_LOOPBACK: Final = frozenset({"localhost", "127.0.0.1", "[::1]"})

LINK_NAMES: Final = ("manage_url", "unsubscribe_url")


@dataclass(frozen=True, slots=True)
class RecipientLinks:
    """The links that differ per recipient; tokens in them are the recipient's own."""

    manage_url: str
    unsubscribe_url: str  # the page that ends all alerts and deletes the address (visible)
    one_click_url: str  # RFC 8058 POST target named in List-Unsubscribe


class MailTemplate(Protocol):
    """A mail rendered once that can be personalised cheaply for each recipient."""

    @property
    def kind(self) -> str: ...

    @property
    def language(self) -> str: ...

    def personalise(
        self, *, to: str, links: RecipientLinks | None, message_id: str, date: datetime
    ) -> bytes: ...


@dataclass(frozen=True, slots=True)
class Sentinels:
    """Random stand-ins rendered where per-recipient links go; unguessable by page authors."""

    nonce: str

    @classmethod
    def new(cls) -> Sentinels:
        """Return sentinels with a fresh random nonce."""
        return cls(secrets.token_hex(10))

    def marker(self, name: str) -> str:
        """Return the stand-in for link ``name``."""
        return f"VARSEL{self.nonce}{name.replace('_', '').upper()}X"

    def context(self) -> dict[str, str]:
        """Return ``{link name: stand-in}`` for the template context."""
        return {name: self.marker(name) for name in LINK_NAMES}

    def pattern(self) -> re.Pattern[str]:
        alternatives = "|".join(
            f"(?P<{name}>{re.escape(self.marker(name))})" for name in LINK_NAMES
        )
        return re.compile(alternatives)


class RenderedMail:
    """A complete message with holes for the recipient; see ``personalise``."""

    __slots__ = (
        "_line_starts",
        "_slots",
        "_statics",
        "_wire_end",
        "_wire_statics",
        "kind",
        "language",
        "list_mail",
        "subject",
    )

    def __init__(
        self,
        *,
        kind: str,
        language: str,
        subject: str,
        list_mail: bool,
        pieces: Sequence[bytes | str],
    ) -> None:
        self.kind = kind
        self.language = language
        self.subject = subject
        self.list_mail = list_mail
        statics: list[bytes] = [b""]
        slots: list[str] = []
        for piece in pieces:
            if isinstance(piece, bytes):
                statics[-1] += piece
            else:
                slots.append(piece)
                statics.append(b"")
        self._statics: tuple[bytes, ...] = tuple(statics)
        self._slots: tuple[str, ...] = tuple(slots)
        # The shared pieces in DATA's transparent form, made once (transparency.py); None if a
        # piece has a line end that is not CRLF (never ours): the sender then stuffs it all.
        # A value is never empty and never ends a line (see _values), so only what a static
        # ends decides whether the slot after it starts a line, and the mail's end needs a CRLF
        # only if its last static does not end with one.
        self._wire_statics: tuple[bytes, ...] | None = None
        self._line_starts = frozenset(
            index
            for index, static in enumerate(statics[:-1])
            if static.endswith(b"\r\n") or (index == 0 and not static)
        )
        self._wire_end = b"" if statics[-1].endswith(b"\r\n") else b"\r\n"
        if all(crlf_only(static) for static in statics):
            wire = [stuffed_inside(static) for static in statics]
            if wire[0][:1] == b".":
                wire[0] = b"." + wire[0]
            self._wire_statics = tuple(wire)

    def personalise(
        self, *, to: str, links: RecipientLinks | None, message_id: str, date: datetime
    ) -> bytes:
        """Return the full RFC 5322 message for one recipient, CRLF line endings."""
        return b"".join(self._pieces(self._statics, self._values(to, links, message_id, date)))

    def personalise_for_smtp(
        self, *, to: str, links: RecipientLinks | None, message_id: str, date: datetime
    ) -> tuple[bytes, bytes | None]:
        """Return ``personalise``'s message and the same in DATA's transparent form (leading
        dots doubled, ending in CRLF), or None for the latter if a piece's line ends are not
        all CRLF."""
        values = self._values(to, links, message_id, date)
        message = b"".join(self._pieces(self._statics, values))
        wire = self._wire_statics
        if wire is None:
            return message, None
        # The values are CRLF-only, never empty, and end no line (see _values): each is stuffed
        # inside and given a second dot where it starts a line, and the joins need no other
        # look (a whole-message check of every piece and join cost a twentieth of a mail).
        out = [wire[0]]
        line_starts = self._line_starts
        for index, slot in enumerate(self._slots):
            value = values[slot]
            if b"\r\n." in value:
                value = value.replace(b"\r\n.", b"\r\n..")
            if value[:1] == b"." and index in line_starts:
                out.append(b".")
            out.append(value)
            out.append(wire[index + 1])
        out.append(self._wire_end)
        return message, b"".join(out)

    def _values(
        self, to: str, links: RecipientLinks | None, message_id: str, date: datetime
    ) -> dict[str, bytes]:
        """Return the recipient's values by slot: each checked, printable ASCII (UTF-8 for an
        address that needs it), never empty, and with no line end but a link's soft breaks."""
        if date.tzinfo is None or date.utcoffset() is None:
            raise ValueError("date must be timezone-aware")
        values: dict[str, bytes] = {
            "to": header_address(to),
            "date": _date_bytes(_to_the_second(date)),
            "message_id": _message_id_bytes(message_id),
        }
        if self.list_mail:
            if links is None:
                raise ValueError(f"a {self.kind} mail needs the recipient's links")
            values["one_click"] = _one_click_bytes(links.one_click_url)
            for name in LINK_NAMES:
                url = getattr(links, name)
                if not _LINK.fullmatch(url):
                    raise ValueError(f"{name} must be an http(s) URL without spaces or quotes")
                text = values[f"{name}/text"] = qp_value(url)
                # Only "&" and "'" of what _LINK lets through change in HTML; tokens have neither.
                escaped = "&" in url or "'" in url
                values[f"{name}/html"] = qp_value(html.escape(url, quote=True)) if escaped else text
        return values

    def _pieces(self, statics: tuple[bytes, ...], values: dict[str, bytes]) -> list[bytes]:
        """Return the shared pieces with the recipient's values between them, in order."""
        out = [statics[0]]
        for index, slot in enumerate(self._slots, start=1):
            out.append(values[slot])
            out.append(statics[index])
        return out


def assemble(
    *,
    kind: str,
    language: str,
    subject: str,
    text: str,
    html_body: str,
    sender: str,
    list_id: str | None,
    sentinels: Sentinels,
) -> RenderedMail:
    """Build a ``RenderedMail`` from rendered parts; ``list_id`` set means an alert or digest."""
    subject = one_line(subject, max_length=_SUBJECT_MAX)
    if not subject:
        raise ValueError("subject is empty")
    pattern = sentinels.pattern()
    if pattern.search(subject):
        raise ValueError("links cannot go in the subject")
    if list_id is None and (pattern.search(text) or pattern.search(html_body)):
        raise ValueError("only alerts and digests carry per-recipient links")
    boundary = f"=_varsel_{secrets.token_hex(12)}"
    pieces: list[bytes | str] = [
        _header("From", _checked_sender(sender)),
        b"To: ",
        "to",
        b"\r\n",
        f"Subject: {subject_value(subject)}\r\n".encode("ascii"),
        b"Date: ",
        "date",
        b"\r\nMessage-ID: ",
        "message_id",
        b"\r\n",
    ]
    if list_id is not None:
        pieces += [
            f"List-Id: <{_checked_list_id(list_id)}>\r\n".encode("ascii"),
            b"List-Unsubscribe: <",
            "one_click",
            b">\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",
        ]
    pieces.append(
        b"Auto-Submitted: auto-generated\r\n"
        b"X-Auto-Response-Suppress: OOF, AutoReply\r\n"
        b"MIME-Version: 1.0\r\n"
        + f"Content-Language: {language}\r\n".encode("ascii")
        + f'Content-Type: multipart/alternative;\r\n boundary="{boundary}"\r\n\r\n'.encode("ascii")
    )
    for subtype, body in (("plain", text), ("html", html_body)):
        pieces.append(
            f"--{boundary}\r\n"
            f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n".encode("ascii")
        )
        pieces += qp_pieces(body, "text" if subtype == "plain" else "html", pattern)
        pieces.append(b"\r\n")
    pieces.append(f"--{boundary}--\r\n".encode("ascii"))
    return RenderedMail(
        kind=kind, language=language, subject=subject, list_mail=list_id is not None, pieces=pieces
    )


def _header(name: str, value: str) -> bytes:
    # The header registry folds and RFC 2047-encodes non-ASCII words; values are one line.
    folded: str = _POLICY.header_factory(name, value).fold(policy=_POLICY)
    return folded.encode("ascii")


def subject_value(subject: str) -> str:
    """Return a one-line subject folded and RFC 2047-encoded, to write after ``Subject: ``."""
    if "=?" not in subject:
        return _header("Subject", subject).decode("ascii")[len("Subject: ") : -2]
    # The header registry reads encoded words in the text it is given, as in a received mail:
    # a page titled "=?utf-8?q?=0D=0AReply-To:...?=" would put a line break, a header and a
    # body of its own into every alert. Text that holds one is encoded whole instead, so a
    # mail program shows it exactly as the page wrote it.
    return Header(subject, "utf-8", header_name="Subject").encode(linesep="\r\n")


def _checked_sender(sender: str) -> str:
    if "\r" in sender or "\n" in sender:
        raise ValueError("sender contains a line break")
    header = email.policy.default.header_factory("From", sender)
    if header.defects or len(header.addresses) != 1:
        raise ValueError(f"sender must be exactly one valid address, got {sender!r}")
    return sender


def _checked_list_id(list_id: str) -> str:
    list_id = list_id.strip().removeprefix("<").removesuffix(">")
    if not _LIST_ID.fullmatch(list_id):
        raise ValueError(f"list_id must look like a domain name (RFC 2919), got {list_id!r}")
    return list_id


# What the Date header shows of a time, down to the second: year, month, day, hour, minute,
# second, fold and zone. Cheaper to take than ``replace(microsecond=0)``, and a cache key.
_Second = tuple[int, int, int, int, int, int, int, tzinfo | None]


def _to_the_second(date: datetime) -> _Second:
    """Return what the Date header shows of a time."""
    return (
        date.year,
        date.month,
        date.day,
        date.hour,
        date.minute,
        date.second,
        date.fold,
        date.tzinfo,
    )


@functools.lru_cache(maxsize=64)
def _date_bytes(second: _Second) -> bytes:
    # Formatting costs more than the rest of personalising; a fan-out shares each second.
    year, month, day, hour, minute, whole, fold, zone = second
    shown = datetime(year, month, day, hour, minute, whole, tzinfo=zone, fold=fold)
    return format_datetime(shown).encode("ascii")


def _message_id_bytes(message_id: str) -> bytes:
    if not message_id.startswith("<"):
        message_id = f"<{message_id}>"
    if not _MESSAGE_ID.fullmatch(message_id):
        raise ValueError("message_id must look like <unique@domain>")
    return message_id.encode("ascii")


def _one_click_bytes(url: str) -> bytes:
    if not _LINK.fullmatch(url):
        raise ValueError("one_click_url must be an http(s) URL without spaces or quotes")
    if not url.startswith("https://") and urlsplit(url).hostname not in _LOOPBACK:
        # RFC 8058 requires HTTPS; plain HTTP is tolerated only for a developer's own machine.
        raise ValueError("one_click_url must use https")
    return url.encode("ascii")
