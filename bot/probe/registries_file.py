"""The registries file (``REGISTRY_WHY_REGISTRIES``): which hosts the probe may call, and how.

The file is TOML, one ``[[registry]]`` table per registry, plus an optional ``[probe]`` table of
limits (:class:`~bot.probe.profiles.ProbeOptions`). It is validated once, at start, with
messages that name the table and field to fix. Secrets never live in it: a registry names an
environment variable (``password_env``) or a file (``password_file``) holding its password.
"""

from __future__ import annotations

import re
import ssl
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator

from bot.probe.profiles import (
    AuthScheme,
    ConfigError,
    Credential,
    OAuth2Grant,
    ProbeConfig,
    ProbeEcosystem,
    ProbeOptions,
    RegistryProfile,
    Scheme,
    default_port,
    public_profiles,
    split_host_port,
)
from bot.slack.ids import CHANNEL_ID
from knowledge import Location, Strict, describe_problems, read_paste

_SCOPE = re.compile(r"[a-z0-9@:*?._/-]+")
"""Repository patterns, and package-name patterns (``@acme/*``, ``org.acme:*``)."""
_ENV_NAME = re.compile(r"[A-Z][A-Z0-9_]{0,63}")
"""A password_env value that reads as a variable's name, and so may be quoted in messages."""


class ProbeTable(ProbeOptions):
    """The optional ``[probe]`` table: the probe's options, and whether to add the public
    registries."""

    public_registries: bool = True
    """Probe the well-known public registries (anonymously) even when they are not listed."""


def _host_text(value: str) -> str:
    split_host_port(value, 443)
    return value.strip().lower()


def split_url(text: str) -> tuple[Scheme, str, str]:
    """(scheme, host[:port], path without a trailing slash) of a package registry's base URL;
    raise ValueError, never quoting the URL (it may hold a password)."""
    parts = urlsplit(text.strip())
    if parts.scheme.lower() not in ("https", "http"):
        raise ValueError("url must start with https:// or http://")
    if "@" in parts.netloc:
        raise ValueError("url must not hold a user or password (it is not repeated here); put "
                         "the user in username and the password in password_env")
    if parts.query or parts.fragment:
        raise ValueError("url must have no query or fragment")
    scheme: Scheme = "https" if parts.scheme.lower() == "https" else "http"
    return scheme, _host_text(parts.netloc), parts.path.rstrip("/")


HostText = Annotated[str, Field(min_length=1, max_length=300)]


