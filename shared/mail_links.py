"""What a web address must be to stand as a link in a mail, and so what a site's address must be.

One rule for both: the mailer checks every link it puts in a mail with ``is_mail_safe``, and
builds its own links (confirm, manage, unsubscribe) by adding a path to VARSEL_BASE_URL. A base
address that start-up took but the mailer refused failed every mail for good while /readyz said
200; ``site_address`` refuses at start-up whatever would make the mailer refuse a link built on it.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import urlsplit

# An absolute http(s) URL of printable ASCII without spaces, quotes or angle brackets: safe
# as an href and as a line of its own in a text part. No "@" in the host: no user name.
_MAIL_SAFE: Final = re.compile(r"https?://[A-Za-z0-9.\-\[\]:]+(?:[/?#][!#-;=?-~]*)?")


def is_mail_safe(url: str) -> bool:
    """Tell whether ``url`` is an absolute http(s) URL safe to put in a mail as it is."""
    return _MAIL_SAFE.fullmatch(url) is not None


def site_address(value: str, example: str) -> str:
    """Return a site's address (links are built by adding a path to it) without its trailing
    slash, or raise ValueError saying what one looks like; ``example`` names a good one."""
    # The message never repeats the value: it may hold a user name and password.
    parts = urlsplit(value)
    scheme = parts.scheme.lower()
    # The scheme in lower case, as urlsplit reads it: "HTTPS://" is https to every check after.
    written = (scheme + value[len(scheme) :]).rstrip("/")
    try:
        port = parts.port
    except ValueError:  # not a number, or past 65535
        port = 0
    if (
        scheme not in {"http", "https"}
        or not parts.hostname
        or port == 0
        # A link adds its path after the address: after a query or fragment it leads nowhere.
        or "?" in value
        or "#" in value
        or not is_mail_safe(written)
    ):
        raise ValueError(
            f"must be an absolute http(s) URL such as {example}: printable ASCII (a host "
            "in IDNA form, xn--…), without spaces, user name, password, query or fragment, "
            "and a port, if any, from 1 to 65535"
        )
    return written
