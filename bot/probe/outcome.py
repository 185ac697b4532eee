"""Readings of registry answers: error bodies, web pages, redirects, the API root.

The outcomes they are named with (class ids) are in :mod:`bot.probe.states`.
"""

from __future__ import annotations

import json
from urllib.parse import urljoin, urlsplit

from bot.probe.evidence import sanitize
from bot.probe.policy import address_category, parse_ip
from bot.probe.states import NOT_A_REGISTRY, PROXY, RATE_LIMITED, SERVER_ERROR
from bot.probe.transport import Reply

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
