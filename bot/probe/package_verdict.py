"""A verdict on the class a package-registry paste suggested, from what the probe observed.

The same three verdicts as for images (:mod:`bot.probe.verdict`), with advice in the package
clients' own terms (``.npmrc``, ``pip.conf``, ``settings.xml``, ``NuGet.Config``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from bot.probe.observation import Observation, PassResult
from bot.probe.package_names import PackageEcosystem, PackageTarget
from bot.probe.states import (
    ACCESS_DENIED,
    AUTH_INVALID,
    AUTH_REQUIRED,
    DNS,
    PACKAGE_NOT_FOUND,
    PLAIN_HTTP,
    PROXY,
    RATE_LIMITED,
    REFUSED,
    REGISTRY_MISCONFIGURED,
    SERVER_ERROR,
    TIMEOUT,
    TLS_EXPIRED,
    TLS_HOSTNAME_MISMATCH,
    TLS_UNKNOWN_AUTHORITY,
)
from bot.probe.states import summary as image_summary
from bot.probe.verdict import Judgement

CONFIG_FILE: Mapping[PackageEcosystem, str] = {
    "npm": ".npmrc",
    "pypi": "pip.conf (or PIP_INDEX_URL)",
    "maven": "settings.xml",
    "nuget": "NuGet.Config",
}
TRUST: Mapping[PackageEcosystem, str] = {
    "npm": "cafile in .npmrc, or NODE_EXTRA_CA_CERTS",
    "pypi": "pip --cert, or PIP_CERT",
    "maven": "a Java truststore (-Djavax.net.ssl.trustStore)",
    "nuget": "the system trust store",
}
TRANSPORT = frozenset(
    {DNS, REFUSED, TIMEOUT, TLS_UNKNOWN_AUTHORITY, TLS_HOSTNAME_MISMATCH, TLS_EXPIRED,
     PLAIN_HTTP, PROXY, SERVER_ERROR}
)
_MISSING = frozenset({"repo-missing", "manifest-missing"})
_ANSWERED = frozenset({"pullable", "refused", "denied", "credential-rejected", "missing",
                       *_MISSING})

_TRANSPORT_REFUTED: Mapping[str, str] = {
    DNS: "the name resolves and the registry answers from the bot's network, so the failing "
    "lookup is on your side: split DNS, a VPN that is not connected, or a typo in the URL",
    REFUSED: "the registry accepts connections from the bot, so check the port in the URL you "
    "used and any firewall on your side",
    TIMEOUT: "the registry answers the bot promptly, so the delay is on your path: egress "
    "filtering, a proxy or a VPN between you and the registry",
    TLS_HOSTNAME_MISMATCH: "the certificate is valid for this host name, so your client used "
    "another name or IP in the URL, or a proxy presented its own certificate",
    TLS_EXPIRED: "the certificate is valid now, so check your machine's clock (date -u) or "
    "retry: it may have been renewed since",
    PLAIN_HTTP: "the registry speaks TLS on this port, so your client reached a plain-HTTP "
    "endpoint: another port, a proxy, or an http:// URL in the client's configuration",
    PROXY: "the registry answers the bot directly (the bot uses no proxy), so the proxy on "
    "your side is the likely cause",
    SERVER_ERROR: "the registry answers normally now, so the server error may have been "
    "transient; retry, and check the registry's status if it recurs",
}


SUMMARY: Mapping[str, str] = {
    "ok": "the package can be fetched from here",
    AUTH_REQUIRED: "the registry refuses anonymous requests for this package",
    ACCESS_DENIED: "the credential is accepted but not allowed this package",
    PACKAGE_NOT_FOUND: "the package, or the version asked for, is not in this registry",
    REGISTRY_MISCONFIGURED: "the URL does not answer as this kind of package registry",
}


def summary(outcome: str | None) -> str:
    """A short sentence for a package probe's outcome."""
    return SUMMARY.get(outcome or "", "") or image_summary(outcome)


def _state(result: PassResult | None) -> str | None:
    return result.state if result else None


def _missing_what(result: PassResult, target: PackageTarget) -> str:
    if result.state == "manifest-missing":
        return f"the package exists, but version {target.version} does not"
    return f"the registry has no package {target.name}"


def _stopped(obs: Observation) -> Judgement:
    return ("inconclusive", f"the bot could not get as far as the package: {summary(obs.outcome)}")


