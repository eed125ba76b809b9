"""Which IP addresses a fetch may connect to (the default address policy).

Kept apart from the transport in :mod:`newsingest._edge` so it can be used,
and tested, without importing httpx.
"""

from __future__ import annotations

import ipaddress
from typing import Final

__all__ = ["address_refusal"]

# Networks that are global by the registries' tables but must still not be
# reached from a URL someone else wrote (``ipaddress`` calls them global).
_ALSO_REFUSED: Final = (
    (ipaddress.ip_network("100.64.0.0/10"), "shared (carrier-grade NAT)"),
    (ipaddress.ip_network("64:ff9b:1::/48"), "local-use NAT64"),
)


def _embedded_v4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo client, NAT64)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


_NAT64: Final = ipaddress.ip_network("64:ff9b::/96")


def address_refusal(address: str) -> str | None:
    """Why the default policy refuses to connect to ``address``; ``None`` when allowed.

    ``address`` is a literal IPv4 or IPv6 address (an IPv6 zone such as ``%eth0``
    is ignored). Refused: loopback, private, link-local (which holds cloud
    metadata at 169.254.169.254), unique-local, multicast, reserved,
    unspecified, shared, documentation and other special-purpose ranges, and any
    IPv6 address that carries such an IPv4 one (IPv4-mapped, 6to4, Teredo,
    NAT64). Anything that is not a literal address is refused too.
    """
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_v4(ip)
        if inner is not None:
            why = address_refusal(str(inner))
            if why is not None:
                return f"{why}, inside an IPv6 address"
            if ip.ipv4_mapped is not None or ip in _NAT64:
                return None  # a connection to it is one to the public IPv4 address
    return _kind(ip)


def _kind(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    checks = (
        (ip.is_unspecified, "unspecified"),
        (ip.is_loopback, "loopback"),
        (ip.is_link_local, "link-local"),
        (ip.is_multicast, "multicast"),
        (isinstance(ip, ipaddress.IPv6Address) and ip in _UNIQUE_LOCAL, "unique-local"),
        (ip.is_reserved, "reserved"),
        (ip.is_private, "private"),
    )
    for refused, kind in checks:
        if refused:
            return kind
    for network, kind in _ALSO_REFUSED:
        if ip.version == network.version and ip in network:
            return kind
    if not ip.is_global:
        return "special-purpose"
    return None


_UNIQUE_LOCAL: Final = ipaddress.ip_network("fc00::/7")
