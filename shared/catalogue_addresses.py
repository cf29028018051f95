"""What addresses a catalogue entry may hold, and which page an address names.

Apart from the catalogue's format (catalogue.py): the admin's source and topic forms ask the
same questions of an address typed into them, before any catalogue is built.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final
from urllib.parse import urlsplit

from shared.page_urls import NotAWebAddress, PageKey, carries_credentials, page_key

_ABSOLUTE_HTTP: Final = re.compile(r"^https?://[^/\s]+")
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")
_INVISIBLE: Final = (
    "holds an invisible format character (a direction override, a zero-width space) that shows "
    "it as another address than it is: write it without"
)
_CREDENTIALS: Final = (
    "holds a user name or password (user:password@): leave them out, or they stand in alerts, "
    "logs and the audit log"
)
_PORT: Final = (
    "has a port no connection can use (a port is a number from 1 to 65535): write the right "
    "one, or none for the usual port"
)


def is_absolute_http(value: str) -> bool:
    """Tell whether a text is an absolute http(s) address without control characters."""
    # A NUL or line break fits no database text column (PostgreSQL refuses it) nor a request.
    return _ABSOLUTE_HTTP.match(value) is not None and not _CONTROL.search(value)


def has_usable_port(url: str) -> bool:
    """Tell whether an address's port, if it names one, is one a connection can use: a port
    beyond 65535, 0 or no number fails every fetch («invalid URL»)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return True  # no address at all: the other checks say so
    try:
        port = parts.port
    except ValueError:
        return False
    return port != 0


def _fault(url: str) -> tuple[str, str] | None:
    """Return why an address cannot be in the catalogue: the key the admin's forms word it
    with, and the words a file's check and the APIs give; None if it can be."""
    if any(unicodedata.category(c) == "Cf" for c in url):
        return "bad_url", _INVISIBLE
    if carries_credentials(url):
        return "url_credentials", _CREDENTIALS
    if not has_usable_port(url):
        return "bad_url", _PORT
    return None


def address_fault(url: str) -> str | None:
    """Return why an address cannot be in the catalogue though it may look right, by the key
    the admin's forms word it with ("bad_url": an invisible format character or a port no
    connection can use; "url_credentials": a name or password), or None."""
    found = _fault(url)
    return found[0] if found else None


def address_refusal(url: str) -> str | None:
    """Return why an address cannot be in the catalogue, as a file's check and the APIs say it
    (never repeating a password the address holds), or None."""
    found = _fault(url)
    return found[1] if found else None


def page_of(url: str) -> PageKey | str:
    """Return what names the page at an address, whatever its spelling; the address itself if
    it names none. Two sources of one page would poll it twice and mail each change twice."""
    try:
        return page_key(url)
    except NotAWebAddress:
        return url
