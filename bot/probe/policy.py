"""Which addresses the probe may connect to, decided once per host and pinned.

User text picks the host the server calls, so every connection goes through here: the host
must be one the operator allowed for this probe, it is resolved once, every address it
resolves to must pass the address policy, and the connection then goes to that checked address
(never to a fresh lookup, which a DNS-rebinding attacker would control).
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from bot.errors import RegistryWhyError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]
"""``resolver(host, port)`` -> the addresses ``host`` resolves to, as text."""

METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "fd00:ec2::254", "168.63.129.16", "100.100.100.200")
)
"""Cloud instance-metadata and host-agent endpoints (AWS/GCP/Azure IMDS, Azure WireServer,
Alibaba): never allowed, whatever the configuration says."""

_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
PRIVATE_OK = frozenset({"loopback", "private", "shared address space"})
"""Categories an ``allow_private`` registry may resolve to; all others stay blocked."""

SPECIAL_PURPOSE: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...] = tuple(
    (ipaddress.ip_network(block), category) for block, category in (
        # The IANA IPv4 Special-Purpose Address Registry, every block in it: those marked
        # globally reachable too (protocol anycast, AS112, AMT), as no registry lives there.
        ("0.0.0.0/32", "unspecified"),
        ("0.0.0.0/8", "reserved"),  # "this network"
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "shared address space"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "reserved"),  # IETF protocol assignments
        ("192.0.2.0/24", "reserved"),  # documentation (TEST-NET-1)
        ("192.31.196.0/24", "reserved"),  # AS112-v4
        ("192.52.193.0/24", "reserved"),  # AMT
        ("192.88.99.0/24", "reserved"),  # 6to4 relay anycast (deprecated)
        ("192.168.0.0/16", "private"),
        ("192.175.48.0/24", "reserved"),  # AS112 direct delegation
        ("198.18.0.0/15", "reserved"),  # benchmarking
        ("198.51.100.0/24", "reserved"),  # documentation (TEST-NET-2)
        ("203.0.113.0/24", "reserved"),  # documentation (TEST-NET-3)
        ("240.0.0.0/4", "reserved"),  # with 255.255.255.255, limited broadcast
        ("224.0.0.0/4", "multicast"),  # the IANA IPv4 Multicast Address Space
        # The IANA IPv6 Special-Purpose Address Registry. IPv4-mapped, NAT64, 6to4 and Teredo
        # addresses are judged by the IPv4 address inside them, before this table.
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("100::/64", "reserved"),  # discard-only
        ("100:0:0:1::/64", "reserved"),  # dummy prefix
        ("2001::/23", "reserved"),  # IETF protocol assignments (benchmarking, ORCHID, AMT...)
        ("2001:db8::/32", "reserved"),  # documentation
        ("2620:4f:8000::/48", "reserved"),  # AS112 direct delegation
        ("3fff::/20", "reserved"),  # documentation
        ("5f00::/16", "reserved"),  # SRv6 segment identifiers
        ("fc00::/7", "private"),  # unique local
        ("fe80::/10", "link-local"),
        # The IANA IPv6 Address Space: site-local is deprecated (RFC 3879) yet still routed
        # inside some networks.
        ("fec0::/10", "site-local"),
        ("ff00::/8", "multicast"),
    )
)
"""Address blocks the probe never treats as public, from the IANA registries, most specific
first. Written out rather than read from ``ipaddress``: its tables change with the Python
patch release (CVE-2024-4032 moved 192.0.0.0/24 and others), and the policy must not."""

_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")
"""The only IPv6 block IANA allocates for global unicast: everything outside it is reserved."""


class ProbeRefused(RegistryWhyError):
    """The policy forbids this connection; nothing was sent. ``reason`` is safe to show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class DnsFailure(RegistryWhyError):
    """A host name did not resolve; ``detail`` says how (no such name, temporary failure)."""

    def __init__(self, host: str, detail: str) -> None:
        super().__init__(f"{host}: {detail}")
        self.host = host
        self.detail = detail


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address hidden in an IPv4-mapped, 6to4, Teredo or NAT64 IPv6 address."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if any(ip in net for net in _NAT64):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_category(ip: IPAddress) -> str | None:
    """None for a public address, otherwise what kind of non-public address it is.

    IPv6 forms that carry an IPv4 address are judged by that address, so ``::ffff:127.0.0.1``
    is loopback, not "some IPv6 address".
    """
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            category = address_category(inner)
            return f"{category} (IPv4 inside IPv6)" if category else None
    if ip in METADATA_ADDRESSES:
        return "cloud metadata"
    for block, category in SPECIAL_PURPOSE:
        if ip in block:
            return category
    if isinstance(ip, ipaddress.IPv6Address) and ip not in _GLOBAL_UNICAST:
        return "reserved"
    return None


