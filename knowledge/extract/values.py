"""Values a paste holds besides its image and registry, for the guide's commands: the proxy it
went through, the credential helper it ran, the cloud region, a content digest and a repository
named without a tag."""

from __future__ import annotations

import re
from typing import Final

from knowledge.extract.scan import ScannedText, matches, rx

_PROXY_RULES: Final = (  # (a word the text must hold, a regex whose group 1 is the proxy)
    (b"proxyconnect", rx(r"proxyconnect tcp: dial tcp (\[?[0-9A-Za-z.:-]{3,260}:[0-9]{1,5})\b")),
    (b"proxy", rx(r"(?i)\b(?:https?|all)_proxy=[\"']?((?:https?|socks5h?)://[^\s\"',]{3,260})")),
    (b"proxy", rx(r"(?i)\bproxy(?:\s+server)?\s*(?:=|:)\s*[\"']?((?:https?|socks5h?)://"
                  r"[^\s\"',]{3,260})")),
)
_HELPER = rx(r"docker-credential-([a-z0-9][a-z0-9-]{1,40}[a-z0-9])\b")
_NOT_HELPERS: Final = frozenset({"helpers"})  # the project's name, not a binary
_REGION = rx(r"(?<![\w-])((?:us-gov|us-iso[a-z]?|[a-z]{2})-[a-z]{4,10}-[0-9]{1,2})(?![\w-])")
_REGION_FLAG = rx(r"--region[= ]([a-z][a-z0-9-]{3,30})")
_GCP_REGION = rx(r"\b([a-z]{2,12}-[a-z]{2,12}[0-9]{1,2})-docker\.pkg\.dev")
_DIGEST = rx(r"\bsha256:[0-9a-f]{64}\b")
# Blob, tag-list and manifest API paths name a repository; when no image was read from them (a
# push's blob upload, the registry's own request log) the tag is unknown.
_REPOSITORY_PATH = rx(r"/v2/([a-z0-9][a-z0-9._/-]{0,254}?)/(?:blobs|tags|manifests)/")
_REAL_REGION = re.compile(r"(?:us-gov|us-iso[a-z]?|[a-z]{2})-[a-z]{4,10}-[0-9]{1,2}"
                          r"|[a-z]{2,12}-[a-z]{2,12}[0-9]{1,2}")


def find_proxy(scanned: ScannedText) -> str | None:
    """The proxy the paste says was used, as ``host:port`` or a URL; a dial to an empty
    address (``dial tcp :0``) names none."""
    for word, regex in _PROXY_RULES:
        if scanned.has_word(word):
            for m in matches(regex, scanned.text):
                value = m[1].rstrip(".")
                if not value.startswith(":"):
                    return value
    return None


def find_credential_helper(scanned: ScannedText) -> str | None:
    """The ``docker-credential-*`` binary the paste names."""
    if not scanned["docker-credential-"]:
        return None
    for m in matches(_HELPER, scanned.text):
        if m[1] not in _NOT_HELPERS:
            return m[0]
    return None


def find_region(scanned: ScannedText) -> str | None:
    """A cloud region the paste names: a ``--region`` flag, an AWS region in a host or ARN, an
    Artifact Registry host's region. A redacted one (``ap-XXXX``) is no region."""
    text = scanned.text
    flag = _REGION_FLAG.search(text) if scanned.has_word(b"region") else None
    if flag and _REAL_REGION.fullmatch(flag[1]):
        return flag[1]
    aws = scanned.has_word(b"amazonaws") or scanned.has_word(b"aws") or scanned.has_word(b"arn")
    if aws and (m := _REGION.search(text)):
        return m[1]
    if scanned.has_word(b"pkg") and (m := _GCP_REGION.search(text)):
        return m[1]
    return None


def find_digest(scanned: ScannedText) -> str | None:
    """The first ``sha256:`` content digest in the paste."""
    if not scanned.has_word(b"sha256"):
        return None
    m = _DIGEST.search(scanned.text)
    return m[0] if m else None


def find_repository(scanned: ScannedText) -> str | None:
    """The repository of the first registry API path in the paste (``/v2/team/app/blobs/
    uploads/``), for pastes that name it without the tag an image needs."""
    if not scanned.has_word(b"v2"):
        return None
    m = _REPOSITORY_PATH.search(scanned.text)
    return m[1] if m else None
