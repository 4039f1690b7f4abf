"""IP addresses are cut down before anything is stored: enough for a country, never a person."""

from __future__ import annotations

import pytest

from chalicelib.domain.privacy import truncate_ip


@pytest.mark.parametrize(("address", "stored"), [
    ("203.0.113.77", "203.0.113.0"),
    ("198.51.100.255", "198.51.100.0"),
    ("10.20.30.1", "10.20.30.0"),
    ("192.0.2.0", "192.0.2.0"),
])
def test_an_ipv4_address_keeps_only_its_slash_24_network(address, stored):
    assert truncate_ip(address) == stored


@pytest.mark.parametrize(("address", "stored"), [
    ("2001:db8:abcd:12:1:2:3:4", "2001:db8:abcd::"),
    ("2a02:aa7:4001:51c0:9d3f:2e10:77b1:c0de", "2a02:aa7:4001::"),
    ("2001:DB8:ABCD:0012::1", "2001:db8:abcd::"),
    ("2001:db8::1", "2001:db8::"),
    ("::1", "::"),
])
def test_an_ipv6_address_keeps_only_its_slash_48_network(address, stored):
    assert truncate_ip(address) == stored


def test_an_ipv4_mapped_ipv6_address_is_truncated_as_the_ipv4_address_it_carries():
    # Given a dual-stack load balancer that reports an IPv4 client in IPv6 form
    address = "::ffff:198.51.100.9"

    # When it is truncated
    stored = truncate_ip(address)

    # Then the /24 of the IPv4 address is kept, not the /48 of the mapped form (which would be all of IPv4)
    assert stored == "198.51.100.0"


def test_surrounding_whitespace_from_a_header_is_ignored():
    assert truncate_ip("  203.0.113.77\t") == "203.0.113.0"


def test_a_link_local_ipv6_address_with_a_zone_is_truncated_without_its_zone():
    assert truncate_ip("fe80::1ff:fe23:4567:890a%eth0") == "fe80::"


@pytest.mark.parametrize("address", [
    "not an ip",
    "256.1.1.1",
    "203.0.113",
    "203.0.113.77/24",
    "203.0.113.77:443",
    "203.0.113.77, 10.0.0.1",
    "2001:db8::g",
    "localhost",
    "",
    "   ",
    None,
])
def test_anything_that_is_not_one_ip_address_gives_nothing_to_store(address):
    assert truncate_ip(address) is None
