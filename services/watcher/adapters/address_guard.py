"""Which addresses the watcher may fetch from, checked where the connection is made.

The resolver that aiohttp's connection uses refuses a name whose answers include a private,
loopback or link-local address, so what is checked is exactly what is connected to: a check
in a lookup of its own would leave a DNS answer that changes in between (DNS rebinding) free
to reach an internal address. aiohttp skips resolving IP literals: the fetcher checks those.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
from typing import Final

from aiohttp.abc import ResolveResult
from aiohttp.resolver import ThreadedResolver

from shared.ip_addresses import carried_ipv4

REFUSED = (
    "it resolves to a private, loopback or link-local address "
    "(set VARSEL_ALLOW_PRIVATE_ADDRESSES=true to allow)"
)


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


# Carrier-grade NAT's shared address space (RFC 6598): inside a provider's network, and where
# some clouds answer for their metadata service (100.100.100.200). Python calls it neither
# private nor global.
_SHARED: Final = ipaddress.IPv4Network("100.64.0.0/10")


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


class AddressRefused(OSError):
    """A name resolved to an address the watcher must not connect to."""


class PublicOnlyResolver(ThreadedResolver):
    """aiohttp's resolver, refusing a name when any of its addresses is forbidden."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Resolve as aiohttp does; raise AddressRefused for a forbidden answer.

        aiohttp reports it as a ClientConnectorDNSError holding this error.
        """
        found = await super().resolve(host, port, family)
        if any(forbidden_address(result["host"]) for result in found):
            raise AddressRefused(errno.EACCES, f"refused {host}: {REFUSED}")
        return found
