"""Per-client limits count an IPv6 client by its /64, which one home or server may use whole."""

from __future__ import annotations

from shared.web.rate_limit import counted_client


def test_an_ipv6_client_is_counted_by_its_64_and_an_ipv4_one_by_its_address() -> None:
    assert counted_client("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert counted_client("2001:db8:1:2:ffff:ffff:ffff:fffe") == "2001:db8:1:2::/64"
    assert counted_client("2001:db8:1:3::1") == "2001:db8:1:3::/64"
    assert counted_client("192.0.2.66") == "192.0.2.66"
    assert counted_client("::ffff:192.0.2.66") == "192.0.2.66"
    # Carried in IPv6 by a NAT64 gateway (every IPv4 client in one /64) or by 6to4 (a /48 of
    # /64s for one IPv4 site): counted as the IPv4 address.
    assert counted_client("64:ff9b::c000:242") == "192.0.2.66"
    assert counted_client("64:ff9b::c000:243") == "192.0.2.67"
    assert counted_client("2002:c000:242:1::1") == "192.0.2.66"
    assert counted_client("2002:c000:242:ffff::1") == "192.0.2.66"
    # What is no address (a test client's name, "unknown") is counted as it is.
    assert counted_client("testclient") == "testclient"
