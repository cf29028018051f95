"""What addresses a catalogue entry may hold, and which page an address names.

Apart from the catalogue's format (catalogue.py): the admin's source and topic forms ask the
same questions of an address typed into them, before any catalogue is built.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from shared.page_urls import NotAWebAddress, PageKey, carries_credentials, page_key

_ABSOLUTE_HTTP: Final = re.compile(r"^https?://[^/\s]+")
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")
# Why an address cannot be in the catalogue, by the key the admin's forms word it with.
ADDRESS_FAULTS: Final = {
    "bad_url": "holds an invisible format character (a direction override, a zero-width "
    "space) that shows it as another address than it is: write it without",
    "url_credentials": "holds a user name or password (user:password@): leave them out, or "
    "they stand in alerts, logs and the audit log",
}


def is_absolute_http(value: str) -> bool:
    """Tell whether a text is an absolute http(s) address without control characters."""
    # A NUL or line break fits no database text column (PostgreSQL refuses it) nor a request.
    return _ABSOLUTE_HTTP.match(value) is not None and not _CONTROL.search(value)


def address_fault(url: str) -> str | None:
    """Return why an address cannot be in the catalogue though it may look right ("bad_url":
    an invisible format character; "url_credentials": a name or password), or None."""
    if any(unicodedata.category(c) == "Cf" for c in url):
        return "bad_url"
    if carries_credentials(url):
        return "url_credentials"
    return None


def page_of(url: str) -> PageKey | str:
    """Return what names the page at an address, whatever its spelling; the address itself if
    it names none. Two sources of one page would poll it twice and mail each change twice."""
    try:
        return page_key(url)
    except NotAWebAddress:
        return url
