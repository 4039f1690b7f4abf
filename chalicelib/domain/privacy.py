"""Privacy rules that hold before anything is stored."""

from __future__ import annotations

import ipaddress


def truncate_ip(address: str | None) -> str | None:
    """IPv4 keeps its /24, IPv6 its /48: enough for a country, never a person."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 48
    network = ipaddress.ip_network(f"{ip}/{prefix}", strict=False)
    return str(network.network_address)
