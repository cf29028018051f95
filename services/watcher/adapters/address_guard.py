"""Which addresses the watcher may fetch from, checked again where the connection is made.

The fetcher checks a source's host before each request, with a clear reason for the admin
page. aiohttp then resolves the name a second time to connect, and a DNS answer that changes
in between (DNS rebinding) would reach an internal address; so the resolver that the
connection uses refuses those addresses too. aiohttp skips resolving IP literals: the
fetcher's own check covers those.
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
    ip = ipaddress.ip_address(address)
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


class PublicOnlyResolver(ThreadedResolver):
    """aiohttp's resolver, refusing a name when any of its addresses is forbidden."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Resolve as aiohttp does; raise OSError (aiohttp's DNS error) for a forbidden one."""
        found = await super().resolve(host, port, family)
        if any(forbidden_address(result["host"]) for result in found):
            raise OSError(errno.EACCES, f"refused {host}: {REFUSED}")
        return found
