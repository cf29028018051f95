"""The sites a publisher token may push and ask checks for (ADR 0024).

A site is a host name, with a port only when it is not the web's default: what an operator
types (``https://www.fhi.no``, ``www.fhi.no``, ``HTTPS://WWW.FHI.NO./``) is kept as one
spelling (``www.fhi.no``), and an address is within it when its host is that host. Scheme is
left out: varsel takes ``http://`` and ``https://`` of one host for the same page
(``shared.page_urls.page_key``), and whoever runs a host name runs both. A subdomain is a site
of its own: a municipality's token for ``www.bergen.kommune.no`` opens nothing of
``innsyn.bergen.kommune.no`` unless that is named too.

Pure: no database, no network. An address is judged as written, never where it redirects to,
since a redirect is set by whoever runs the site it starts on.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from typing import Final
from urllib.parse import urlsplit

import idna

from shared.catalogue_addresses import NUMERIC_LAST_LABEL, is_ipv4_in_full

SITES_LIMIT: Final = 50
SITE_CHARS: Final = 300
# The port each scheme means when none is written: ``http://h:443`` is another site than
# ``https://h``, as ``https://h:80`` is another than ``http://h`` (ADR 0024).
SCHEME_PORTS: Final[dict[str, int]] = {"http": 80, "https": 443}
DEFAULT_PORTS: Final = frozenset(SCHEME_PORTS.values())
PORT_RANGE: Final = range(1, 65536)
_SEPARATORS: Final = re.compile(r"[\s,;]+")


class SiteRefused(ValueError):
    """A typed site that names no host alone; ``reason`` keys its wording, ``typed`` is it."""

    def __init__(self, reason: str, typed: str) -> None:
        super().__init__(reason, typed)
        self.reason = reason
        self.typed = typed


def _ip(host: str, typed: str) -> str:
    """Return an IP literal as kept, IPv4 only as written canonically; raise SiteRefused."""
    if host.startswith("["):
        # Any spelling of an IPv6 address is one address: kept compressed, as RFC 5952 writes
        # it, so ``[0:0::1]`` and ``[::1]`` are one site. A zone (``%eth0``) names no host.
        try:
            address = ipaddress.IPv6Address(host[1:-1])
        except ValueError as exc:
            raise SiteRefused("site_host", typed) from exc
        if address.scope_id is not None:
            raise SiteRefused("site_host", typed)
        return f"[{address.compressed}]"
    # IPv4 only as four decimal numbers: any other spelling is refused, not guessed at.
    if is_ipv4_in_full(host):
        return host
    raise SiteRefused("site_host", typed)


def _host(typed_host: str, typed: str) -> str:
    """Return a host as kept: lower case, no final dot, a Unicode name in Unicode."""
    host = typed_host.lower()
    host = host[:-1] if host.endswith(".") else host
    # What a browser reads as an IPv4 address (WHATWG URL: a last label of digits, or 0x…):
    # ``1.2.3``, ``2130706433`` and ``0x7f.1`` all name one.
    if host.startswith("[") or NUMERIC_LAST_LABEL.search(host):
        return _ip(host, typed)
    try:
        # The idna library's UTS 46 with STD3 rules is the host name rule in full, not one by
        # hand: labels of 1-63 letters, digits and hyphens, none first or last, 253 in all
        # (RFC 1123, RFC 5891). It folds case and width as a browser does, and an A-label
        # (xn--) comes back as the name people read: «bærum.kommune.no» and
        # «xn--brum-voa.kommune.no» are one site. ``cms_01`` is refused: ``_`` is in no host name.
        return str(idna.decode(idna.encode(host, uts46=True, std3_rules=True)))
    except idna.IDNAError as exc:
        raise SiteRefused("site_host", typed) from exc


def site(typed: str) -> str:
    """Return a typed site as kept (``www.fhi.no``, ``intranett:8443``); raise SiteRefused."""
    typed = typed.strip()
    if len(typed) > SITE_CHARS:
        raise SiteRefused("site_host", typed[:SITE_CHARS] + "…")
    if " " in typed or not typed.isprintable():
        # urlsplit drops a tab or line break (``exa\tmple.no`` was kept as ``example.no``),
        # and a space in a host name is a typo, never a site.
        raise SiteRefused("site_host", typed)
    if "*" in typed:
        raise SiteRefused("site_wildcard", typed)
    try:
        parts = urlsplit(typed if "://" in typed else f"https://{typed}")
        port = parts.port
    except ValueError as exc:
        raise SiteRefused("site_host", typed) from exc
    scheme = parts.scheme.lower()
    if scheme not in SCHEME_PORTS:
        raise SiteRefused("site_scheme", typed)
    if "@" in parts.netloc:
        raise SiteRefused("site_userinfo", typed)
    if parts.path not in ("", "/") or parts.query or parts.fragment or typed.endswith(("?", "#")):
        raise SiteRefused("site_path", typed)
    if not parts.hostname or (port is not None and port not in PORT_RANGE):
        raise SiteRefused("site_host", typed)
    host = _host(f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname, typed)
    # A scheme written decides the default port; a site typed without one (``www.fhi.no:80``)
    # says no scheme, and either default is the web's own site.
    defaults = {SCHEME_PORTS[scheme]} if "://" in typed else DEFAULT_PORTS
    return host if port is None or port in defaults else f"{host}:{port}"


def site_of(address: str) -> str | None:
    """Return the site an address is on, spelt as a token's sites are; None if it names none."""
    try:
        parts = urlsplit(address)
        # A user name in an address says who signs in, not which site it is.
        host_and_port = parts.netloc.rpartition("@")[2]
        return site(f"{parts.scheme}://{host_and_port}") if parts.hostname else None
    except (SiteRefused, ValueError):
        return None


