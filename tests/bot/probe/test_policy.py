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
