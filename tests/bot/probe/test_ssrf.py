"""SSRF: a pasted reference can name any host; the probe connects only where it may.

A recording listener on loopback proves that a refused probe made no connection at all.
"""

from __future__ import annotations

import time

import pytest

from bot.probe import ProbeConfig, load_registries, probe_image
from knowledge.reference import ImageReference, parse_reference
from tests.bot.probe.conftest import MakeConfig, Scripted
from tests.support.probe_servers import RecordingListener, json_error, open_registry
from tests.support.registries_toml import loopback_entry


class ScriptedResolver:
    """A resolver that answers from a script, per call, and counts lookups (never the network)."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self._answers = answers
        self.calls: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        script = self._answers[host]
        return script[min(self.calls.count(host), len(script)) - 1]


@pytest.mark.parametrize(
    "image",
    [
        "127.0.0.1:{port}/demo/hello:v1",
        "localhost:{port}/demo/hello:v1",
        # Docker's grammar writes IPv4-mapped addresses in hex: ::ffff:7f00:1 is 127.0.0.1.
        "[::ffff:7f00:1]:{port}/demo/hello:v1",
        "[::1]:{port}/demo/hello:v1",
        "169.254.169.254/latest/meta-data:v1",
        "metadata.google.internal/computemetadata/v1:x",
        "registry.unlisted.example/demo/hello:v1",
    ],
)
async def test_unlisted_hosts_are_refused_without_a_connection(
    recorder: RecordingListener, image: str
) -> None:
    config = load_registries(None, environ={})
    result = await probe_image(parse_reference(image.format(port=recorder.port)), config=config)
    assert result.refused is not None
    assert "not a registry this bot may probe" in result.refused
    assert result.outcome is None
    assert recorder.connections == 0


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("127.0.0.1:{port}", "loopback"),
        ("localhost:{port}", "loopback"),
        ("[::ffff:7f00:1]:{port}", "loopback (IPv4 inside IPv6)"),
    ],
)
async def test_listed_but_private_without_allow_private(
    recorder: RecordingListener, make_config: MakeConfig, host: str, reason: str
) -> None:
    host = host.format(port=recorder.port)
    config = make_config(f'[[registry]]\nhost = "{host}"\nscheme = "http"\n')
    result = await probe_image(
        parse_reference(f"{host}/demo/hello:v1"), suspected="connection-refused", config=config
    )
    assert result.refused is not None
    assert reason in result.refused
    assert result.verdict == "inconclusive"
    assert recorder.connections == 0


async def test_dotted_ipv4_mapped_form_is_refused_too(
    recorder: RecordingListener, make_config: MakeConfig
) -> None:
    # The reference parser rejects [::ffff:127.0.0.1]; a caller building the reference itself
    # still meets the address policy.
    host = f"[::ffff:127.0.0.1]:{recorder.port}"
    config = make_config(f'[[registry]]\nhost = "{host}"\nscheme = "http"\n')
    result = await probe_image(ImageReference(host, "demo/hello", "v1"), config=config)
    assert result.refused is not None
    assert "loopback (IPv4 inside IPv6)" in result.refused
    assert recorder.connections == 0


@pytest.mark.parametrize("host", ["169.254.169.254", "[fd00:ec2::254]", "168.63.129.16"])
async def test_metadata_addresses_stay_blocked_even_with_allow_private(
    make_config: MakeConfig, host: str
) -> None:
    config = make_config(loopback_entry(host))
    started = time.monotonic()
    result = await probe_image(ImageReference(host, "latest/meta-data", "v1"), config=config)
    assert result.refused is not None
    assert "cloud metadata" in result.refused
    # Refused before any connect: no timeout was waited for.
    assert time.monotonic() - started < 0.5


async def test_a_name_resolving_to_metadata_is_blocked(make_config: MakeConfig) -> None:
    config = make_config(loopback_entry("registry.corp.example", scheme=None))
    resolver = ScriptedResolver({"registry.corp.example": [["169.254.169.254"]]})
    config = ProbeConfig(config.registries, config.options, resolver)
    result = await probe_image(parse_reference("registry.corp.example/app:v1"), config=config)
    assert result.refused is not None
    assert "cloud metadata" in result.refused


async def test_dns_rebinding_gets_the_first_checked_answer(
    scripted: Scripted, make_config: MakeConfig
) -> None:
    server = scripted(open_registry({}))
    host = f"rebind.example:{server.port}"
    # First answer loopback (allowed for this host), later answers the metadata address.
    resolver = ScriptedResolver({"rebind.example": [["127.0.0.1"], ["169.254.169.254"]]})
    base = make_config(loopback_entry(host))
    config = ProbeConfig(base.registries, base.options, resolver)
    result = await probe_image(parse_reference(f"{host}/demo/hello:nope"), config=config)
    # Several requests were made (ping, manifest, tags) but the name was looked up once.
    assert resolver.calls == ["rebind.example"]
    assert len(server.requests) >= 3
    assert result.outcome == "repository-not-found"
    # Host and SNI keep the name; only the socket goes to the checked address.
    assert {s.headers["host"] for s in server.requests} == {host}


async def test_a_token_host_resolving_to_a_blocked_address_is_not_called(
    scripted: Scripted, make_config: MakeConfig
) -> None:
    server = scripted(
        open_registry(
            {
                ("GET", "/v2/"): json_error(
                    401,
                    "UNAUTHORIZED",
                    "auth",
                    **{"WWW-Authenticate": 'Bearer realm="http://auth.corp.example/token"'},
                )
            }
        )
    )
    base = make_config(
        loopback_entry(server.host, extra='realm_hosts = ["auth.corp.example:80"]\n')
    )
    resolver = ScriptedResolver({"auth.corp.example": [["169.254.169.254"]]})
    config = ProbeConfig(base.registries, base.options, resolver)
    result = await probe_image(parse_reference(f"{server.host}/demo/hello:v1"), config=config)
    assert any("cloud metadata" in line for line in result.evidence), result.evidence
    assert result.outcome is None


async def test_ports_are_part_of_the_listing(
    recorder: RecordingListener, make_config: MakeConfig
) -> None:
    config = make_config(loopback_entry("127.0.0.1:1"))
    result = await probe_image(
        parse_reference(f"127.0.0.1:{recorder.port}/demo/hello:v1"), config=config
    )
    assert result.refused is not None
    assert recorder.connections == 0


async def test_allow_private_does_not_extend_to_a_token_host_of_another_name(
    scripted: Scripted, make_config: MakeConfig, recorder: RecordingListener
) -> None:
    # The registry is internal (allow_private); its token host is a public name that someone
    # else's DNS points at loopback.
    token_host = f"auth.public.example:{recorder.port}"
    challenge = json_error(
        401, "UNAUTHORIZED", "auth",
        **{"WWW-Authenticate": f'Bearer realm="http://{token_host}/token",service="s"'},
    )
    server = scripted(open_registry({("GET", "/v2/"): challenge}))
    base = make_config(loopback_entry(server.host, extra=f'realm_hosts = ["{token_host}"]\n'))
    resolver = ScriptedResolver({"auth.public.example": [["127.0.0.1"]]})
    config = ProbeConfig(base.registries, base.options, resolver)
    result = await probe_image(parse_reference(f"{server.host}/demo/hello:v1"), config=config)
    assert recorder.connections == 0
    assert any(
        "auth.public.example" in line and "loopback" in line for line in result.evidence
    ), result.evidence
    assert result.outcome is None
