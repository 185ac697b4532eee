"""Registry hosts a paste names outside image references: registry API URLs, DNS lookups,
pings, logins and token servers; the fallback registry when no image names one."""

from __future__ import annotations

from typing import Final

from knowledge.extract.commands import Command, login_host
from knowledge.extract.scan import MAX_MATCHES, Q, ScannedText, matches, rx
from knowledge.reference import DOCKER_HUB, is_valid_host, normalize_host

HOST = r"(\[[0-9A-Fa-f:]{2,39}\](?::[0-9]{1,5})?|[A-Za-z0-9][A-Za-z0-9.-]{0,252}(?::[0-9]{1,5})?)"
"""A registry host as tools print it (a name or an [IPv6] address, an optional port): group 1."""

_HOST_RULES: Final = (  # (a word the text must hold, a regex starting with a literal)
    (b"pinging", rx(r"pinging container registry " + HOST)),
    (b"lookup", rx(r"lookup " + HOST + r"(?: on |: )")),
    (b"logging", rx(r"logging into " + Q + HOST)),
    (b"authenticating", rx(r"authenticating creds for " + Q + HOST)),
    (b"uploads", rx(r"uploads/ in " + HOST)),
)
_TOKEN_URL = rx(r"://" + HOST + r"/(?:[\w.-]{1,40}/){0,2}(?:token|auth)\b")
_API_PATHS: Final = ("/v2/", "/v1/")
"""The registry API (v2) and Docker's legacy v1 API (``/v1/_ping``, ``/v1/repositories``)."""
_HOST_RUN = rx(r"[A-Za-z0-9.:\[\]-]{1,260}")
_TOKEN_HOST_REGISTRY: Final = {"auth.docker.io": DOCKER_HUB, "gitlab.com": "registry.gitlab.com"}
DOCKER_HUB_RATE_LIMIT = "You have reached your pull rate limit"
"""Docker Hub's own wording: the paste is about Docker Hub even when it names no host."""


def api_host(text: str, api: str) -> tuple[int, str] | None:
    """The first host of ``https://HOST/v2/...`` (or a bare ``HOST/v2/``), never a path's /v2/;
    the same for ``api`` ``/v1/``."""
    reverse = text[::-1]  # the host ends where /v2/ starts: read it backwards, in C
    index = text.find(api)
    for _ in range(MAX_MATCHES):
        if index < 0:
            break
        run = _HOST_RUN.match(reverse, len(text) - index)
        if run:
            host = run[0][::-1]
            start = index - len(host)
            after_scheme = text[start - 3 : start] == "://"
            if (after_scheme or text[start - 1 : start] != "/") and is_valid_host(host):
                return start, host
        index = text.find(api, index + len(api))
    return None


def first_host(scanned: ScannedText, commands: list[Command]) -> str | None:
    """The first registry host the paste names in a URL, DNS lookup, ping or login; else the
    registry of the first token server it names."""
    text = scanned.text
    found: list[tuple[int, str]] = []
    for api in _API_PATHS:
        if scanned.has_word(api.strip("/").encode()) and (found_api := api_host(text, api)):
            found.append(found_api)
            break
    for word, regex in _HOST_RULES:
        if scanned.has_word(word):
            for m in matches(regex, text):
                if is_valid_host(m[1]):
                    found.append((m.start(1), m[1]))
                    break
    for command in commands:
        if command.verb == "login" and (host := login_host(command)):
            found.append((command.position, host))
            break
    if found:
        return normalize_host(min(found)[1])
    if scanned.has_word(b"token") or scanned.has_word(b"auth"):
        for m in matches(_TOKEN_URL, text):
            host = m[1].lower()
            if is_valid_host(host):
                return _TOKEN_HOST_REGISTRY.get(host, host)
    if scanned[DOCKER_HUB_RATE_LIMIT]:
        return DOCKER_HUB
    return None
