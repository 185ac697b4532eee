"""The HTTP status of a failed registry request, as tools print it."""

from __future__ import annotations

import functools
import re
from typing import Final

from knowledge.extract.scan import ScannedText, matches, rx

_REASONS = (
    "Bad Request|Unauthorized|Payment Required|Forbidden|Not Found|Method Not Allowed|"
    "Not Acceptable|Proxy Authentication Required|Request Timeout|Conflict|Gone|Length Required|"
    "Precondition Failed|Request Entity Too Large|Payload Too Large|Content Too Large|"
    "Request-URI Too Long|URI Too Long|Unsupported Media Type|Requested Range Not Satisfiable|"
    "Range Not Satisfiable|Expectation Failed|Misdirected Request|Unprocessable Entity|"
    "Unprocessable Content|Locked|Failed Dependency|Too Early|Upgrade Required|"
    "Precondition Required|Too Many Requests|Request Header Fields Too Large|"
    "Unavailable For Legal Reasons|Internal Server Error|Not Implemented|Bad Gateway|"
    "Service Unavailable|Gateway Timeout|HTTP Version Not Supported|Insufficient Storage|"
    "Network Authentication Required"
)
# `status code 403`, `HTTP status: 500`, `StatusCode: 403`, `HTTP/1.1 401`, `HTTP 502` ...
_STATUS_WORD = rx(r"tatus(?:[ _]?[Cc]ode)?[ :=]{1,3}\(?([1-5][0-9][0-9])(?![0-9])")
_HTTP_WORD = rx(r"HTTP(?:/[0-9](?:\.[0-9])?)?(?: status)?[ :=]{1,3}\(?([1-5][0-9][0-9])(?![0-9])")
_FAILURE_CODES: Final = frozenset(str(code).encode() for code in range(400, 600))
_NOT_BEFORE_STATUS = frozenset("_-.:/")  # a port (`:443`), a version, a path or an identifier


@functools.cache
def _status_with_reason(code: bytes) -> re.Pattern[str]:
    """``401 Unauthorized``, ``404 (Not Found)``: a code and its reason phrase."""
    return rx("(" + code.decode() + rf") \(?(?i:{_REASONS})\b")


def http_status(scanned: ScannedText) -> int | None:
    """The first status of 400 or more: only a failure's status says anything about it."""
    text = scanned.text
    patterns = [(_status_with_reason(code), False) for code in _FAILURE_CODES & scanned.words]
    if scanned.has_word(b"status") or scanned.has_word(b"statuscode"):
        patterns.append((_STATUS_WORD, True))
    if scanned.has_word(b"http"):
        patterns.append((_HTTP_WORD, False))
    found: list[tuple[int, int]] = []
    for regex, after_status in patterns:
        for m in matches(regex, text):
            if int(m[1]) >= 400 and _status_context(text, m.start(), after_status):
                found.append((m.start(), int(m[1])))
                break
    return min(found)[1] if found else None


def _status_context(text: str, start: int, after_status: bool) -> bool:
    before = text[start - 1 : start]
    if after_status:  # the match starts at "tatus"; `exit status 125` is a process's
        return before in {"S", "s"} and text[start - 6 : start - 1] != "exit "
    return not (before.isalnum() or before in _NOT_BEFORE_STATUS)