def sites(typed: str) -> tuple[str, ...]:
    """Return the sites typed into a form (one a line, or apart by spaces or commas), each
    once, in the order typed; raise SiteRefused for the first that names no host alone, and
    with ``site_none`` when none is typed or ``site_many`` past the limit."""
    return each_site(t for t in _SEPARATORS.split(typed) if t)


def each_site(typed: Iterable[str]) -> tuple[str, ...]:
    """Return sites given one by one (a command's ``--site`` options) as ``sites`` does.

    Each is one site, whole: ``--site "www.exa mple.no"`` is refused, where splitting it at
    the space kept two hosts nobody meant, ``www.exa`` and ``mple.no``.
    """
    found = tuple(dict.fromkeys(site(t) for t in typed))
    if not found:
        raise SiteRefused("site_none", "")
    if len(found) > SITES_LIMIT:
        raise SiteRefused("site_many", "")
    return found


def _key(host: str) -> str:
    """Return a host as compared: its ASCII (A-label) spelling."""
    host = host.lower().removesuffix(".")
    if host.isascii():
        return host
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError:
        return host  # no name any site is kept as, so it matches none


def _compared(one: str) -> tuple[str, str]:
    """Return a kept site as compared: its host's ASCII spelling, and its port or ''."""
    host, colon, port = one.rpartition(":") if not one.endswith("]") else ("", "", "")
    if not colon or not port.isdigit():
        host, port = one, ""
    return _key(host), port


def covers(kept: Sequence[str] | None, address: str) -> bool:
    """Tell whether a token's sites hold the site of an address; None is every site (a token
    issued before tokens had sites, ADR 0024)."""
    if kept is None:
        return True
    # The address's own site, by the rules a typed one is kept by: its scheme's default port
    # is the host alone, any other port (``http://h:443``) is another site.
    found = site_of(address)
    return found is not None and _compared(found) in {_compared(one) for one in kept}


def stored(kept: Iterable[str]) -> str:
    """Return sites as the token's row keeps them: one a line."""
    return "\n".join(kept)


def read(column: str | None) -> tuple[str, ...] | None:
    """Return a token's sites from its row; None for a token issued before sites."""
    return None if column is None else tuple(column.split("\n"))
