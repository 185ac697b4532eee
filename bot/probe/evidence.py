"""Evidence lines safe to post in a channel: no secrets, no internal addresses, short.

Registry answers are written by the registry, so anything in them may be sensitive: tokens
echoed back, IAM ARNs and account ids in ECR/GAR denials, the bot's own egress or internal
addresses. Every line the probe reports passes through :func:`sanitize`.
"""

from __future__ import annotations

import ipaddress
import re

MAX_LINE = 200
"""Longest evidence line; registry messages beyond this are cut."""

_REPLACEMENTS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization header values and JWTs (registry tokens are JWTs more often than not).
    (
        re.compile(r"(?i)\b(bearer|basic)\s+(?=[A-Za-z]*[0-9=._~+/-])[A-Za-z0-9._~+/=-]{8,}"),
        r"\1 [redacted]",
    ),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*){1,2}"), "[token]"),
    # key=value and "key": "value" secrets, in URLs, forms and JSON.
    (
        re.compile(
            r"(?i)\b(access_token|refresh_token|id_token|token|password|passwd|secret|"
            r"client_secret|account)=[^&\s\"',;]+"
        ),
        r"\1=[redacted]",
    ),
    (
        re.compile(r"(?i)\"(access_token|refresh_token|token|password|secret)\"\s*:\s*\"[^\"]*\""),
        r'"\1": "[redacted]"',
    ),
    # Cloud identities: AWS ARNs and account ids, GCP service-account e-mails.
    (re.compile(r"\barn:aws[a-z-]*:[^\s\"',]*"), "[arn]"),
    (re.compile(r"(?<![\w.-])\d{12}(?![\w-])"), "[account-id]"),
    (re.compile(r"\b[\w.-]+@[\w-]+\.iam\.gserviceaccount\.com\b"), "[service-account]"),
    # Long opaque blobs that are not digests (after "sha256:" the hex is kept).
    (
        re.compile(
            r"(?<![A-Za-z0-9+/_:-])(?![0-9a-f]{64}\b)(?=[A-Za-z+/_-]*\d)(?=[0-9+/_-]*[A-Za-z])"
            r"[A-Za-z0-9+_-]{40,}={0,2}"
        ),
        "[redacted]",
    ),
)
# A run of hex digits, colons and dots with at least two colons may be an IPv6 address; it is
# replaced only if it parses as one (so times like 17:12:09 survive).
_IPV6_CANDIDATE = re.compile(r"(?<![\w:.])[0-9A-Fa-f.]*:[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*(?:%\w+)?")
_IPV4_CANDIDATE = re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?!\.?\w)")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def _hide_ip(match: re.Match[str]) -> str:
    found = match.group()
    text = found.rstrip(".")
    try:
        ipaddress.ip_address(text.partition("%")[0])
    except ValueError:
        return found
    return "[address]" + found[len(text) :]


def sanitize(text: str, limit: int = MAX_LINE) -> str:
    """One line with secrets, cloud identities and IP addresses replaced, cut to ``limit``."""
    line = _CONTROL.sub(" ", text).strip()
    for pattern, replacement in _REPLACEMENTS:
        line = pattern.sub(replacement, line)
    line = _IPV6_CANDIDATE.sub(_hide_ip, line)
    line = _IPV4_CANDIDATE.sub(_hide_ip, line)
    if len(line) > limit:
        line = line[: limit - 1].rstrip() + "…"
    return line


def short_digest(digest: str | None) -> str | None:
    """``sha256:6d16bfe9ca77`` (algorithm and 12 hex digits), enough to compare by eye."""
    if not digest or ":" not in digest:
        return None
    algorithm, _, encoded = digest.partition(":")
    return f"{algorithm}:{encoded[:12]}"
