"""The platform (os/arch/variant) a paste says was wanted."""

from __future__ import annotations

from typing import Final

from knowledge.extract.scan import Q, ScannedText, rx

_PLATFORM = r"([a-z0-9]{1,20}/[a-z0-9_]{1,20}(?:/[a-z0-9]{1,20})?)"
_PLATFORM_ERRORS: Final = (
    ("no matching manifest for ", rx(r"no matching manifest for " + _PLATFORM)),
    ("specified platform: wanted ", rx(r"specified platform: wanted " + _PLATFORM)),
)
_FOR_ARCHITECTURE = rx(
    r"for architecture ([a-z0-9_]{1,20}), variant " + Q + r"([a-z0-9]{0,20})" + Q
    + r", OS ([a-z0-9]{1,20})"
)
_EXPECTED_PLATFORM = rx(  # podman: expected platform ({arm64 linux  [] v8})
    r"expected platform \(\{([a-z0-9_]{1,20}) ([a-z0-9]{1,20}) [^\[\n]{0,60}\[[^\]\n]{0,200}\] ?"
    r"([a-z0-9]{0,20})\}"
)
_PLATFORM_FLAG = rx(r"--platform[= ]" + _PLATFORM)


def find_platform(scanned: ScannedText) -> str | None:
    """The platform an error says was wanted, else the one a ``--platform`` flag asked for."""
    text = scanned.text
    found: list[tuple[int, str]] = []
    for literal, regex in _PLATFORM_ERRORS:
        if scanned[literal] and (m := regex.search(text)):
            found.append((m.start(), m[1]))
    if scanned["for architecture "] and (m := _FOR_ARCHITECTURE.search(text)):
        arch, variant, os = m.groups()
        found.append((m.start(), "/".join(p for p in (os, arch, variant) if p)))
    if scanned["expected platform ({"] and (m := _EXPECTED_PLATFORM.search(text)):
        arch, os, variant = m.groups()
        found.append((m.start(), "/".join(p for p in (os, arch, variant) if p)))
    if found:
        return min(found)[1]
    if scanned.has_word(b"platform") and (m := _PLATFORM_FLAG.search(text)):
        return m[1]
    return None