def blocked_reason(ip: IPAddress, *, allow_private: bool) -> str | None:
    """Why connecting to ``ip`` is not allowed, or None if it is.

    ``allow_private`` admits loopback, private (RFC 1918, ULA) and shared (CGNAT) addresses,
    in plain or IPv4-in-IPv6 form; metadata, link-local, site-local, multicast and reserved
    never pass.
    """
    category = address_category(ip)
    if category is None:
        return None
    base = category.removesuffix(" (IPv4 inside IPv6)")
    if allow_private and base in PRIVATE_OK:
        return None
    if base in PRIVATE_OK:
        return f"it resolves to a {category} address, and this registry is not allow_private"
    return f"it resolves to a {category} address, which the probe never connects to"


def parse_ip(host: str) -> IPAddress | None:
    """The address if ``host`` is an IP literal (brackets allowed), else None."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve with the system resolver (A and AAAA), keeping its order, without duplicates."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: dict[str, None] = {}
    for _family, _type, _proto, _name, sockaddr in infos:
        seen.setdefault(str(sockaddr[0]), None)
    return list(seen)


_DNS_DETAIL = {
    socket.EAI_NONAME: "the name does not exist (NXDOMAIN)",
    socket.EAI_AGAIN: "temporary failure in name resolution",
    socket.EAI_FAIL: "the DNS server failed",
}
if hasattr(socket, "EAI_NODATA"):
    _DNS_DETAIL[socket.EAI_NODATA] = "the name has no addresses"


@dataclass(frozen=True, slots=True)
class Allowance:
    """A host:port this probe may connect to, and whether private addresses are fine for it."""

    allow_private: bool


class AddressPins:
    """The hosts one probe may reach, each resolved once and checked before any connection."""

    def __init__(
        self,
        allowed: Mapping[tuple[str, int], Allowance],
        resolver: Resolver,
        *,
        timeout: float,
    ) -> None:
        self._allowed = dict(allowed)
        self._resolver = resolver
        self._timeout = timeout
        self._pinned: dict[tuple[str, int], tuple[str, ...]] = {}
        self._locks: dict[tuple[str, int], asyncio.Lock] = {}

    async def addresses(self, host: str, port: int) -> tuple[str, ...]:
        """The checked addresses to connect to for ``host:port``.

        Raises ProbeRefused for a host this probe may not reach or an address the policy
        blocks, and DnsFailure when the name does not resolve.
        """
        key = (host.strip("[]").lower(), port)
        allowance = self._allowed.get(key)
        if allowance is None:
            raise ProbeRefused(f"{_show(key)} is not a host this probe may connect to")
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            if key not in self._pinned:
                self._pinned[key] = await self._resolve_and_check(key, allowance)
        return self._pinned[key]

    async def _resolve_and_check(
        self, key: tuple[str, int], allowance: Allowance
    ) -> tuple[str, ...]:
        host, port = key
        literal = parse_ip(host)
        if literal is not None:
            found = [str(literal)]
        else:
            found = await self._lookup(host, port)
        checked: list[str] = []
        for text in found:
            ip = ipaddress.ip_address(text.partition("%")[0])
            reason = blocked_reason(ip, allow_private=allowance.allow_private)
            if reason is not None:
                # One bad address refuses the host: a name mixing public and internal
                # addresses is how rebinding attacks pick their target.
                raise ProbeRefused(f"{host} is blocked: {reason}")
            checked.append(str(ip))
        if not checked:
            raise DnsFailure(host, "the name has no addresses")
        return tuple(checked)

    async def _lookup(self, host: str, port: int) -> list[str]:
        try:
            async with asyncio.timeout(self._timeout):
                return await self._resolver(host, port)
        except TimeoutError:
            raise DnsFailure(host, f"no DNS answer within {self._timeout:g}s") from None
        except socket.gaierror as exc:
            detail = _DNS_DETAIL.get(exc.errno or 0, "the DNS lookup failed")
            raise DnsFailure(host, detail) from None
        except OSError as exc:
            name = errno.errorcode.get(exc.errno or 0, "error")
            raise DnsFailure(host, f"the DNS lookup failed ({name})") from None


def _show(key: tuple[str, int]) -> str:
    host, port = key
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
