"""What the probe may call, and within which limits: registries, credentials and options.

These are the run-time types; :mod:`bot.probe.registries_file` reads them from the operator's
registries file (``REGISTRY_WHY_REGISTRIES``). Without a file, only the well-known public
registries below are probed, anonymously.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field

from bot.errors import RegistryWhyError
from bot.probe.policy import Resolver, system_resolver
from knowledge import Strict

Scheme = Literal["https", "http"]
AuthScheme = Literal["basic", "bearer"]
ProbeEcosystem = Literal["oci", "npm", "pypi", "maven", "nuget"]
"""What a registries-file entry serves: images (``oci``) or one package ecosystem."""
OAuth2Grant = Literal["off", "password", "refresh_token"]

_HOST_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*")
_HOST_HELP = (
    "must be a host name or IP address with an optional port, like registry.example.com:5000 "
    "(no scheme, path or user; a malformed value is not repeated here, as it may hold a "
    "password)"
)


class ConfigError(RegistryWhyError):
    """The registries file cannot be used, or a password file it names no longer can; the
    message names the file, table and field to fix."""


@dataclass(frozen=True, slots=True)
class HostPort:
    """A host (name or IP literal, without brackets) and a TCP port."""

    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def split_host_port(text: str, default_port: int) -> HostPort:
    """Split ``name``, ``name:port``, ``[v6]`` or ``[v6]:port``; raise ValueError if malformed."""
    text = text.strip().lower()
    if any(mark in text for mark in ("/", "@", "?", "#")):
        raise ValueError(_HOST_HELP)
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise ValueError("an IPv6 address needs a closing ']'")
        host, rest = text[1:end], text[end + 1 :]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError(_HOST_HELP) from None
    else:
        host, colon, port_text = text.partition(":")
        rest = f":{port_text}" if colon else ""
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            if not _HOST_NAME.fullmatch(host) or len(host) > 253:
                raise ValueError(_HOST_HELP) from None
    if not rest:
        return HostPort(host, default_port)
    if not rest.startswith(":") or not rest[1:].isdigit() or not 0 < int(rest[1:]) < 65536:
        # Only the (valid) host is quoted: what follows ':' may be "user:password" minus '@'.
        raise ValueError(f"{host!r}: the port must be a number from 1 to 65535")
    return HostPort(host, int(rest[1:]))


def default_port(scheme: Scheme) -> int:
    """443 for https, 80 for http."""
    return 443 if scheme == "https" else 80


@dataclass(frozen=True)
class Credential:
    """The operator's pull-only credential for one registry; the password is read on use.

    A password file is re-read every time, so a rotated secret (an ECR token refreshed every
    few hours) is picked up without a restart.
    """

    username: str
    """Empty for a bearer token."""
    source: str
    """Where the password comes from, for messages: ``env FOO`` or ``file /run/x``."""
    scheme: AuthScheme = "basic"
    """``basic`` (username and password), or ``bearer``: the password is a token sent as
    ``Authorization: Bearer`` (an npm automation token, which has no username)."""
    _env_value: str | None = field(default=None, repr=False)
    _file: Path | None = field(default=None, repr=False)

    def password(self) -> str:
        """The password; raise ConfigError if its file has become unreadable or empty."""
        if self._env_value is not None:
            return self._env_value
        if self._file is None:  # pragma: no cover - construction guarantees one source
            raise ConfigError(f"credential for {self.username!r} has no password source")
        try:
            value = self._file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"password_file {self._file}: cannot read it: {exc}") from exc
        if not value:
            raise ConfigError(f"password_file {self._file} is empty")
        return value


@dataclass(frozen=True)
class RegistryProfile:
    """One registry the probe may call, with everything needed to call it safely."""

    host: str
    """As image references name it, with port if any (``docker.io``, ``reg.example:5000``)."""
    endpoint: HostPort
    """Where its API answers (``registry-1.docker.io:443`` for ``docker.io``)."""
    scheme: Scheme = "https"
    credential: Credential | None = None
    ca_file: Path | None = None
    allow_private: bool = False
    realm_hosts: frozenset[HostPort] = frozenset()
    """Token hosts this registry may send the probe to (its own endpoint is always allowed)."""
    probe_scopes: tuple[str, ...] = ()
    allowed_channels: frozenset[str] = frozenset()
    oauth2: OAuth2Grant = "off"
    builtin: bool = False
    ecosystem: ProbeEcosystem = "oci"
    root: str = ""
    """A package registry's base path, without a trailing slash (``/repository/npm-group``)."""

    @property
    def base_url(self) -> str:
        """``scheme://endpoint``, without a trailing slash."""
        return f"{self.scheme}://{self.endpoint}"

    def in_scope(self, repository: str) -> bool:
        """Whether ``repository`` matches one of ``probe_scopes`` (shell-style patterns)."""
        return any(fnmatch.fnmatchcase(repository, pattern) for pattern in self.probe_scopes)

    def realm_allowed(self, where: HostPort) -> bool:
        """Whether a token realm at ``where`` is this registry's own endpoint or a listed host."""
        return where == self.endpoint or where in self.realm_hosts


