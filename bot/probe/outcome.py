"""Readings of registry answers, and a short sentence for each outcome the probe names.

The outcomes themselves (class ids) are in :mod:`bot.probe.states`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from urllib.parse import urljoin, urlsplit

from bot.probe.evidence import sanitize
from bot.probe.policy import address_category, parse_ip
from bot.probe.states import (
    ACCESS_DENIED,
    AUTH_INVALID,
    AUTH_REQUIRED,
    DENIED_OR_MISSING,
    DNS,
    INVALID_REFERENCE,
    MANIFEST_UNKNOWN,
    NOT_A_REGISTRY,
    OK,
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
)
from bot.probe.transport import Reply

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

MEDIA_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
"""Every manifest type a modern client accepts. Leaving OCI out makes registries answer 404
MANIFEST_UNKNOWN for OCI images, which would look like a missing tag."""
DOCKER_MEDIA_TYPES = MEDIA_TYPES[2:]
OCI_MEDIA_TYPES = frozenset(MEDIA_TYPES[:2])


def summary(outcome: str | None) -> str:
    """A short sentence for an outcome."""
    if outcome is None:
        return "the probe saw an answer it cannot name"
    return SUMMARY.get(outcome, outcome)


def read_json(body: bytes) -> object:
    """``body`` as JSON, or None when it is not JSON Python can read.

    The body is the registry's (or its token server's): besides malformed JSON it may nest
    deeper than the parser recurses (RecursionError) or hold numbers longer than Python turns
    into an int (ValueError). Every one of those is "not a readable answer", never a crash.
    """
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def registry_error(reply: Reply) -> str | None:
    """``CODE: message`` from a registry's JSON error body (or a token server's), else None."""
    if not reply.body:
        return None
    data = read_json(reply.body)
    if not isinstance(data, dict):
        return None
    errors = data.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        code = str(errors[0].get("code") or "").strip()
        message = str(errors[0].get("message") or "").strip()
        return sanitize(": ".join(p for p in (code, message) if p)) or None
    for key in ("details", "error_description", "error", "message"):
        if isinstance(data.get(key), str):
            return sanitize(str(data[key]))
    return None


def is_html(reply: Reply) -> bool:
    """Whether the answer is a web page rather than an API response."""
    content_type = (reply.header("content-type") or "").lower()
    return "html" in content_type or reply.body.lstrip()[:15].lower().startswith(
        (b"<!doctype", b"<html")
    )


def describe_location(reply: Reply) -> str:
    """Where a redirect points, safe to show: a host name, or the kind of address it is."""
    location = reply.header("location")
    if not location:
        return "no Location given"
    try:
        target = urlsplit(urljoin(str(reply.url), location))
    except ValueError:  # "https://[evil/x": an unclosed IPv6 bracket, say
        return "an unparseable Location"
    host = target.hostname or ""
    ip = parse_ip(host)
    if ip is not None:
        category = address_category(ip)
        where = f"a {category} address" if category else "an IP address"
    else:
        where = host or "an unknown place"
    path = target.path if ip is None else ""
    return sanitize(f"{where}{path[:60]}")


def ping_outcome(reply: Reply) -> tuple[str | None, str]:
    """Read ``GET /v2/``: (None, note) when it is a registry, else (class id, why not)."""
    status = reply.status
    if status in (200, 401) and not is_html(reply):
        return None, ""
    if status == 200:
        return NOT_A_REGISTRY, "GET /v2/ answered 200 with a web page, not the registry API"
    if status == 401:
        return NOT_A_REGISTRY, "GET /v2/ asked for a login with a web page, not the registry API"
    if 300 <= status < 400:
        return NOT_A_REGISTRY, (
            f"GET /v2/ redirects ({status}) to {describe_location(reply)}; "
            "a registry answers /v2/ itself (redirect not followed)"
        )
    if status == 407:
        return PROXY, "GET /v2/ answered 407 Proxy Authentication Required"
    if status == 429:
        return RATE_LIMITED, "GET /v2/ answered 429 Too Many Requests"
    if status >= 500:
        message = registry_error(reply)
        return SERVER_ERROR, f"GET /v2/ answered {status}" + (f" ({message})" if message else "")
    if status == 400 and b"HTTPS server" in reply.body:
        return NOT_A_REGISTRY, (
            "GET /v2/ over plain HTTP got 400 'Client sent an HTTP request to an HTTPS server': "
            "the registry expects TLS on this port"
        )
    kind = "a web page" if is_html(reply) else "not the registry API"
    return NOT_A_REGISTRY, f"GET /v2/ answered {status} with {kind}"
