"""The web address of a page as varsel stores it: one spelling for the case-blind parts.

A CMS may send ``HTTPS://WWW.Example.org/report``; scheme and host are case-blind (RFC 3986,
3.1 and 3.2.2), so varsel stores ``https://www.example.org/report``, the spelling the feed, the
mails and the catalogue all expect. Path and query are case-sensitive on most servers and are
kept as given.
"""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit, urlunsplit

import idna

WEB_SCHEMES = ("http", "https")


class NotAWebAddress(ValueError):
    """The text is no absolute http or https address; the message says why."""


def _host(parts: SplitResult) -> str:
    """Return the host lower-cased; a non-ASCII one mapped as IDNA (UTS 46) maps it."""
    host = parts.hostname or ""
    if host.isascii():
        # An ASCII host (a name, an IPv4 or IPv6 address, or an IDNA A-label) needs only its
        # case folded; IDNA would refuse names that real intranets use (an underscore).
        return f"[{host}]" if ":" in host else host
    try:
        # UTS 46 folds case and width as a browser does (``ＦＨＩ.no`` is ``fhi.no``); the
        # host stays readable (Unicode) in feeds, and the mailer encodes it for mail.
        return str(idna.decode(idna.encode(host, uts46=True)))
    except idna.IDNAError as exc:
        raise NotAWebAddress(f"the host {host!r} is no valid domain name: {exc}") from exc


def normal_form(url: str) -> str:
    """Return an http(s) address with scheme and host lower-cased, the rest as given."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise NotAWebAddress(f"not a web address: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in WEB_SCHEMES or not parts.hostname:
        raise NotAWebAddress("must be an absolute http or https address")
    user, at, _ = parts.netloc.rpartition("@")
    netloc = f"{user}{at}{_host(parts)}{'' if port is None else f':{port}'}"
    return urlunsplit(parts._replace(scheme=scheme, netloc=netloc))