def _unclear(obs: Observation, about: str) -> Judgement:
    if not obs.reached:
        return _stopped(obs)
    last = obs.passes()[-1] if obs.passes() else None
    seen = summary(last.outcome) if last is not None else summary(obs.outcome)
    return ("inconclusive", f"the bot got no clear answer about {about}: {seen}")


def _transport(suspected: str, obs: Observation, target: PackageTarget) -> Judgement:
    if obs.transport == suspected:
        return ("confirmed", f"the bot sees the same: {summary(suspected)}")
    if any(p.outcome == suspected for p in obs.passes()):
        # Answered at first, then this on a later request (a 5xx, a proxy, a stalled read).
        return ("confirmed", f"the bot's metadata request gets the same: {summary(suspected)}")
    if not obs.reached:
        return _stopped(obs)
    tls = (TLS_UNKNOWN_AUTHORITY, TLS_HOSTNAME_MISMATCH, TLS_EXPIRED)
    if suspected in tls and obs.scheme == "http":
        return ("inconclusive", "the bot reaches this registry over plain HTTP (as configured), "
                "so it cannot check its certificate")
    if suspected == PLAIN_HTTP and obs.scheme == "http":
        return ("confirmed", "this registry is served over plain HTTP only; use an http:// URL "
                "in your client, or put TLS in front of it")
    if suspected == TLS_UNKNOWN_AUTHORITY:
        if obs.operator_ca:
            return ("inconclusive", "the certificate verifies with the CA the operator "
                    "configured for this registry; your client must trust that CA too "
                    f"({TRUST[target.ecosystem]})")
        return ("refuted", "the certificate chain verifies against public CAs from here, so "
                "your client's trust store is stale or incomplete, or a TLS-intercepting proxy "
                "sits in between")
    return ("refuted", _TRANSPORT_REFUTED[suspected])


def _misconfigured(obs: Observation, target: PackageTarget) -> Judgement:
    if obs.outcome == REGISTRY_MISCONFIGURED or any(
        p.outcome == REGISTRY_MISCONFIGURED for p in obs.passes()
    ):
        return ("confirmed", "the configured URL does not answer as a "
                f"{target.ecosystem} registry from here either")
    if any(p.state in _ANSWERED for p in obs.passes()):
        return ("refuted", f"this URL answers as a {target.ecosystem} registry from here; if "
                "your client says otherwise, it uses another URL: check "
                f"{CONFIG_FILE[target.ecosystem]}")
    return _unclear(obs, "the registry")


def _auth_required(obs: Observation, target: PackageTarget) -> Judgement:
    anonymous, credentialed = obs.anonymous, obs.credentialed
    if _state(anonymous) == "pullable":
        return ("refuted", "the package can be fetched from here without any credential, so "
                "your client sends a stale or wrong one, or asks another registry: check "
                f"{CONFIG_FILE[target.ecosystem]}")
    if obs.withheld and _state(anonymous) == "missing":
        return ("inconclusive", "the bot may only look anonymously for this package, and it "
                "cannot fetch it: it does not exist or needs access (the answer does not say "
                "which)")
    if _state(anonymous) in ("refused", "denied"):
        if _state(credentialed) == "pullable":
            return ("confirmed", "anonymous requests are refused and the operator's account "
                    "can fetch it: log in first (credentials for this registry in "
                    f"{CONFIG_FILE[target.ecosystem]})")
        return ("confirmed", "anonymous requests are refused from here too: log in first "
                f"(credentials for this registry in {CONFIG_FILE[target.ecosystem]})")
    if anonymous is not None and anonymous.state in _MISSING:
        if _state(credentialed) == "pullable":
            return ("confirmed", "without a login the registry says the package does not "
                    "exist, and with the operator's account it is there: it is private, so "
                    "log in first")
        if credentialed is not None and credentialed.state in _MISSING:
            return ("refuted", f"{_missing_what(credentialed, target)}, with a login too: the "
                    "problem is the name, not a login")
        return ("inconclusive", f"anonymously, {_missing_what(anonymous, target)}; some "
                "registries hide private packages that way, so check the name and whether "
                "you are logged in")
    return _unclear(obs, "access")


