"""Fixtures for the probe tests: stand-in servers, and probe configurations for them.

The real registries come from ``tests.support.registry`` (the session ``registry`` fixture);
the stand-ins here cover what a distribution registry cannot be made to do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from bot.probe.config import ProbeConfig, parse_registries
from tests.support.certs import TestPki, mint_pki
from tests.support.probe_servers import RecordingListener, Route, ScriptedRegistry
from tests.support.registry import Registries

FAST = """
[probe]
connect_timeout = 1.0
tls_timeout = 1.0
read_timeout = 1.0
total_timeout = 5.0
"""
"""Tight time bounds, so a test that waits on a silent peer ends within a second or two."""

MakeConfig = Callable[..., ProbeConfig]
Scripted = Callable[..., ScriptedRegistry]


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPki:
    """A throw-away CA and server certificates for TLS stand-ins."""
    return mint_pki(tmp_path_factory.mktemp("probe-pki"))


@pytest.fixture
def make_config(tmp_path: Path) -> MakeConfig:
    """Build a ProbeConfig from registries-file text (FAST limits unless the text has [probe])."""

    def make(text: str, env: Mapping[str, str] | None = None) -> ProbeConfig:
        body = text if "[probe]" in text else FAST + text
        path = tmp_path / "registries.toml"
        path.write_text(body)
        return parse_registries(body, source=path, environ=env or {})

    return make


@pytest.fixture
def scripted(pki: TestPki) -> Iterator[Scripted]:
    """Start ScriptedRegistry stand-ins (``tls=True`` for HTTPS); all stop after the test."""
    started: list[ScriptedRegistry] = []

    def start(route: Route, *, tls: bool = False) -> ScriptedRegistry:
        server = ScriptedRegistry(route, tls=pki.server if tls else None).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def recorder() -> Iterator[RecordingListener]:
    """A loopback listener that records every connection made to it."""
    with RecordingListener() as listener:
        yield listener


def real_registries_toml(regs: Registries, *, token_scopes: str = '["demo/*"]') -> str:
    """A registries file listing every real test registry, with the right trust and accounts."""
    token, tls = regs.token, regs.tls
    return f"""
[[registry]]
host = "{regs.plain.host}"
scheme = "http"
allow_private = true

[[registry]]
host = "{regs.basic.host}"
scheme = "http"
allow_private = true

[[registry]]
host = "{tls.host}"
ca_file = "{tls.ca_file}"
allow_private = true
username = "{tls.username}"
password_env = "TLS_PASSWORD"
probe_scopes = ["demo/*"]

[[registry]]
host = "{token.host}"
ca_file = "{token.ca_file}"
allow_private = true
username = "{token.username}"
password_env = "TOKEN_PASSWORD"
probe_scopes = {token_scopes}
realm_hosts = ["127.0.0.1:{regs.token_server.port}"]
allowed_channels = ["CPLATFORM"]

[[registry]]
host = "{regs.tls_wrong_name.host}"
ca_file = "{regs.tls_wrong_name.ca_file}"
allow_private = true

[[registry]]
host = "{regs.tls_expired.host}"
ca_file = "{regs.tls_expired.ca_file}"
allow_private = true
"""


@pytest.fixture
def real_env(registry: Registries) -> dict[str, str]:
    """The passwords the real-registry configuration names (as an environment mapping)."""
    assert registry.tls.password is not None
    assert registry.token.password is not None
    return {"TLS_PASSWORD": registry.tls.password, "TOKEN_PASSWORD": registry.token.password}


@pytest.fixture
def real_config(
    registry: Registries, make_config: MakeConfig, real_env: dict[str, str]
) -> ProbeConfig:
    """A ProbeConfig for all six real registries, the pull accounts configured."""
    return make_config(real_registries_toml(registry), real_env)
