"""The package probe's front door: one package in, a :class:`PackageProbeResult` out.

Front ends call :func:`probe_package` with what a diagnosis found in the paste (its
``Context``: ``ecosystem``, ``package``, ``package_version``, ``registry_url``) or what a
command named. Only package registries the operator listed (``ecosystem = "npm"`` ... with a
``url``) are probed, under the image probe's policy: pinned and checked addresses, the
per-person rate limit and caps, the shared cache, the credential only within ``probe_scopes``
and ``allowed_channels``, and every call audited.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from bot.probe.cache import ProbeCache, ProbeKey, limiter_of, observe_through
from bot.probe.evidence import sanitize
from bot.probe.observation import Observation
from bot.probe.package_names import InvalidPackage, PackageTarget, package_target
from bot.probe.package_sequence import observe_package
from bot.probe.package_verdict import judge_package
from bot.probe.policy import ProbeRefused
from bot.probe.profiles import ProbeConfig, RegistryProfile
from bot.probe.run import (
    ProbeResult,
    Requester,
    audit_probe,
    choose_tier,
    over_quota,
    report_failure,
    to_json,
)


@dataclass(frozen=True)
class PackageProbeResult(ProbeResult):
    """A :class:`ProbeResult` about a package (``image`` holds a label for it), so every
    renderer of image probes shows it as is; ``ephemeral`` rules the same way."""

    ecosystem: str = ""
    package: str = ""
    """The package as asked for, with its version if one was checked."""
    registry: str | None = None
    """The listed registry's base URL that was probed, None when none was."""


def registry_label(profile: RegistryProfile) -> str:
    """The listed base URL: ``https://npm.example.com/repository/npm-group/``."""
    return f"{profile.base_url}{profile.root}/"


