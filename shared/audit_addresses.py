"""Where the admin audit log keeps what someone typed, no email address is kept.

An entry's target (a staff URL asked for, a publisher's refused push, a topic's address) and a
name tried at sign-in (sign_in_names.py) may hold an address a person typed: it would stay in
the log after that person is erased. ``redact`` finds addresses in running text, and so not
those a person may type into an address or a name: percent-encoded (``kari%40example.no``,
twice over as ``kari%2540example.no``), quoted (``"kari"@example.no``), at a host without a dot
(``kari@localhost``) or an address literal (``kari@[127.0.0.1]``).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final
from urllib.parse import unquote

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared.logs import AT_SIGNS, redact

ADDRESS: Final = "[address]"
_TARGET_PART: Final = re.compile(r"[^/?#&=;]+")
# Decoded at most this often: ``%252540`` is an at sign encoded three times.
_DECODINGS: Final = 3


def could_be_address(word: str) -> bool:
    """Tell whether a word, decoded as a browser or a server would, holds an at sign between
    two parts (read as NFKC folds it: ＠ is an at sign), or an address ``redact`` finds."""
    read = word
    for _ in range(_DECODINGS):
        decoded = unquote(read)
        if decoded == read:
            break
        read = decoded
    read = unicodedata.normalize("NFKC", read)
    local, at, domain = read.rpartition("@")
    return bool(at and local and domain) or redact(read) != read


def without_addresses(target: str) -> str:
    """Return a target (a path, a pushed address, a name) with each part of it that holds an
    email address, however spelt, as «[address]»."""
    # Each part alone: the log's pattern, run over a whole URL, takes ``//host/?epost=kari``
    # for an address's mailbox and leaves the rest.
    return _TARGET_PART.sub(
        lambda found: ADDRESS if could_be_address(found.group()) else found.group(), target
    )


_AUDIT = sa.table("admin_audit_log", sa.column("id"), sa.column("target"))
# What an address in a target holds in some spelling: an at sign, a look-alike or encoded.
_SIGNS: Final = (*AT_SIGNS, "%40", "%2540", "%252540", "%EF%BC%A0", "%ef%bc%a0")


def redact_audit_targets(bind: Connection) -> None:
    """Redact the targets of entries written before as ``without_addresses`` does now."""
    held = bind.execute(
        sa.select(_AUDIT.c.id, _AUDIT.c.target).where(
            sa.or_(*(_AUDIT.c.target.contains(sign, autoescape=True) for sign in _SIGNS))
        )
    ).all()
    for entry_id, target in held:
        if (redacted := without_addresses(target)) != target:
            bind.execute(sa.update(_AUDIT).where(_AUDIT.c.id == entry_id).values(target=redacted))