class ProbeOptions(Strict):
    """Time bounds, caps and cache lifetimes: the registries file's ``[probe]`` table, whose
    bounds are checked when it is read."""

    body_cap: ClassVar[int] = 64 * 1024
    """Bytes of an answer read at most; not the operator's to change."""
    connect_timeout: float = Field(default=3.0, gt=0, le=30)
    tls_timeout: float = Field(default=5.0, gt=0, le=30)
    read_timeout: float = Field(default=5.0, gt=0, le=60)
    total_timeout: float = Field(default=20.0, gt=0, le=120)
    max_concurrent: int = Field(default=8, ge=1, le=256)
    max_per_host: int = Field(default=2, ge=1, le=64)
    max_per_user: int = Field(default=2, ge=1, le=64)
    user_probes_per_hour: int = Field(default=30, ge=1, le=10_000)
    cache_ok_seconds: float = Field(default=300.0, ge=0, le=3600)
    cache_failure_seconds: float = Field(default=15.0, ge=0, le=300)


@dataclass(frozen=True)
class ProbeConfig:
    """The registries the probe may call and the limits it works within."""

    registries: Mapping[str, RegistryProfile]
    """By reference host (``docker.io``, ``reg.example:5000``)."""
    options: ProbeOptions = field(default_factory=ProbeOptions)
    resolver: Resolver = system_resolver
    """How host names become addresses; tests swap in their own (never the network's)."""
    packages: tuple[RegistryProfile, ...] = ()
    """The package registries (``ecosystem`` other than oci), never probed as image hosts."""

    def profile_for(self, host: str) -> RegistryProfile | None:
        """The profile for a reference host, or None when the probe must not call it."""
        return self.registries.get(host.lower())

    def secrets(self) -> list[str]:
        """The registry passwords this configuration read, for the log's masker: they come
        from outside the settings, so it would not know them otherwise."""
        return [profile.credential.password()
                for profile in (*self.registries.values(), *self.packages)
                if profile.credential is not None]


# -- the well-known public registries ---------------------------------------------------------

_PUBLIC: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    # (reference host, API endpoint, token hosts other than the endpoint)
    ("docker.io", "registry-1.docker.io", ("auth.docker.io",)),
    ("ghcr.io", "ghcr.io", ()),
    ("quay.io", "quay.io", ()),
    ("gcr.io", "gcr.io", ()),
    ("public.ecr.aws", "public.ecr.aws", ()),
    ("mcr.microsoft.com", "mcr.microsoft.com", ()),
    ("registry.gitlab.com", "registry.gitlab.com", ("gitlab.com",)),
)


def public_profiles() -> dict[str, RegistryProfile]:
    """The registries probed anonymously without any configuration (HTTPS on 443 only)."""
    return {
        host: RegistryProfile(
            host=host,
            endpoint=HostPort(endpoint, 443),
            realm_hosts=frozenset(HostPort(h, 443) for h in realms),
            builtin=True,
        )
        for host, endpoint, realms in _PUBLIC
    }
