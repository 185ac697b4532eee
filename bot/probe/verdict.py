"""A verdict on the class a paste suggested, from what the probe observed.

``confirmed``: the bot sees the same condition from its side. ``refuted``: the bot sees
something the suggested cause cannot coexist with, and the reason says what that means for the
user. ``inconclusive``: the bot cannot tell from where it stands, and the reason says why.

The bot's vantage point is not the user's (network, DNS, trust store, identity), so a
confirmation is about the registry, and a refutation always names what else to look at.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Literal

from bot.probe.observation import Observation, PassResult
from bot.probe.states import (
    ACCESS_DENIED,
    AUTH_INVALID,
    AUTH_REQUIRED,
    DENIED_OR_MISSING,
    DNS,
    MANIFEST_UNKNOWN,
    NOT_A_REGISTRY,
    PLAIN_HTTP,
    PROXY,
    RATE_LIMITED,
    REFUSED,
    REPOSITORY_NOT_FOUND,
    SERVER_ERROR,
    TIMEOUT,
    TLS_EXPIRED,
    TLS_HOSTNAME_MISMATCH,
    TLS_UNKNOWN_AUTHORITY,
    TRANSPORT_OUTCOMES,
    summary,
)

Verdict = Literal["confirmed", "refuted", "inconclusive"]
Judgement = tuple[Verdict, str]

MISSING = frozenset({"manifest-missing", "repo-missing", "missing"})
UNUSABLE = frozenset({"refused", "denied", "credential-rejected", *MISSING})

# What it means when the registry answers normally although the paste blamed the connection.
_TRANSPORT_REFUTED: Mapping[str, str] = {
    DNS: "the name resolves and the registry answers from the bot's network, so the failing "
    "lookup is on your side: split DNS, a VPN that is not connected, or a typo in the host",
    REFUSED: "the registry accepts connections from the bot, so check the port you used and "
    "any firewall that filters by source address on your side",
    TIMEOUT: "the registry answers the bot promptly, so the delay is on your path: egress "
    "filtering, a proxy or a VPN between you and the registry",
    TLS_HOSTNAME_MISMATCH: "the certificate is valid for this host name, so your client reached "
    "the registry under another name or IP, or a proxy presented its own certificate",
    TLS_EXPIRED: "the certificate is valid now, so check your machine's clock (date -u) or "
    "retry: the certificate may have been renewed since",
    PLAIN_HTTP: "the registry speaks TLS on this port, so your client reached a plain-HTTP "
    "endpoint: another port, a proxy, or a registry mirror configured as http",
    PROXY: "the registry answers the bot directly (the bot uses no proxy), so the proxy on "
    "your side is the likely cause",
    NOT_A_REGISTRY: "this host and port answer the registry API, so your client used another "
    "URL, or a proxy or captive portal answered for the registry",
    SERVER_ERROR: "the registry answers normally now, so the server error may have been "
    "transient; retry, and check the registry's status page if it recurs",
}

_PUBLIC = (
    "the image is public and pullable from here without any credential, so your client is "
    "sending a stale or wrong credential for this registry (docker logout {host}, then retry), "
    "or pulling a different name"
)


_WITHHELD = (
    "the bot may only look anonymously for this image, and it cannot pull it: it does not exist "
    "or needs access (the answer does not say which)"
)


def _pullable(obs: Observation) -> PassResult | None:
    return next((p for p in obs.passes() if p.state == "pullable"), None)


def _state(result: PassResult | None) -> str | None:
    return result.state if result else None


def _missing_what(result: PassResult) -> str:
    if result.state == "repo-missing":
        return "the repository does not exist"
    if result.state == "manifest-missing":
        return "the repository exists but this tag or digest does not"
    return "there is no manifest for this reference"


def _first_missing(obs: Observation) -> PassResult | None:
    return next((p for p in obs.passes() if p.state in MISSING), None)


def _stopped(obs: Observation) -> Judgement:
    return (
        "inconclusive",
        f"the bot could not get as far as the image: {summary(obs.outcome)}",
    )


def _pass_trouble(obs: Observation) -> Judgement | None:
    """An inconclusive judgement when no pass gave a usable answer."""
    usable = [p for p in obs.passes() if p.state in UNUSABLE or p.state == "pullable"]
    if usable:
        return None
    last = obs.passes()[-1] if obs.passes() else None
    if last is None:
        return _stopped(obs)
    if last.state == "realm-refused":
        return (
            "inconclusive",
            "the registry sends clients to a token host that is not configured for it, so the "
            "bot did not follow; an operator should check that registry's token realm",
        )
    return ("inconclusive", f"the bot got no clear answer about the image: {summary(last.outcome)}")


# -- per class ---------------------------------------------------------------------------------


def _transport(suspected: str, obs: Observation, host: str) -> Judgement:
    if obs.transport == suspected:
        return ("confirmed", f"the bot sees the same: {summary(suspected)}")
    if suspected == PLAIN_HTTP and obs.reached and obs.scheme == "http":
        return (
            "confirmed",
            f"{host} serves the registry over plain HTTP only; configure your client to treat it "
            "as an insecure registry, or put TLS in front of it",
        )
    if suspected == SERVER_ERROR and any(p.state == "server-failing" for p in obs.passes()):
        return ("confirmed", "the registry answers the bot's manifest request with a server error")
    if not obs.reached:
        return _stopped(obs)
    if suspected in (TLS_UNKNOWN_AUTHORITY, TLS_HOSTNAME_MISMATCH, TLS_EXPIRED) and (
        obs.scheme == "http"
    ):
        return (
            "inconclusive",
            "the bot reaches this registry over plain HTTP (as configured), so it cannot check "
            "its certificate",
        )
    if suspected == TLS_UNKNOWN_AUTHORITY:
        if obs.operator_ca:
            return (
                "inconclusive",
                "the certificate verifies with the CA the operator configured for this registry; "
                "your client must trust that CA too (for Docker: "
                f"/etc/docker/certs.d/{host}/ca.crt)",
            )
        return (
            "refuted",
            "the certificate chain verifies against public CAs from here, so your client's trust "
            "store is stale or incomplete, or a TLS-intercepting proxy sits in between",
        )
    return ("refuted", _TRANSPORT_REFUTED[suspected])


def _auth_required(obs: Observation, host: str) -> Judgement:
    anonymous, credentialed = obs.anonymous, obs.credentialed
    if _state(anonymous) == "pullable":
        return ("refuted", _PUBLIC.format(host=host))
    if obs.withheld and _state(anonymous) in ("refused", *MISSING):
        # One answer for "refused" and "not found", so the bot is no existence oracle.
        return ("inconclusive", _WITHHELD)
    if _state(anonymous) in ("refused", "denied"):
        if _state(credentialed) == "pullable":
            return (
                "confirmed",
                "anonymous pulls are refused and the operator's pull account can pull it: the "
                f"repository is private, so log in first (docker login {host})",
            )
        return (
            "confirmed",
            f"anonymous pulls are refused from here too, so log in first (docker login {host}); "
            "without a credential the bot cannot tell whether the repository exists",
        )
    if anonymous is not None and anonymous.state in MISSING:
        return (
            "refuted",
            f"the registry answers anonymous requests, and {_missing_what(anonymous)}: the "
            "problem is the name, not a login",
        )
    return _pass_trouble(obs) or ("inconclusive", "the bot got no clear answer about access")


def _invalid_credentials(obs: Observation, host: str, *, expired: bool) -> Judgement:
    credentialed = obs.credentialed
    if _state(credentialed) == "credential-rejected" and not expired:
        return (
            "confirmed",
            "the registry rejects the operator's pull credential as well: its login service may "
            "be failing, or both credentials are stale",
        )
    if credentialed is not None and credentialed.state in ("pullable", "denied", *MISSING):
        return (
            "inconclusive",
            "the registry accepts the operator's pull credential, so its login service works; "
            f"the credential your client sends is the likely problem: log in again "
            f"(docker login {host}){' and check how your tokens are refreshed' if expired else ''}",
        )
    if _state(obs.anonymous) == "pullable":
        return (
            "inconclusive",
            "the image is public: with no credential (docker logout "
            f"{host}) the pull would work; the bot never sees your credential",
        )
    return (
        "inconclusive",
        "the bot has no credential it may use for this image and never sees yours, so it "
        "cannot check the login",
    )


def _access_denied(obs: Observation, host: str) -> Judgement:
    anonymous, credentialed = obs.anonymous, obs.credentialed
    if _state(anonymous) == "pullable":
        return ("refuted", _PUBLIC.format(host=host))
    if _state(credentialed) == "denied":
        return (
            "confirmed",
            "the operator's pull account is denied too (the registry may also say this for a "
            "repository that does not exist)",
        )
    if _state(credentialed) == "pullable":
        return (
            "inconclusive",
            "the image exists and the operator's pull account can pull it, so the denial is "
            "specific to the identity your client uses, or your client is not logged in",
        )
    missing = _first_missing(obs)
    if missing is not None and missing.state != "missing" and not obs.withheld:
        return (
            "refuted",
            f"{_missing_what(missing)}; some registries report a missing image as 'denied'",
        )
    if _state(anonymous) in ("refused", "denied") or obs.withheld:
        return (
            "inconclusive",
            "anonymous pulls are refused, and without a credential it may use the bot cannot "
            "tell 'denied' from 'does not exist'",
        )
    return _pass_trouble(obs) or ("inconclusive", "the bot got no clear answer about access")


def _denied_or_missing(obs: Observation, host: str) -> Judgement:
    if _state(obs.anonymous) == "pullable":
        return (
            "refuted",
            "the image is public and pullable from here: check the exact name you pulled, or "
            f"log out (docker logout {host}) if your client sends a stale credential",
        )
    if _state(obs.credentialed) == "pullable":
        return (
            "confirmed",
            "the image exists and needs a login: docker login "
            f"{host} with an account that has access",
        )
    missing = _first_missing(obs)
    if missing is not None and not obs.withheld:
        return ("confirmed", f"{_missing_what(missing)}")
    if _state(obs.credentialed) == "denied":
        return ("confirmed", "the operator's pull account cannot pull it either")
    if _state(obs.anonymous) in ("refused", "denied") or obs.withheld:
        return (
            "confirmed",
            "anonymous pulls are refused from here too; log in, and if you are logged in, check "
            "the name (the registry does not say whether it exists)",
        )
    return _pass_trouble(obs) or ("inconclusive", "the bot got no clear answer about the image")


def _repository_not_found(obs: Observation, host: str) -> Judgement:
    states = {p.state for p in obs.passes()}
    if "repo-missing" in states:
        return ("confirmed", "the registry lists no such repository")
    if "manifest-missing" in states:
        return ("refuted", "the repository exists; it is the tag or digest that is missing")
    if "pullable" in states:
        return ("refuted", "the repository exists and the image is pullable from here")
    if "missing" in states and not obs.withheld:
        return (
            "inconclusive",
            "there is no manifest for this reference, but whether the repository exists could "
            "not be told from here",
        )
    if states & {"refused", "denied"} or obs.withheld:
        return (
            "inconclusive",
            "the registry refuses the bot, and it answers 'not found' and 'denied' alike",
        )
    return _pass_trouble(obs) or ("inconclusive", "the bot got no clear answer about the image")


def _manifest_unknown(obs: Observation, host: str) -> Judgement:
    states = {p.state for p in obs.passes()}
    pullable = _pullable(obs)
    if "manifest-missing" in states:
        return ("confirmed", "the repository exists, and this tag or digest does not")
    if "repo-missing" in states:
        return ("refuted", "the whole repository does not exist, not just this tag")
    if "missing" in states and not obs.withheld:
        return (
            "confirmed",
            "the registry has no manifest for this reference (whether the repository exists "
            "could not be told)",
        )
    if pullable is not None and pullable.oci_only:
        return (
            "refuted",
            "the image exists, but only as an OCI image; a client that does not accept OCI media "
            "types gets 'manifest unknown' for it: upgrade the client (or the mirror in between)",
        )
    if pullable is not None:
        return (
            "refuted",
            "this tag exists and is pullable from here: check the exact tag or digest, and "
            "which registry or mirror your client pulled from",
        )
    if states & {"refused", "denied"} or obs.withheld:
        return ("inconclusive", "the registry refuses the bot, so it cannot see the tags")
    return _pass_trouble(obs) or ("inconclusive", "the bot got no clear answer about the image")


def _unsupported_manifest(obs: Observation, host: str) -> Judgement:
    pullable = _pullable(obs)
    if pullable is not None and pullable.oci_only:
        return (
            "confirmed",
            "the image is stored as OCI, and a client accepting only Docker media types cannot "
            "get it: upgrade the client",
        )
    if pullable is not None:
        return (
            "inconclusive",
            f"the image is stored as {pullable.content_type or 'an unknown type'} and served "
            "to Docker-only clients too; the problem is likely in the client or a mirror",
        )
    return _pass_trouble(obs) or ("inconclusive", "the bot could not read the manifest type")


def _no_matching_platform(obs: Observation, host: str) -> Judgement:
    pullable = _pullable(obs)
    if pullable is not None:
        content_type = pullable.content_type or ""
        kind = (
            "a multi-platform index"
            if "index" in content_type or "list" in content_type
            else "a single-platform manifest"
        )
        return (
            "inconclusive",
            f"the image exists as {kind}; the probe reads manifest headers only, so it cannot "
            "list the platforms (docker manifest inspect shows them)",
        )
    missing = _first_missing(obs)
    if missing is not None and not obs.withheld:
        return ("refuted", f"{_missing_what(missing)}, so no platform of it can be pulled")
    return _pass_trouble(obs) or ("inconclusive", "the bot got no clear answer about the image")


def _rate_limited(obs: Observation, host: str) -> Judgement:
    if obs.transport == RATE_LIMITED or any(p.state == "throttled" for p in obs.passes()):
        return (
            "confirmed",
            "the registry throttles the bot as well (that is the bot's quota, not yours, "
            "but the registry is limiting pulls)",
        )
    quota = next((p for p in obs.passes() if p.ratelimit_remaining is not None), None)
    if quota is not None and quota.ratelimit_remaining == 0:
        return ("confirmed", "the bot's own quota here is used up as well")
    if quota is not None:
        return (
            "inconclusive",
            f"the bot has {quota.ratelimit_remaining} of {quota.ratelimit_limit} pulls left, but "
            "that is the bot's quota; yours is counted by your address or account",
        )
    if not obs.reached:
        return _stopped(obs)
    return (
        "inconclusive",
        "the registry does not throttle the bot; your own limit (by your address or account) "
        "cannot be seen from here",
    )


def _clock_skew(obs: Observation, host: str) -> Judgement:
    if obs.transport == TLS_EXPIRED:
        return (
            "refuted",
            "the certificate really is outside its validity period by the bot's clock too: "
            "the registry must renew it; your clock is not the cause",
        )
    if obs.reached:
        return (
            "inconclusive",
            "the certificate and tokens are valid by the bot's clock; compare your clock with "
            "date -u",
        )
    return _stopped(obs)


_BY_CLASS: Mapping[str, Callable[[Observation, str], Judgement]] = {
    AUTH_REQUIRED: _auth_required,
    "no-basic-auth-credentials": _auth_required,
    AUTH_INVALID: lambda obs, host: _invalid_credentials(obs, host, expired=False),
    "token-expired": lambda obs, host: _invalid_credentials(obs, host, expired=True),
    ACCESS_DENIED: _access_denied,
    DENIED_OR_MISSING: _denied_or_missing,
    REPOSITORY_NOT_FOUND: _repository_not_found,
    MANIFEST_UNKNOWN: _manifest_unknown,
    "manifest-invalid-or-unsupported": _unsupported_manifest,
    "no-matching-platform": _no_matching_platform,
    RATE_LIMITED: _rate_limited,
    "clock-skew": _clock_skew,
}


JUDGED_CLASSES = frozenset(_BY_CLASS) | TRANSPORT_OUTCOMES
"""Classes with a specific rule; any other class gets the generic "client side" answer."""


def judge(suspected: str, obs: Observation, host: str) -> Judgement:
    """The verdict on ``suspected`` (a class id) given what the probe observed at ``host``."""
    if suspected in TRANSPORT_OUTCOMES:
        return _transport(suspected, obs, host)
    rule = _BY_CLASS.get(suspected)
    if rule is not None:
        if not obs.reached and suspected not in (RATE_LIMITED, "clock-skew"):
            return _stopped(obs)
        return rule(obs, host)
    return (
        "inconclusive",
        "the probe checks pulls from the registry's side; this cause lies in the client, the "
        f"local machine or a push, which it cannot see (from here: {summary(obs.outcome)})",
    )
