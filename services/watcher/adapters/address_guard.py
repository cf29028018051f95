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

from aiohttp.abc import ResolveResult
from aiohttp.resolver import ThreadedResolver

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


def _forbidden(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
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
