"""Which addresses the watcher must never fetch from, judged from the address as written.

The watcher's guard (services/watcher/adapters/address_guard.py) applies these where it
connects; the admin's source form, ``varsel catalogue apply`` and ``varsel check-config`` ask
the same question before a source is saved, so that none of them takes an address every poll
of which would be refused. Only what the address itself says can be judged there: an IP
address written out, or «localhost». A name that resolves to a private address is refused by
the watcher when it connects (a lookup made earlier could be answered otherwise by then).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import Final
from urllib.parse import urlsplit

from shared.ip_addresses import carried_ipv4

REFUSED: Final = (
    "it resolves to a private, loopback or link-local address "
    "(set VARSEL_ALLOW_PRIVATE_ADDRESSES=true to allow)"
)

# Carrier-grade NAT's shared address space (RFC 6598): inside a provider's network, and where
# some clouds answer for their metadata service (100.100.100.200). Python calls it neither
# private nor global.
_SHARED: Final = ipaddress.IPv4Network("100.64.0.0/10")
# Names that are loopback wherever they are looked up (RFC 6761): the watcher's resolver finds
# them at 127.0.0.1 or ::1 and refuses them, so they are judged without a lookup.
_LOCALHOST: Final = re.compile(r"(?:.+\.)?localhost\.?", re.IGNORECASE)


def forbidden_address(address: str) -> bool:
    """Tell whether an address is one a public-web watcher must never connect to."""
    return _forbidden(ipaddress.ip_address(address))


def forbidden_literal(host: str) -> bool:
    """Tell whether a URL's host is such an address written out; a name is not (see above)."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return _forbidden(ip)


def _forbidden(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv6 address that carries an IPv4 one reaches what that one names.
        carried = carried_ipv4(ip)
        if carried is not None:
            return _forbidden(carried)
        if ip.is_site_local:
            return True
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or ip in _SHARED
    )


def refused_address(url: str, *, allow_private: bool) -> str | None:
    """Return why every poll of an address would be refused before it is fetched: an address
    on a private, loopback or link-local network written out, or «localhost» (RFC 6761), while
    VARSEL_ALLOW_PRIVATE_ADDRESSES is off. None for any other address (a name is checked where
    the connection resolves it)."""
    if allow_private:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    if host is None or not (forbidden_literal(host) or _LOCALHOST.fullmatch(host)):
        return None
    return f"refused {host}: {REFUSED}"


def refused_sources(urls: Iterable[str], *, allow_private: bool) -> list[str]:
    """Return a line for each source address every poll of which would be refused, saying why."""
    return [
        f"varsel: source {url} would fail at every poll: {why}"
        for url in urls
        if (why := refused_address(url, allow_private=allow_private))
    ]
