"""Which addresses the watcher refuses to connect to, the rule itself (address_guard)."""

from __future__ import annotations

import pytest

from shared.private_addresses import forbidden_address, forbidden_literal


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "169.254.169.254",
        # Shared address space (RFC 6598): carrier-grade NAT inside a provider, and where some
        # clouds answer for their metadata service (100.100.100.200).
        "100.64.0.1",
        "100.100.100.200",
        # IPv6 addresses that carry an IPv4 address a gateway or relay would connect to.
        "::ffff:127.0.0.1",
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
        "fec0::1",  # site-local, the private range before unique local addresses
        "fd00::1",
    ],
)
def test_an_address_inside_a_network_is_refused(address: str) -> None:
    assert forbidden_address(address)
    assert forbidden_literal(address)


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "64:ff9b::5db8:d822"]
)
def test_a_public_address_is_fetched(address: str) -> None:
    assert not forbidden_address(address)
    assert not forbidden_literal(address)


def test_a_name_is_left_to_the_resolver() -> None:
    assert not forbidden_literal("www.example.no")
