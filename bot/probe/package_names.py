"""Package names and versions as each ecosystem spells them, checked before anything is sent.

The name comes from a user's paste or command, and becomes part of a URL path on a registry
the operator trusts the bot with: only names in the ecosystem's own grammar pass, so nothing
typed can add a path segment, a query or a dot-dot to that URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, get_args

from bot.errors import RegistryWhyError

PackageEcosystem = Literal["npm", "pypi", "maven", "nuget"]
"""The package ecosystems the probe can ask a registry about."""
PACKAGE_ECOSYSTEMS: frozenset[str] = frozenset(get_args(PackageEcosystem))

# validate-npm-package-name: at most 214 characters, URL-safe, not starting with . or _
# (upper case is refused for new packages only, so old names keep it).
_NPM = re.compile(r"(?:@[A-Za-z0-9~-][A-Za-z0-9._~-]*/)?[A-Za-z0-9~-][A-Za-z0-9._~-]*")
# PEP 508 names; PEP 503 normalisation folds runs of - _ . into one -.
_PYPI = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")
_PYPI_RUN = re.compile(r"[-_.]+")
# Maven coordinates: dotted group segments (never empty, so no "." or ".." path segment).
_MAVEN_GROUP = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*")
_MAVEN_PART = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*")
# NuGet ids: at most 100 characters of letters, digits, . _ -.
_NUGET = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,98}[A-Za-z0-9_])?")
_VERSION = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._+!-]{0,127}")
"""An exact version (or an npm dist-tag): no range operators, no spaces, no slashes."""


class InvalidPackage(RegistryWhyError):
    """The name does not fit the ecosystem's grammar; nothing was sent. Safe to show."""


@dataclass(frozen=True)
class PackageTarget:
    """One package (and maybe one version) in one ecosystem, checked against its grammar."""

    ecosystem: PackageEcosystem
    name: str
    """As the ecosystem spells it: ``@acme/ui``, ``Django``, ``org.acme:core``, ``Serilog``."""
    key: str
    """The canonical name ``probe_scopes`` patterns match and the cache keys on: the npm name,
    the PEP 503 name, ``group:artifact``, the lower-case NuGet id."""
    version: str | None = None
    """An exact version (or npm dist-tag) to check, else None."""
    unchecked: str | None = None
    """A version that was given but cannot be checked (a range), for the evidence."""

    def __str__(self) -> str:
        if self.version is None:
            return self.name
        joiner = {"npm": "@", "pypi": "==", "maven": ":", "nuget": " "}[self.ecosystem]
        return f"{self.name}{joiner}{self.version}"


def pep503(name: str) -> str:
    """The PEP 503 normalised project name: lower case, runs of ``-_.`` made one ``-``."""
    return _PYPI_RUN.sub("-", name).lower()


def _key(ecosystem: PackageEcosystem, name: str) -> str | None:
    """The canonical name, or None when ``name`` is not one in ``ecosystem``."""
    if ecosystem == "npm":
        return name if len(name) <= 214 and _NPM.fullmatch(name) else None
    if ecosystem == "pypi":
        return pep503(name) if _PYPI.fullmatch(name) else None
    if ecosystem == "maven":
        group, colon, artifact = name.partition(":")
        ok = colon and _MAVEN_GROUP.fullmatch(group) and _MAVEN_PART.fullmatch(artifact)
        return name if ok else None
    return name.lower() if _NUGET.fullmatch(name) else None


def package_target(ecosystem: str, name: str, version: str | None = None) -> PackageTarget:
    """Check ``name`` (and ``version``) for ``ecosystem``; raise InvalidPackage if they do not fit.

    A version that is not exact (``^1.2``, ``>=2,<3``) is kept aside as ``unchecked``: the
    probe then asks about the package alone.
    """
    if ecosystem not in PACKAGE_ECOSYSTEMS:
        raise InvalidPackage(
            f"the probe checks npm, pypi, maven and nuget registries, not {ecosystem[:20]!r}"
        )
    eco: PackageEcosystem = ecosystem  # type: ignore[assignment]  # checked just above
    name = name.strip()
    key = _key(eco, name)
    if key is None:
        raise InvalidPackage(f"{name[:100]!r} is not a valid {eco} package name")
    version = (version or "").strip() or None
    if version is not None and not _VERSION.fullmatch(version):
        return PackageTarget(eco, name, key, None, unchecked=version[:40])
    return PackageTarget(eco, name, key, version)


def split_spec(ecosystem: str, spec: str) -> tuple[str, str | None]:
    """``name`` and ``version`` from a command argument: ``@acme/ui@1.2.0``, ``requests==2.31``,
    ``org.acme:core:1.0`` (or ``org.acme:core@1.0``), ``Newtonsoft.Json@13.0.1``."""
    spec = spec.strip()
    if ecosystem == "pypi" and "==" in spec:
        name, _, version = spec.partition("==")
        return name.strip(), version.strip() or None
    if ecosystem == "maven" and spec.count(":") == 2 and "@" not in spec:
        name, _, version = spec.rpartition(":")
        return name, version or None
    at = spec.rfind("@")
    if at > 0:
        return spec[:at], spec[at + 1 :] or None
    return spec, None
