"""Fixtures for the probe tests: stand-in servers, and probe configurations for them.

The real registries come from ``tests.support.registry`` (the session ``registry`` fixture);
the stand-ins here cover what a distribution registry cannot be made to do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from bot.probe import ProbeConfig, parse_registries
from tests.support.certs import TestPki, mint_pki
from tests.support.probe_servers import Route, ScriptedRegistry
from tests.support.registries_toml import FAST_LIMITS, loopback_entry, token_entry
from tests.support.registry import Registries

MakeConfig = Callable[..., ProbeConfig]
Scripted = Callable[..., ScriptedRegistry]


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPki:
    """A throw-away CA and server certificates for TLS stand-ins."""
    return mint_pki(tmp_path_factory.mktemp("probe-pki"))


@pytest.fixture
def make_config(tmp_path: Path) -> MakeConfig:
    """Build a ProbeConfig from registries-file text (FAST_LIMITS unless it has [probe])."""

    def make(text: str, env: Mapping[str, str] | None = None) -> ProbeConfig:
        body = text if "[probe]" in text else FAST_LIMITS + text
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


def real_registries_toml(regs: Registries, *, token_scopes: str = '["demo/*"]') -> str:
    """A registries file listing every real test registry, with the right trust and accounts."""
    tls = regs.tls
    return "\n".join((
        loopback_entry(regs.plain.host),
        loopback_entry(regs.basic.host),
        loopback_entry(
            tls.host,
            scheme=None,
            extra=f'ca_file = "{tls.ca_file}"\nusername = "{tls.username}"\n'
            'password_env = "TLS_PASSWORD"\nprobe_scopes = ["demo/*"]\n',
        ),
        token_entry(regs, password_env="TOKEN_PASSWORD", scopes=token_scopes, channel="CPLATFORM"),
        *(
            loopback_entry(bad.host, scheme=None, extra=f'ca_file = "{bad.ca_file}"\n')
            for bad in (regs.tls_wrong_name, regs.tls_expired)
        ),
    ))


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


RESOLVER_BUG = "resolver bug near internal-host-db01"
"""The text of the error :func:`buggy_resolver` raises (it must never reach a log or a reply)."""


async def buggy_resolver(host: str, port: int) -> list[str]:
    """A resolver with a bug: it raises what no resolver should, to stand for any bug the probe
    itself might have."""
    raise RuntimeError(RESOLVER_BUG)


@pytest.fixture
def buggy_config(make_config: MakeConfig) -> ProbeConfig:
    """``registry.corp.example`` listed, looked up through :func:`buggy_resolver`."""
    base = make_config(loopback_entry("registry.corp.example", scheme=None))
    return ProbeConfig(base.registries, base.options, buggy_resolver)
