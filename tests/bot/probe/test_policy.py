"""The address policy: which addresses are refused, and resolution happening once."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from bot.probe.policy import (
    AddressPins,
    Allowance,
    DnsFailure,
    ProbeRefused,
    address_category,
    blocked_reason,
)


@pytest.mark.parametrize(
    ("address", "category"),
    [
        ("8.8.8.8", None),
        ("2606:4700:4700::1111", None),
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fd12:3456::1", "private"),
        ("100.64.0.1", "shared address space"),
        ("169.254.169.254", "cloud metadata"),
        ("fd00:ec2::254", "cloud metadata"),
        ("168.63.129.16", "cloud metadata"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        # Deprecated (RFC 3879) but still routed inside some networks; Python calls it global.
        ("fec0::1", "site-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("192.0.2.10", "reserved"),
        ("::ffff:127.0.0.1", "loopback (IPv4 inside IPv6)"),
        ("::ffff:169.254.169.254", "cloud metadata (IPv4 inside IPv6)"),
        ("2002:7f00:1::", "loopback (IPv4 inside IPv6)"),
        ("64:ff9b::a9fe:a9fe", "cloud metadata (IPv4 inside IPv6)"),
        ("::ffff:8.8.8.8", None),
    ],
)
def test_address_categories(address: str, category: str | None) -> None:
    assert address_category(ipaddress.ip_address(address)) == category


@pytest.mark.parametrize(
    ("address", "allowed_with_allow_private"),
    [
        ("127.0.0.1", True),
        ("::ffff:127.0.0.1", True),
        ("10.0.0.5", True),
        ("169.254.169.254", False),
        ("::ffff:169.254.169.254", False),
        ("169.254.10.10", False),
        ("fec0::1", False),
        ("224.0.0.1", False),
        ("0.0.0.0", False),
    ],
)
def test_allow_private_never_opens_metadata_or_link_local(
    address: str, allowed_with_allow_private: bool
) -> None:
    ip = ipaddress.ip_address(address)
    assert blocked_reason(ip, allow_private=False) is not None
    assert (blocked_reason(ip, allow_private=True) is None) is allowed_with_allow_private


# The first and last address of blocks in the IANA IPv4 and IPv6 Special-Purpose Address
# Registries, and the public addresses just outside them. Several of these changed sides in
# Python's own ipaddress tables between patch releases (CVE-2024-4032): the policy must not.
IANA_SPECIAL = [
    "0.0.0.1", "0.255.255.255", "192.0.0.0", "192.0.0.8", "192.0.0.9", "192.0.0.10",
    "192.0.0.170", "192.0.0.171", "192.0.0.255", "192.0.2.0", "192.31.196.1", "192.52.193.1",
    "192.88.99.1", "192.88.99.2", "192.175.48.1", "198.18.0.0", "198.19.255.255",
    "198.51.100.7", "203.0.113.255", "240.0.0.1", "255.255.255.255",
    "100::1", "100:0:0:1::1", "2001::1", "2001:1::1", "2001:1::2", "2001:1::3",
    "2001:2::1", "2001:3::1", "2001:4:112::1", "2001:10::1", "2001:20::1", "2001:30::1",
    "2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db8::1", "2620:4f:8000::1", "3fff::1",
    "3fff:fff::1", "5f00::1", "::7f00:1", "4000::1", "fec0::1",
]
PUBLIC_NEIGHBOURS = [
    "1.0.0.1", "192.0.1.1", "192.0.3.1", "192.31.197.1", "192.175.49.1", "198.17.255.255",
    "198.20.0.1", "198.51.101.1", "203.0.114.1", "223.255.255.254",
    "2001:200::1", "2001:dba::1", "2620:4f:8001::1", "3fff:1000::1", "2a00:1450::1",
]


@pytest.mark.parametrize("address", IANA_SPECIAL)
def test_every_iana_special_purpose_block_is_refused(address: str) -> None:
    ip = ipaddress.ip_address(address)
    assert address_category(ip) is not None
    assert blocked_reason(ip, allow_private=True) is not None


@pytest.mark.parametrize("address", PUBLIC_NEIGHBOURS)
def test_public_addresses_beside_those_blocks_are_allowed(address: str) -> None:
    assert blocked_reason(ipaddress.ip_address(address), allow_private=False) is None


def test_the_policy_does_not_read_pythons_address_tables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Those tables differ between Python patch releases; with them gone, every answer stands.
    expected = {a: address_category(ipaddress.ip_address(a))
                for a in [*IANA_SPECIAL, *PUBLIC_NEIGHBOURS, "10.0.0.1", "::ffff:127.0.0.1"]}

    def gone(self: object) -> bool:
        raise AssertionError("the policy read an ipaddress table")

    for cls in (ipaddress.IPv4Address, ipaddress.IPv6Address):
        for name in ("is_private", "is_global", "is_reserved", "is_loopback", "is_link_local",
                     "is_multicast", "is_unspecified", "is_site_local"):
            if hasattr(cls, name):
                monkeypatch.setattr(cls, name, property(gone))
    assert {a: address_category(ipaddress.ip_address(a)) for a in expected} == expected


class CountingResolver:
    """Answers from a script, one answer per call, counting calls (no network)."""

    def __init__(self, *answers: list[str] | Exception) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append((host, port))
        answer = self.answers[min(len(self.calls), len(self.answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer


async def test_a_host_is_resolved_once_and_pinned() -> None:
    # A rebinding name: the first answer is fine, later ones point at metadata.
    resolver = CountingResolver(["127.0.0.1"], ["169.254.169.254"])
    pins = AddressPins({("rebind.test", 5000): Allowance(allow_private=True)}, resolver, timeout=1)
    first = await pins.addresses("rebind.test", 5000)
    second = await pins.addresses("REBIND.test", 5000)
    assert first == second == ("127.0.0.1",)
    assert resolver.calls == [("rebind.test", 5000)]


async def test_one_blocked_address_refuses_the_host() -> None:
    resolver = CountingResolver(["93.184.216.34", "10.0.0.1"])
    pins = AddressPins({("mixed.test", 443): Allowance(allow_private=False)}, resolver, timeout=1)
    with pytest.raises(ProbeRefused, match="private"):
        await pins.addresses("mixed.test", 443)


async def test_hosts_outside_the_probe_are_refused_without_a_lookup() -> None:
    resolver = CountingResolver(["93.184.216.34"])
    pins = AddressPins({("ok.test", 443): Allowance(allow_private=False)}, resolver, timeout=1)
    with pytest.raises(ProbeRefused, match="not a host this probe may connect to"):
        await pins.addresses("ok.test", 8443)
    with pytest.raises(ProbeRefused):
        await pins.addresses("evil.test", 443)
    assert resolver.calls == []


async def test_ip_literals_are_checked_without_dns() -> None:
    resolver = CountingResolver(["93.184.216.34"])
    pins = AddressPins(
        {("::ffff:127.0.0.1", 80): Allowance(allow_private=False)}, resolver, timeout=1
    )
    with pytest.raises(ProbeRefused, match="loopback"):
        await pins.addresses("[::ffff:127.0.0.1]", 80)
    assert resolver.calls == []


@pytest.mark.parametrize(
    ("error", "detail"),
    [
        (socket.gaierror(socket.EAI_NONAME, "Name or service not known"), "NXDOMAIN"),
        (socket.gaierror(socket.EAI_AGAIN, "Temporary failure"), "temporary failure"),
    ],
)
async def test_dns_failures_are_named(error: Exception, detail: str) -> None:
    pins = AddressPins(
        {("gone.test", 443): Allowance(allow_private=False)},
        CountingResolver(error),
        timeout=1,
    )
    with pytest.raises(DnsFailure, match=detail):
        await pins.addresses("gone.test", 443)
