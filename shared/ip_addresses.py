"""IPv6 addresses that carry an IPv4 one, which is who sends from them and what they reach."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, IPv6Network
from typing import Final

# The well-known NAT64 prefix (RFC 6052): a gateway connects to the IPv4 address in its last
# 32 bits, DNS64 answers every name with one on an IPv6-only network, and an IPv4 client
# reaching an IPv6-only service through such a gateway (or SIIT) arrives as one.
NAT64: Final = IPv6Network("64:ff9b::/96")


def carried_ipv4(address: IPv6Address) -> IPv4Address | None:
    """Return the IPv4 address an IPv6 one carries (IPv4-mapped, 6to4 or NAT64), or None."""
    if address in NAT64:
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return address.ipv4_mapped or address.sixtofour