class RegistryModel(Strict):
    """One ``[[registry]]`` table."""

    host: HostText
    scheme: Scheme = "https"
    username: str | None = Field(default=None, min_length=1, max_length=256)
    authorization: AuthScheme = "basic"
    """``bearer`` sends the password_env/password_file value as a token (npm); no username."""
    password_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    password_file: Path | None = None
    ca_file: Path | None = None
    allow_private: bool = False
    realm_hosts: tuple[HostText, ...] = ()
    probe_scopes: tuple[str, ...] = ()
    allowed_channels: tuple[str, ...] = ()
    oauth2: OAuth2Grant = "off"
    ecosystem: ProbeEcosystem = "oci"
    url: str | None = Field(default=None, min_length=1, max_length=2000)
    """A package registry's base URL; its host and scheme become ``host`` and ``scheme``."""

    @model_validator(mode="before")
    @classmethod
    def _host_from_url(cls, data: object) -> object:
        if isinstance(data, dict) and isinstance(data.get("url"), str):
            scheme, host, _root = split_url(data["url"])
            for key, value in (("host", host), ("scheme", scheme)):
                if key in data and str(data[key]).strip().lower() != value:
                    raise ValueError(f"{key} must match url's (or be left out)")
            data = {**data, "host": host, "scheme": scheme}
        return data

    @model_validator(mode="before")
    @classmethod
    def _no_secret_inline(cls, data: object) -> object:
        if isinstance(data, dict):
            for key in ("password", "token", "secret", "auth"):
                if key in data:
                    raise ValueError(
                        f"{key!r} must not be in this file: put the secret in an environment "
                        "variable named by password_env, or a file named by password_file"
                    )
        return data

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        return _host_text(value)

    @field_validator("realm_hosts")
    @classmethod
    def _realms(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_host_text(v) for v in value)

    @field_validator("probe_scopes")
    @classmethod
    def _scopes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            if not _SCOPE.fullmatch(pattern):
                raise ValueError(
                    f"{pattern!r} is not a repository pattern; use lower-case repository paths "
                    "with * wildcards, like team-a/* or demo/hello"
                )
        return value

    @field_validator("allowed_channels")
    @classmethod
    def _channels(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for channel in value:
            if not CHANNEL_ID.fullmatch(channel):
                raise ValueError(f"{channel!r} is not a Slack channel id (like C0123ABCD)")
        return value

    @model_validator(mode="after")
    def _credential_rules(self) -> RegistryModel:
        sources = [s for s in (self.password_env, self.password_file) if s is not None]
        if len(sources) > 1:
            raise ValueError("give password_env or password_file, not both")
        if self.authorization == "bearer":
            if self.ecosystem == "oci":
                raise ValueError('authorization = "bearer" is for package registries (an npm '
                                 "token); an image registry takes a username and password")
            if self.username is not None:
                raise ValueError('authorization = "bearer" sends a token alone: '
                                 "remove username")
            if not sources:
                raise ValueError('authorization = "bearer" needs password_env or password_file '
                                 "naming where the token is")
        elif self.username is None and sources:
            raise ValueError("a password_env or password_file needs a username "
                             '(or authorization = "bearer" for a token)')
        if self.username is not None or sources:
            if not sources:
                # The username is not quoted: "user:password" is sometimes put there whole.
                raise ValueError(
                    "username needs password_env (an environment variable "
                    "name) or password_file (a path); the password itself never goes here"
                )
            if self.scheme != "https":
                raise ValueError(
                    "a credential is only ever sent over HTTPS; remove username/password_* or "
                    'set scheme = "https"'
                )
            if not self.probe_scopes:
                raise ValueError(
                    "a credential needs probe_scopes: the repository patterns (like team-a/*) "
                    "it may be used to probe"
                )
        return self

    @model_validator(mode="after")
    def _ecosystem_rules(self) -> RegistryModel:
        if self.ecosystem == "oci" and self.url is not None:
            raise ValueError('url is for package registries: give ecosystem (like "npm")')
        if self.ecosystem != "oci":
            if self.url is None:
                raise ValueError(
                    f"a {self.ecosystem} registry needs url, its base URL (like "
                    "https://npm.example.com/repository/npm-group/)"
                )
            if self.realm_hosts or self.oauth2 != "off":
                raise ValueError("realm_hosts and oauth2 are for OCI registries only")
        return self


class RegistriesFile(Strict):
    """The whole file."""

    probe: ProbeTable = ProbeTable()
    registry: tuple[RegistryModel, ...] = ()

    @model_validator(mode="after")
    def _unique_hosts(self) -> RegistriesFile:
        seen: set[str] = set()
        for entry in self.registry:
            key = entry.host if entry.url is None else f"{entry.ecosystem} {entry.url}"
            if key in seen:
                raise ValueError(f"{'host' if entry.url is None else 'url'} {key!r} is listed "
                                 "twice")
            seen.add(key)
        return self


# -- loading ----------------------------------------------------------------------------------


def _valid_host(host: object) -> bool:
    # A malformed host is not named in messages: it may be a URL with a password in it.
    try:
        split_host_port(str(host), 443)
    except ValueError:
        return False
    return isinstance(host, str)


def _describe(error: ValidationError, path: Path, data: Mapping[str, object]) -> str:
    def label(loc: Location) -> str:
        where = ""
        if loc[:1] == ("registry",) and len(loc) > 1 and isinstance(loc[1], int):
            entries = data.get("registry")
            host = None
            if isinstance(entries, list) and loc[1] < len(entries):
                item = entries[loc[1]]
                host = item.get("host") if isinstance(item, dict) else None
            where = f"[[registry]] #{loc[1] + 1}" + (f" ({host})" if _valid_host(host) else "")
            loc = loc[2:]
        elif loc[:1] == ("probe",):
            where, loc = "[probe]", loc[1:]
        field_name = ".".join(str(p) for p in loc)
        return " ".join(p for p in (where, field_name) if p) or "(top level)"

    # Never the input: a value in the wrong field may be a password.
    return f"{path}: " + "; ".join(describe_problems(error, label=label))


def _credential(entry: RegistryModel, environ: Mapping[str, str], where: str) -> Credential | None:
    if entry.password_env is None and entry.password_file is None:
        return None
    username = entry.username or ""
    if entry.password_env is not None:
        value = environ.get(entry.password_env)
        if not value:
            name = entry.password_env
            if _ENV_NAME.fullmatch(name) and not read_paste(name).redactions:
                raise ConfigError(f"{where}: environment variable {name} (password_env) is not "
                                  "set or is empty")
            # Not quoted, as the Slack settings never quote a secret: this may be the password.
            raise ConfigError(
                f"{where}: password_env names no environment variable that is set (its value is "
                "not shown: if it is the password itself, rotate it, put it in an environment "
                "variable and name that variable here, like REGISTRY_PASSWORD)"
            )
        return Credential(username, f"env {entry.password_env}", entry.authorization,
                          _env_value=value)
    assert entry.password_file is not None
    credential = Credential(
        username, f"file {entry.password_file}", entry.authorization,
        _file=entry.password_file
    )
    try:
        credential.password()
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from exc
    return credential


def _check_ca(path: Path, where: str) -> Path:
    try:
        ssl.create_default_context().load_verify_locations(cafile=str(path))
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(
            f"{where}: ca_file {path} is not a readable PEM CA bundle: {exc}"
        ) from exc
    return path


def _profile(
    entry: RegistryModel, builtin: RegistryProfile | None, environ: Mapping[str, str], where: str
) -> RegistryProfile:
    port = default_port(entry.scheme)
    endpoint = builtin.endpoint if builtin else split_host_port(entry.host, port)
    realms = {split_host_port(h, 443) for h in entry.realm_hosts}
    if builtin:
        realms |= builtin.realm_hosts
    return RegistryProfile(
        host=entry.host,
        endpoint=endpoint,
        scheme=entry.scheme,
        credential=_credential(entry, environ, where),
        ca_file=_check_ca(entry.ca_file, where) if entry.ca_file else None,
        allow_private=entry.allow_private,
        realm_hosts=frozenset(realms),
        probe_scopes=entry.probe_scopes,
        allowed_channels=frozenset(entry.allowed_channels),
        oauth2=entry.oauth2,
        ecosystem=entry.ecosystem,
        root=split_url(entry.url)[2] if entry.url else "",
    )


def parse_registries(text: str, *, source: Path, environ: Mapping[str, str]) -> ProbeConfig:
    """Validate registries-file text; raise ConfigError with every problem named.

    ``environ`` is where ``password_env`` names are looked up (bot.settings passes the
    process environment: it is the one reader of the environment).
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from exc
    try:
        parsed = RegistriesFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source, data)) from exc
    builtins = public_profiles()
    registries: dict[str, RegistryProfile] = (
        dict(builtins) if parsed.probe.public_registries else {}
    )
    packages: list[RegistryProfile] = []
    for number, entry in enumerate(parsed.registry, start=1):
        where = f"{source}: [[registry]] #{number} ({entry.host})"
        if entry.ecosystem != "oci":
            packages.append(_profile(entry, None, environ, where))
            continue
        registries[entry.host] = _profile(entry, builtins.get(entry.host), environ, where)
    options = ProbeOptions.model_validate(
        parsed.probe.model_dump(exclude={"public_registries"}))
    return ProbeConfig(registries=registries, options=options, packages=tuple(packages))


def load_registries(path: Path | None, *, environ: Mapping[str, str]) -> ProbeConfig:
    """Load the registries file at ``path``; with None, only the public registries, anonymously.

    ``environ`` is where ``password_env`` names are looked up. Raises ConfigError with a
    message naming the file, table and field to fix.
    """
    if path is None:
        return ProbeConfig(registries=public_profiles())
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the registries file: {exc}") from exc
    return parse_registries(text, source=path, environ=environ)
