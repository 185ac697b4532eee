"""Error codes of the OCI distribution spec that a paste quotes."""

from __future__ import annotations

from typing import Final

from knowledge.extract.scan import MAX_MATCHES, ScannedText, word_char_before

OCI_ERROR_CODES: Final = (
    "UNAUTHORIZED", "DENIED", "NAME_UNKNOWN", "MANIFEST_UNKNOWN", "BLOB_UNKNOWN",
    "BLOB_UPLOAD_UNKNOWN", "BLOB_UPLOAD_INVALID", "DIGEST_INVALID", "MANIFEST_INVALID",
    "MANIFEST_BLOB_UNKNOWN", "NAME_INVALID", "TAG_INVALID", "SIZE_INVALID", "UNSUPPORTED",
    "TOOMANYREQUESTS", "PAGINATION_NUMBER_INVALID", "RANGE_INVALID", "MANIFEST_UNVERIFIED",
)
"""Error codes of the OCI distribution spec (and Docker's MANIFEST_UNVERIFIED)."""
_OCI_CODE_WORDS: Final = tuple(
    (code, frozenset(part.lower().encode() for part in code.split("_")))
    for code in OCI_ERROR_CODES
)


def oci_codes(scanned: ScannedText) -> tuple[str, ...]:
    """The codes as upper-case tokens (``MANIFEST_UNKNOWN: ...``, ``"code":"DENIED"``)."""
    text = scanned.text
    found: list[tuple[int, str]] = []
    for code, words in _OCI_CODE_WORDS:
        if not words <= scanned.words:
            continue
        index = text.find(code)
        for _ in range(MAX_MATCHES):
            if index < 0:
                break
            end = index + len(code)
            after = text[end : end + 1]
            if not word_char_before(text, index) and not (after.isalnum() or after == "_"):
                found.append((index, code))
                break
            index = text.find(code, end)
    return tuple(code for _, code in sorted(found))