def _origin_path(url: str) -> tuple[str, str, int, str] | None:
    """(scheme, host, port, path without a trailing slash) of a URL, None if it is not one."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or (443 if scheme == "https" else 80), (
        parts.path.rstrip("/"))


def find_package_registry(
    config: ProbeConfig, ecosystem: str, registry_url: str
) -> RegistryProfile | None:
    """The listed registry of ``ecosystem`` that ``registry_url`` is at or under (the longest
    base path wins), else None."""
    where = _origin_path(registry_url)
    if where is None:
        return None
    scheme, host, port, path = where
    best: RegistryProfile | None = None
    for profile in config.packages:
        if (profile.ecosystem, profile.scheme, profile.endpoint.host, profile.endpoint.port) != (
            ecosystem, scheme, host, port
        ):
            continue
        if (path == profile.root or path.startswith(profile.root + "/")) and (
            best is None or len(profile.root) > len(best.root)
        ):
            best = profile
    return best


def _shown_url(url: str) -> str:
    """A URL the user gave, safe to quote: no user or password, sanitised, short."""
    where = _origin_path(url)
    if where is None:
        return "an unreadable URL"
    scheme, host, port, path = where
    host = f"[{host}]" if ":" in host else host
    return sanitize(f"{scheme}://{host}:{port}{path}", 120)


async def probe_package(
    ecosystem: str,
    name: str,
    *,
    version: str | None = None,
    registry_url: str | None = None,
    suspected: str | None = None,
    requester: Requester | None = None,
    config: ProbeConfig,
    cache: ProbeCache | None = None,
) -> PackageProbeResult:
    """Probe the package registry at ``registry_url`` for ``name`` (and ``version``) and judge
    ``suspected`` (a class id) against what it saw.

    ``registry_url`` may be any URL at or under a listed registry's ``url`` (the client's
    registry or index URL, or a metadata URL from the paste). Without one, the only listed
    registry of the ecosystem is probed, if there is exactly one. Never raises (but for
    cancellation); a probe the policy forbids comes back with ``refused`` set. Every call is
    written to the ``bot.probe.audit`` log.
    """
    started = time.monotonic()
    # Until the name is checked it is the user's text: shown (and logged) only sanitised.
    label = sanitize(f"{ecosystem[:20]} package {name[:100]}"
                     + (f"@{version[:40]}" if version else ""))
    try:
        target = package_target(ecosystem, name, version)
    except InvalidPackage as invalid:
        result = PackageProbeResult.unconcluded(
            label, "", suspected, sanitize(str(invalid)), ecosystem=ecosystem[:20],
            package=label.partition(" package ")[2])
    else:
        label = f"{ecosystem} package {target}"
        try:
            result = await _probe(target, label, registry_url, suspected, requester, config,
                                  cache)
        except Exception as exc:  # a bug must cost neither the answer nor the audit line
            result = _failed(target, label, registry_url, suspected, requester, config, exc)
    result = replace(result, elapsed_ms=round((time.monotonic() - started) * 1000))
    audit_probe(result, requester, "package")
    return result


def pick_registry(
    config: ProbeConfig, target: PackageTarget, registry_url: str | None
) -> tuple[RegistryProfile | None, str | None, str]:
    """(the registry to probe, a note on how it was chosen, or why none was)."""
    if registry_url is not None:
        profile = find_package_registry(config, target.ecosystem, registry_url)
        why = (f"{_shown_url(registry_url)} is not a {target.ecosystem} registry this bot may "
               "probe (not listed)")
        return profile, None, why
    listed = [p for p in config.packages if p.ecosystem == target.ecosystem]
    if len(listed) == 1:
        note = (f"no registry URL was given; probed the only {target.ecosystem} registry "
                "configured")
        return listed[0], note, ""
    return None, None, (
        f"no registry URL was given, and {len(listed)} {target.ecosystem} registries are "
        "listed: say which one"
    )


async def _probe(
    target: PackageTarget,
    label: str,
    registry_url: str | None,
    suspected: str | None,
    requester: Requester | None,
    config: ProbeConfig,
    cache: ProbeCache | None,
) -> PackageProbeResult:
    profile, note, why = pick_registry(config, target, registry_url)
    if profile is None:
        return _refused(label, target, suspected, why)
    label = f"{label} at {registry_label(profile)}"
    limiter = limiter_of(cache, config.options)
    too_many = await over_quota(limiter, requester, config.options)
    if too_many is not None:
        return _refused(label, target, suspected, too_many)
    tier, withheld = choose_tier(profile, target.key, requester)
    key = ProbeKey(f"{target.ecosystem}+{registry_label(profile)}", target.key,
                   target.version or "", tier)

    async def run() -> Observation:
        async with limiter.slot(profile.endpoint.host, requester.user if requester else None):
            return await observe_package(
                profile, target, tier=tier, withheld=withheld, options=config.options,
                resolver=config.resolver,
            )

    try:
        obs, shared = await observe_through(cache, key, run, config.options)
    except ProbeRefused as refused:
        return _refused(label, target, suspected, refused.reason)
    notes = [sanitize(n) for n in (note,) if n]
    if target.unchecked:
        notes.append(sanitize(f"version {target.unchecked} is not one exact version: only the "
                              "package was checked"))
    verdict, reason = judge_package(suspected, obs, target) if suspected else (None, None)
    return PackageProbeResult(
        image=label,
        host=profile.endpoint.host,
        outcome=obs.outcome,
        verdict=verdict,
        verdict_reason=reason,
        evidence=(*notes, *obs.all_evidence()),
        elapsed_ms=obs.elapsed_ms,
        tier=tier,
        suspected=suspected,
        cached=shared,
        ecosystem=target.ecosystem,
        package=str(target),
        registry=registry_label(profile),
    )


def _refused(
    label: str, target: PackageTarget, suspected: str | None, reason: str
) -> PackageProbeResult:
    return PackageProbeResult.unconcluded(
        label, "", suspected, sanitize(f"not probed: {reason}"), refused=sanitize(reason),
        ecosystem=target.ecosystem, package=str(target))


def _failed(
    target: PackageTarget,
    label: str,
    registry_url: str | None,
    suspected: str | None,
    requester: Requester | None,
    config: ProbeConfig,
    exc: Exception,
) -> PackageProbeResult:
    """The answer when the probe itself failed: nothing concluded, and the operator told."""
    shown = report_failure(f"package probe of {label}", exc)
    profile = pick_registry(config, target, registry_url)[0]
    # The tier it would have used, so a result that could have used the credential stays private.
    tier = choose_tier(profile, target.key, requester)[0] if profile else "anonymous"
    return PackageProbeResult.unconcluded(label, "", suspected, shown, tier=tier,
                                          ecosystem=target.ecosystem, package=str(target))


def package_to_json(result: PackageProbeResult) -> dict[str, Any]:
    """The ``probe --ecosystem ... --json`` object: the image probe's fields (``image`` is the
    label) and ``ecosystem``, ``package``, ``registry``."""
    return {**to_json(result), "ecosystem": result.ecosystem, "package": result.package,
            "registry": result.registry}