def _invalid_credentials(obs: Observation, target: PackageTarget) -> Judgement:
    credentialed = obs.credentialed
    if _state(credentialed) == "credential-rejected":
        return ("confirmed", "the registry rejects the operator's credential as well: its login "
                "service may be failing, or both credentials are stale")
    if credentialed is not None and credentialed.state in ("pullable", "denied", *_MISSING):
        return ("inconclusive", "the registry accepts the operator's credential, so its login "
                "works; the credential your client sends is the likely problem: renew it in "
                f"{CONFIG_FILE[target.ecosystem]}")
    if _state(obs.anonymous) == "pullable":
        return ("inconclusive", "the package is public: with no credential at all the request "
                "would work; the bot never sees your credential")
    return ("inconclusive", "the bot has no credential it may use for this package and never "
            "sees yours, so it cannot check the login")


def _access_denied(obs: Observation, target: PackageTarget) -> Judgement:
    anonymous, credentialed = obs.anonymous, obs.credentialed
    if _state(anonymous) == "pullable":
        return ("refuted", "the package can be fetched from here without any credential: your "
                "client sends a credential the registry treats differently, or asks another "
                "registry")
    if _state(credentialed) == "denied":
        return ("confirmed", "the operator's account is refused too")
    if _state(credentialed) == "pullable":
        return ("inconclusive", "the operator's account can fetch it, so the refusal is "
                "specific to the identity your client uses")
    missing = next((p for p in obs.passes() if p.state in _MISSING), None)
    if missing is not None and not obs.withheld:
        return ("refuted", f"{_missing_what(missing, target)}; some registries report a "
                "missing package as 'forbidden'")
    if _state(anonymous) in ("refused", "denied", "missing"):
        return ("inconclusive", "anonymous requests are refused, and without a credential it "
                "may use the bot cannot tell 'denied' from 'does not exist'")
    return _unclear(obs, "access")


def _not_found(obs: Observation, target: PackageTarget) -> Judgement:
    if any(p.state == "pullable" for p in obs.passes()):
        which = f"version {target.version}" if target.version else "the package"
        return ("refuted", f"{which} is there and can be fetched from here: check which "
                f"registry your client asks ({CONFIG_FILE[target.ecosystem]}, scope or "
                "mirror settings) and the exact name")
    missing = next((p for p in reversed(obs.passes()) if p.state in _MISSING), None)
    if missing is not None:
        return ("confirmed", _missing_what(missing, target))
    if obs.withheld and _state(obs.anonymous) == "missing":
        return ("confirmed", "the bot cannot fetch it either: it does not exist or needs "
                "access (the answer does not say which)")
    if _state(obs.credentialed) == "denied":
        return ("inconclusive", "the operator's account is refused, so whether it exists "
                "cannot be told from here")
    if _state(obs.anonymous) in ("refused", "denied"):
        return ("inconclusive", "the registry refuses anonymous requests, so the bot cannot "
                "see whether the package exists; log in, then check the name")
    return _unclear(obs, "the package")


def _rate_limited(obs: Observation, target: PackageTarget) -> Judgement:
    if any(p.state == "throttled" for p in obs.passes()):
        return ("confirmed", "the registry throttles the bot as well (the bot's own quota, but "
                "the registry is limiting requests)")
    if not obs.reached:
        return _stopped(obs)
    return ("inconclusive", "the registry does not throttle the bot; your own limit (by your "
            "address or account) cannot be seen from here")


_BY_CLASS: Mapping[str, Callable[[Observation, PackageTarget], Judgement]] = {
    REGISTRY_MISCONFIGURED: _misconfigured,
    AUTH_REQUIRED: _auth_required,
    AUTH_INVALID: _invalid_credentials,
    ACCESS_DENIED: _access_denied,
    PACKAGE_NOT_FOUND: _not_found,
    RATE_LIMITED: _rate_limited,
}


def judge_package(suspected: str, obs: Observation, target: PackageTarget) -> Judgement:
    """The verdict on ``suspected`` (a class id) given what the probe observed for ``target``."""
    if suspected in TRANSPORT:
        return _transport(suspected, obs, target)
    rule = _BY_CLASS.get(suspected)
    if rule is None:
        return ("inconclusive", "the probe checks the registry's metadata for the package; this "
                "cause lies in the client, the download or the local machine, which it cannot "
                f"see (from here: {summary(obs.outcome)})")
    if not obs.reached and suspected != REGISTRY_MISCONFIGURED:
        return _stopped(obs)
    return rule(obs, target)
