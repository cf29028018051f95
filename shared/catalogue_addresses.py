"""What addresses a catalogue entry may hold, and which page an address names.

Apart from the catalogue's format (catalogue.py): the admin's source and topic forms ask the
same questions of an address typed into them, before any catalogue is built.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from typing import Final
from urllib.parse import urlsplit

import idna

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
_HOST: Final = (
    "names no host a request can reach (a host name is labels of letters, digits and hyphens "
    "between single dots; an IP address is written in full, as 192.0.2.10 or [2001:db8::1])"
)
# A label of an ASCII host: letters, digits, hyphens, and the underscore that intranets use
# (page_urls keeps those as they are); 1 to 63 characters, as DNS takes them.
_ASCII_LABEL: Final = re.compile(r"[A-Za-z0-9_-]{1,63}")
# What a resolver reads as an IPv4 address (a last label of digits, or 0x…): ``127.1``,
# ``2130706433`` and ``0x7f000001`` all name one, each read alike only as four decimals.
NUMERIC_LAST_LABEL: Final = re.compile(r"(^|\.)(\d+|0x[0-9a-f]*)$", re.IGNORECASE)
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


def has_reachable_host(url: str) -> bool:
    """Tell whether an address's host is one a request can reach: a host name DNS can hold,
    or an IP address written in full. ``http://[::1/``, ``http://a..b/`` and ``http://exa
    mple.no/`` failed every poll («invalid URL», «not a valid host name»), and an IPv4 address
    spelt otherwise (``http://127.1/``) is read differently by different resolvers."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False  # an unclosed [ or a bracket that holds no IPv6 address
    if not host:
        return False
    if ":" in host:
        try:
            ipaddress.IPv6Address(host)  # with a zone («%eth0»), a link-local one is reached
        except ValueError:
            return False
        return True
    name = host
    if not name.isascii():
        try:
            # As page_urls maps it, first: «127。1» (an ideographic full stop) is 127.1.
            name = idna.encode(name, uts46=True).decode("ascii")
        except idna.IDNAError:
            return False
    name = name.removesuffix(".")
    if NUMERIC_LAST_LABEL.search(name):
        return is_ipv4_in_full(name)
    labels = name.split(".")
    return len(name) <= 253 and all(_ASCII_LABEL.fullmatch(label) for label in labels)


def is_ipv4_in_full(name: str) -> bool:
    """Tell whether a host is an IPv4 address as four decimal numbers without leading zeros,
    the one spelling every resolver reads alike (``010`` is octal to some, ``1.2.3`` 1.2.0.3)."""
    try:
        return str(ipaddress.IPv4Address(name)) == name
    except ValueError:
        return False


def _fault(url: str) -> tuple[str, str] | None:
    """Return why an address cannot be in the catalogue: the key the admin's forms word it
    with, and the words a file's check and the APIs give; None if it can be."""
    if any(unicodedata.category(c) == "Cf" for c in url):
        return "bad_url", _INVISIBLE
    if carries_credentials(url):
        return "url_credentials", _CREDENTIALS
    if not has_usable_port(url):
        return "bad_url", _PORT
    # Of a web address only (in any case: ``HTTPS://`` is lowered where it is kept); a
    # relative one is refused apart, in words of its own.
    if url[:8].lower().startswith(("http://", "https://")) and not has_reachable_host(url):
        return "bad_host", _HOST
    return None


def address_fault(url: str) -> str | None:
    """Return why an address cannot be in the catalogue though it may look right, by the key
    the admin's forms word it with ("bad_url": an invisible format character or a port no
    connection can use; "bad_host": a host no request can reach; "url_credentials": a name
    or password), or None."""
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
