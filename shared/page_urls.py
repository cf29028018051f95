"""The web address of a page as varsel stores it, and which spellings name the same page.

A CMS may send ``HTTPS://WWW.Example.org/report``; scheme and host are case-blind (RFC 3986,
3.1 and 3.2.2), so varsel stores ``https://www.example.org/report``, the spelling the feed, the
mails and the catalogue all expect. Path and query are case-sensitive on most servers and are
kept as given.

Which page an address names is a looser question (``page_key``): a push for a page in review
must find that page's source whatever its spelling, or it is mailed unreviewed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final
from urllib.parse import SplitResult, quote, unquote, urlsplit, urlunsplit

import idna
from courlan import normalize_url

WEB_SCHEMES = ("http", "https")
# Percent-encode everything but RFC 3986's reserved and unreserved characters (and "%", so an
# already encoded address stays as it is): spaces, quotes, angle brackets and non-ASCII letters.
_URL_SAFE: Final = "/?#[]@!$&'()*+,;=:%~-._"


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


# A session id a server writes into its links (for a visitor without cookies, or for every
# request): a new one at each reading, where the page linked to is the same. The names in use:
# Java's JSESSIONID, PHP's PHPSESSID, classic ASP's ASPSESSIONIDxxxxxxxx, osCommerce's osCsid,
# «sessid», «sessionid», «session_id» and «sid» (courlan's trackers hold only «session…»). A
# «sid» that is a number is some sites' item number («?sid=1234»), and is kept: a session id
# is a random token.
_SESSION_NAMES: Final = re.compile(
    r"(?:jsessionid|phpsessid|aspsessionid[a-z]*|oscsid|sessid|session_?id|sid)",
    re.IGNORECASE,
)
# Java puts it in the path as a parameter of the last segment («/sak/1;jsessionid=A1B2»), and
# ASP.NET without cookies as a segment of its own («/(S(lit3py55t21z5v55vlm25s55))/sak.aspx»,
# with other letters beside the S: «(A(…)S(…)F(…))»).
_PATH_SESSION: Final = re.compile(r";jsessionid=[^/?#;]*", re.IGNORECASE)
_COOKIELESS_SEGMENT: Final = re.compile(r"/\((?:[A-Z]\([^()/]*\))+\)(?=/|$)")


def without_session(url: str) -> str:
    """Return an address (absolute or relative) without the session ids its server wrote into
    it, the rest exactly as given: two links that differ only by them lead to the same page."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url  # no address at all: nothing in it is a session
    path = _COOKIELESS_SEGMENT.sub("", _PATH_SESSION.sub("", parts.path))
    query = "&".join(pair for pair in parts.query.split("&") if not _names_session(pair))
    if (path, query) == (parts.path, parts.query):
        return url
    return urlunsplit(parts._replace(path=path, query=query))


def _names_session(pair: str) -> bool:
    name, _, value = pair.partition("=")
    name = unquote(name)
    if not _SESSION_NAMES.fullmatch(name):
        return False
    return not (name.lower() == "sid" and value.isdigit())


def carries_credentials(url: str) -> bool:
    """Tell whether an address holds a name or password before its host (``user:pw@host``)."""
    try:
        return urlsplit(url).username is not None
    except ValueError:
        return False  # no address at all: the forms' other checks say so


def without_credentials(url: str) -> str:
    """Return an address without the name and password before its host, to name it safely."""
    if not carries_credentials(url):
        return url
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


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


def percent_encoded(url: str) -> str:
    """Return an address with its path, query and fragment percent-encoded, the rest as given.

    A space, a double quote or an angle bracket ends a link in a mail's text and is no valid
    href in a mail or a feed; a CMS writes them all the same (``/rapport 2026.pdf``). Encoded
    once, the same way wherever an address comes in (a push, a feed's link, a page's), one page
    has one spelling, and the digest finds a page's changes by it.
    """
    parts = urlsplit(url)
    return urlunsplit(
        parts._replace(
            path=quote(parts.path, safe=_URL_SAFE),
            query=quote(parts.query, safe=_URL_SAFE),
            fragment=quote(parts.fragment, safe=_URL_SAFE),
        )
    )


@dataclass(frozen=True, slots=True)
class PageKey:
    """What names a page: host, port and path (``place``), and the query that is left."""

    place: str
    query: str


def page_key(url: str) -> PageKey:
    """Return what names the page at an address, whatever spelling a CMS chose.

    courlan (trafilatura's URL cleaner, kept up with the trackers it knows) drops a default
    port and tracking parameters (``utm_*``, ``fbclid``, …) and sorts the rest of the query,
    after the session ids its server wrote into it are dropped (``without_session``);
    a fragment is a place on the page, a trailing slash the same page on any CMS we know, and
    http and https the same page on a site that serves both (the safe side: a review source's
    page found under either is held).
    """
    try:
        parts = urlsplit(normalize_url(without_session(normal_form(url)), trailing_slash=False))
    except ValueError as exc:  # courlan's own refusals are ValueErrors too
        raise NotAWebAddress(f"not a web address: {exc}") from exc
    return PageKey(f"{parts.netloc}{parts.path.rstrip('/')}", parts.query)


def names_page(address: str, page: str) -> bool:
    """Tell whether an address names a watched page: same place, and the page's query if any.

    A watched address without a query is the page whatever query a push adds (display options,
    trackers courlan does not know); one with a query (``?id=3``) is only that query's page.
    """
    wanted, given = page_key(page), page_key(address)
    return wanted.place == given.place and wanted.query in ("", given.query)


def names_exactly(address: str, page: str) -> bool:
    """Tell whether an address is a page's own, its query too (not merely the page it names).

    An address that is no web address names nothing exactly.
    """
    try:
        return page_key(address) == page_key(page)
    except NotAWebAddress:
        return False
