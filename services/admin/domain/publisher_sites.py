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

import re
from collections.abc import Iterable, Sequence
from typing import Final
from urllib.parse import urlsplit

import idna

SITES_LIMIT: Final = 50
SITE_CHARS: Final = 300
DEFAULT_PORTS: Final = frozenset({80, 443})
# Hosts IDNA leaves alone: ASCII names (an intranet's ``cms_01`` too), IPv4 and bracketed IPv6.
_ASCII_HOST: Final = re.compile(r"^(\[[0-9a-f:.]+\]|[a-z0-9_-]+(\.[a-z0-9_-]+)*)$")
_SEPARATORS: Final = re.compile(r"[\s,;]+")


class SiteRefused(ValueError):
    """A typed site that names no host alone; ``reason`` keys its wording, ``typed`` is it."""

    def __init__(self, reason: str, typed: str) -> None:
        super().__init__(reason, typed)
        self.reason = reason
        self.typed = typed


def _host(typed_host: str, typed: str) -> str:
    """Return a host as kept: lower case, no final dot, a Unicode name in Unicode."""
    host = typed_host.lower()
    host = host[:-1] if host.endswith(".") else host
    if host.isascii() and not host.startswith("xn--") and ".xn--" not in host:
        if not _ASCII_HOST.match(host):
            raise SiteRefused("site_host", typed)
        return host
    try:
        # UTS 46 folds case and width as a browser does, and an A-label (xn--) comes back as
        # the name people read: «bærum.kommune.no» and «xn--brum-roa.kommune.no» are one site.
        return str(idna.decode(idna.encode(host, uts46=True)))
    except idna.IDNAError as exc:
        raise SiteRefused("site_host", typed) from exc


def site(typed: str) -> str:
    """Return a typed site as kept (``www.fhi.no``, ``intranett:8443``); raise SiteRefused."""
    typed = typed.strip()
    if len(typed) > SITE_CHARS:
        raise SiteRefused("site_host", typed[:SITE_CHARS] + "…")
    if "*" in typed:
        raise SiteRefused("site_wildcard", typed)
    try:
        parts = urlsplit(typed if "://" in typed else f"https://{typed}")
        port = parts.port
    except ValueError as exc:
        raise SiteRefused("site_host", typed) from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise SiteRefused("site_scheme", typed)
    if "@" in parts.netloc:
        raise SiteRefused("site_userinfo", typed)
    if parts.path not in ("", "/") or parts.query or parts.fragment or typed.endswith(("?", "#")):
        raise SiteRefused("site_path", typed)
    if not parts.hostname:
        raise SiteRefused("site_host", typed)
    host = _host(f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname, typed)
    return host if port is None or port in DEFAULT_PORTS else f"{host}:{port}"


def site_of(address: str) -> str | None:
    """Return the site an address is on, spelt as a token's sites are; None if it names none."""
    try:
        parts = urlsplit(address)
        return site(f"{parts.scheme}://{parts.netloc}") if parts.hostname else None
    except (SiteRefused, ValueError):
        return None


def sites(typed: str) -> tuple[str, ...]:
    """Return the sites typed into a form (one a line, or apart by spaces or commas), each
    once, in the order typed; raise SiteRefused for the first that names no host alone, and
    with ``site_none`` when none is typed or ``site_many`` past the limit."""
    found = tuple(dict.fromkeys(site(t) for t in _SEPARATORS.split(typed) if t))
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


def covers(kept: Sequence[str] | None, address: str) -> bool:
    """Tell whether a token's sites hold the host of an address; None is every site (a token
    issued before tokens had sites, ADR 0024)."""
    if kept is None:
        return True
    try:
        parts = urlsplit(address)
        port = parts.port
    except ValueError:
        return False
    if not parts.hostname:
        return False
    host = _key(f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname)
    for one in kept:
        kept_host, colon, kept_port = one.rpartition(":") if not one.endswith("]") else ("", "", "")
        if not colon or not kept_port.isdigit():
            kept_host, kept_port = one, ""
        if _key(kept_host) != host:
            continue
        if kept_port == "" and (port is None or port in DEFAULT_PORTS):
            return True
        if kept_port and port == int(kept_port):
            return True
    return False


def stored(kept: Iterable[str]) -> str:
    """Return sites as the token's row keeps them: one a line."""
    return "\n".join(kept)


def read(column: str | None) -> tuple[str, ...] | None:
    """Return a token's sites from its row; None for a token issued before sites."""
    return None if column is None else tuple(column.split("\n"))
