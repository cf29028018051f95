"""Which addresses the watcher may fetch from, checked where the connection is made.

The rule itself is shared (shared/private_addresses.py): the admin's source form and the
catalogue commands judge an address written out by it before a source is saved.

The resolver that the connections use (the watcher's http_client, and aiohttp's session for
the hub client) refuses a name whose answers include a private, loopback or link-local
address, so what is checked is exactly what is connected to: a check in a lookup of its own
would leave a DNS answer that changes in between (DNS rebinding) free to reach an internal
address. IP literals are not resolved: the fetcher checks those.
"""

from __future__ import annotations

import errno
import socket

from aiohttp.abc import ResolveResult
from aiohttp.resolver import ThreadedResolver

from shared.private_addresses import REFUSED, forbidden_address


class AddressRefused(OSError):
    """A name resolved to an address the watcher must not connect to."""


class PublicOnlyResolver(ThreadedResolver):
    """aiohttp's resolver, refusing a name when any of its addresses is forbidden."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Resolve as aiohttp does; raise AddressRefused for a forbidden answer.

        aiohttp reports it as a ClientConnectorDNSError holding this error; http_client as
        a FetchError of the reason «refused».
        """
        found = await super().resolve(host, port, family)
        if any(forbidden_address(result["host"]) for result in found):
            raise AddressRefused(errno.EACCES, f"refused {host}: {REFUSED}")
        return found
