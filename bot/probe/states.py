"""The probe's two vocabularies, side by side so they are never mixed up.

*Outcomes* are class ids of the knowledge base (the cause as seen from the bot), ``ok`` when
the image or package can be fetched from here, or None when the probe saw something it cannot
name; each has a short sentence (:data:`SUMMARY`). *States* say how one step ended (a pass of
requests with one credential tier, or a token request); they are the probe's own words, and
none of them is a class id: a throttled pass has the outcome ``rate-limited``, but its state
is ``throttled``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, cast, get_args

# -- outcomes: class ids ----------------------------------------------------------------------

OK = "ok"

AUTH_REQUIRED = "auth-required"
AUTH_INVALID = "auth-invalid-credentials"
ACCESS_DENIED = "access-denied"
DENIED_OR_MISSING = "pull-access-denied-or-missing"
REPOSITORY_NOT_FOUND = "repository-not-found"
MANIFEST_UNKNOWN = "manifest-unknown"
RATE_LIMITED = "rate-limited"
TLS_UNKNOWN_AUTHORITY = "tls-unknown-authority"
TLS_HOSTNAME_MISMATCH = "tls-hostname-mismatch"
TLS_EXPIRED = "tls-expired"
PLAIN_HTTP = "http-response-to-https-client"
DNS = "dns-resolution"
REFUSED = "connection-refused"
TIMEOUT = "network-timeout"
PROXY = "proxy-error"
SERVER_ERROR = "registry-server-error"
NOT_A_REGISTRY = "not-a-registry"
INVALID_REFERENCE = "invalid-reference-format"
PACKAGE_NOT_FOUND = "package-not-found"
REGISTRY_MISCONFIGURED = "registry-misconfigured"

TRANSPORT_OUTCOMES = frozenset(
    {
        DNS,
        REFUSED,
        TIMEOUT,
        TLS_UNKNOWN_AUTHORITY,
        TLS_HOSTNAME_MISMATCH,
        TLS_EXPIRED,
        PLAIN_HTTP,
        PROXY,
        SERVER_ERROR,
        NOT_A_REGISTRY,
    }
)
"""Outcomes that stop the probe before it can ask about the image itself."""

SUMMARY: Mapping[str, str] = {
    OK: "the image is pullable from here",
    AUTH_REQUIRED: "the registry refuses anonymous pulls of this image",
    AUTH_INVALID: "the registry rejects the credential",
    ACCESS_DENIED: "the credential is accepted but not allowed to pull this image",
    DENIED_OR_MISSING: "the image cannot be pulled: it does not exist or needs other access",
    REPOSITORY_NOT_FOUND: "the repository does not exist",
    MANIFEST_UNKNOWN: "the tag or digest does not exist",
    RATE_LIMITED: "the registry is throttling requests",
    TLS_UNKNOWN_AUTHORITY: "the registry's certificate is not from a trusted authority",
    TLS_HOSTNAME_MISMATCH: "the registry's certificate is for another name",
    TLS_EXPIRED: "the registry's certificate is expired or not yet valid",
    PLAIN_HTTP: "the registry speaks plain HTTP where TLS was expected",
    DNS: "the registry's host name does not resolve",
    REFUSED: "nothing accepts connections at the registry's address",
    TIMEOUT: "the registry does not answer in time",
    PROXY: "a proxy in front of the registry refused the request",
    SERVER_ERROR: "the registry answers with a server error",
    NOT_A_REGISTRY: "the address answers, but not as a container registry",
    INVALID_REFERENCE: "the image reference is malformed",
}


def summary(outcome: str | None) -> str:
    """A short sentence for an outcome."""
    if outcome is None:
        return "the probe saw an answer it cannot name"
    return SUMMARY.get(outcome, outcome)


# -- states: how a step ended -----------------------------------------------------------------

PassState = Literal[
    "pullable",
    "refused",
    "denied",
    "credential-rejected",
    "manifest-missing",
    "repo-missing",
    "missing",
    "throttled",
    "server-failing",
    "realm-refused",
    "token-failed",
    "failed",
]
"""How one pass (anonymous or credentialed) ended:

``refused``: anonymous access refused; ``denied``: the credential is accepted but may not pull;
``missing``: no manifest, and whether the repository exists could not be told; ``throttled``:
the registry answered 429; ``server-failing``: it answered 5xx; ``failed``: the connection
failed or the answer made no sense.
"""

_RENAMED: dict[str, PassState] = {"rate-limited": "throttled", "server-error": "server-failing"}
"""Earlier names of pass states, which cached observations written before the rename hold
(for as long as they are cached: minutes)."""


def read_pass_state(name: object) -> PassState | None:
    """A pass state read back from the cache (an earlier name too), None if it is none."""
    if isinstance(name, str):
        name = _RENAMED.get(name, name)
    return cast(PassState, name) if name in get_args(PassState) else None


TokenState = Literal[
    "issued", "rejected", "denied", "throttled", "server-failing", "refused", "failed"
]
"""How a token request ended: ``rejected`` (401) and ``denied`` (403) by the token server,
``refused`` by the probe itself (a realm it may not call), ``failed`` for anything else."""
