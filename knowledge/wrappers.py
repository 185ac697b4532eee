"""Peel the wrappers off one error line, down to the cause it carries.

Registry clients report a failure as a chain of contexts: kubelet wraps containerd, which wraps
the resolver, which wraps the HTTP client::

    Failed to pull image "x": rpc error: code = Unknown desc = failed to pull and unpack image
    "x": failed to resolve reference "x": unexpected status code [manifests 1.0]: 401 Unauthorized

``peel`` removes the framing (kubectl event columns, klog and logrus fields) and the wrappers,
and keeps the innermost cause. Wrappers come in two sorts: *noise* (``Error response from
daemon:``, ``rpc error: code = ... desc =``) says nothing, while a *subject* wrapper names what
failed (``failed to resolve reference "x":``, ``Get "https://...":``). When the bare cause names
nothing (``401 Unauthorized``, ``x509: certificate signed by unknown authority``), the innermost
subject goes back in front of it, so the evidence line still says what failed.

Every pattern is anchored and bounded, and each step consumes text: linear in the line length.
"""

from __future__ import annotations

import itertools
import re

__all__ = ["MAX_EVIDENCE", "peel"]

MAX_EVIDENCE = 300
"""The longest evidence line ``peel`` returns."""

_ELLIPSIS = " \u2026 "
_MAX_PEELS = 64

# --- framing -----------------------------------------------------------------------------------

_AGE = r"(?:<unknown>|\S{1,20})(?: \(x\d{1,9} over \S{1,20}\))?"
# kubectl describe: Type  Reason  Age  From  Message
_DESCRIBE_EVENT = re.compile(
    rf"[ \t]*(?:Normal|Warning)[ \t]+\w{{1,64}}[ \t]+{_AGE}"
    r"[ \t]+[\w.-]{1,100}(?:, [\w.-]{1,253})?[ \t]{2,}"
)
# kubectl get events / kubectl events: LastSeen  Type  Reason  Object  Message
_LISTED_EVENT = re.compile(
    rf"[ \t]*{_AGE}[ \t]+(?:Normal|Warning)[ \t]+\w{{1,64}}[ \t]+[\w./-]{{1,300}}[ \t]{{2,}}"
)
_KLOG_HEADER = re.compile(
    r"[IWEF]\d{4} \d\d:\d\d:\d\d\.\d{1,9}[ \t]{1,20}\d{1,10} [\w.-]{1,100}:\d{1,6}\] "
)
# A quoted value may be cut off by a truncated paste: the closing quote is optional.
_LOG_FIELD = re.compile(
    r"(?:^|[ \t])(msg|err|error)=(\"(?:[^\"\\]|\\.){0,20000}\"?|[^\s\"]{1,20000})"
)
_GO_ESCAPE = re.compile(r"\\(?:([\"\\'])|([nrt])|x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4}))")
_CONTROL_CHARACTERS = {"n": "\n", "r": "\r", "t": "\t"}
# kubelet pod_workers: failed to "StartContainer" for "app" with ErrImagePull: "<quoted cause>"
_KUBELET_SYNC = re.compile(r'failed to "\w{1,64}" for "[^"]{1,253}" with \w{1,64}: "(.*)"\Z')

# --- wrappers (anchored at the start of what is left) -----------------------------------------

_END = r":(?: |\Z)"
"""A wrapper is "context: cause"; at the very end of a line the cause is missing."""


def _wrappers(*contexts: str, others: str = "") -> re.Pattern[str]:
    """One pattern matching any of ``contexts`` followed by ``: `` at the start of a text."""
    return re.compile("(?:" + "|".join(contexts) + ")" + _END + (f"|{others}" if others else ""))


_NOISE = _wrappers(
    r"Error response from daemon",
    r"(?:Error|ERROR|error|FATAL|fatal)",
    r"(?:INSTALLATION|UPGRADE) FAILED",
    r"failed to solve(?: with frontend [\w./-]{1,100})?",
    r"failed to (?:create LLB definition|load cache key|copy|do request)",
    r"httpReadSeeker",
    r"failed open",
    r"Failed, retrying in \S{1,20} \.\.\. \(\d{1,4}/\d{1,4}\)\. Error",
    r"Error parsing manifest for image",
    r"choosing image instance",
    r"Error listing repository tags",
    r"errors",
    r"ctr",
    # logrus text format (FATA[0000] message) and gRPC status errors
    others=r"(?:FATA|ERRO|WARN)\[\d{1,6}\] |rpc error: code = \w{1,40} desc = ",
)
_METHOD = r"(?:GET|HEAD|POST|PUT|PATCH|DELETE|Get|Head|Post|Put|Patch|Delete)"
_SUBJECT = _wrappers(
    r'(?:Failed|failed) to pull (?:and unpack )?image "[^"]{1,1000}"',
    r'failed to resolve reference "[^"]{1,1000}"',
    r"failed to resolve source metadata for \S{1,1000}",
    r"failed to push \S{1,1000}",
    r'Error parsing image name "(?:[^"\\]|\\.){0,1000}"',
    r"(?:initializing (?:source|destination)|choosing an image from manifest list) \S{1,1000}",
    r"trying to reuse blob \S{1,300} at destination",
    r"checking whether a blob \S{1,300} exists in \S{1,1000}",
    r"reading (?:manifest|blob) \S{1,300} in \S{1,1000}",
    r"fetching (?:tags list|manifest \S{1,1000})",
    r"pinging container registry \S{1,1000}",
    r'(?:logging into|authenticating creds for|reading image) "[^"]{1,1000}"',
    # Go's url.Error: Get "https://...": cause (older Go: Get https://...: cause)
    rf'{_METHOD} "[^"\s]{{1,2000}}"',
    rf"{_METHOD} [a-z]{{2,10}}://[^\s\"]{{1,2000}}",
)
# buildkit and containerd put a bare reference in front: "docker.io/library/x:1: not found".
_REFERENCE_PREFIX = re.compile(
    r"[a-z0-9][a-z0-9._-]{0,253}(?::\d{1,5})?(?:/[a-z0-9._-]{1,255}){0,20}"
    r"(?::\w[\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?" + _END
)

# --- does the cause name what failed? -----------------------------------------------------------

# A quoted name, a URL, an IP address, localhost, or a host name (lower case, so that a Go
# identifier like Client.Timeout does not count).
_NAMES_SOMETHING = re.compile(
    r"\"|://|\b(?:localhost|\d{1,3}(?:\.\d{1,3}){3})\b|\b[a-z0-9-]{1,63}\.[a-z]{2,63}\b"
)


def peel(line: str) -> str:
    """The innermost cause in one error line, with wrappers and log framing removed.

    ``Warning  Failed  3s  kubelet  Failed to pull image "x": rpc error: ... desc = failed to
    pull and unpack image "x": failed to resolve reference "x": ...: 401 Unauthorized`` gives
    ``failed to resolve reference "x": ...: 401 Unauthorized``. A line that is only a wrapper
    (``Back-off pulling image "x"``) comes back without its framing. At most ``MAX_EVIDENCE``
    characters; a longer cause keeps its start and its end around an ellipsis.
    """
    text = _flatten(_unframe(line.strip()))
    subject = ""
    for _ in range(_MAX_PEELS):
        noise = _NOISE.match(text)
        if noise is not None:
            text = text[noise.end() :]
            continue
        wrapper = _SUBJECT.match(text) or _reference_prefix(text)
        if wrapper is None:
            break
        subject, text = text[: wrapper.end()], text[wrapper.end() :]
    text = text.strip()
    if not text:
        text = subject.rstrip(": ")
    elif subject and not _NAMES_SOMETHING.search(text):
        text = subject + text
    return _shorten(text)


def _unframe(line: str) -> str:
    """Drop kubectl event columns and klog/logrus framing; unquote the message they carry."""
    event = _DESCRIBE_EVENT.match(line) or _LISTED_EVENT.match(line)
    if event is not None:
        line = line[event.end() :]
    klog = _KLOG_HEADER.match(line)
    if klog is not None:
        line = line[klog.end() :]
    fields = dict(_LOG_FIELD.findall(line))
    # The error field carries the cause; msg only says what was being done (or is the error).
    value = fields.get("error") or fields.get("err") or fields.get("msg")
    if value is not None:
        line = _unquote(value)
    return _unwrap_kubelet_sync(line)


def _unwrap_kubelet_sync(text: str) -> str:
    sync = _KUBELET_SYNC.match(text)
    return _unquote(f'"{sync.group(1)}"') if sync is not None else text


def _unquote(value: str) -> str:
    """The text of a Go-quoted string (``"a \\"b\\"\\n"``); a bare value is returned as is."""
    if not value.startswith('"'):
        return value
    end = len(value) - 1 if len(value) > 1 and value.endswith('"') else len(value)
    return _GO_ESCAPE.sub(_unescape, value[1:end])


def _unescape(match: re.Match[str]) -> str:
    quote, control, byte, code_point = match.groups()
    if quote:
        return str(quote)
    if control:
        return _CONTROL_CHARACTERS[control]
    return chr(int(byte or code_point, 16))


def _flatten(text: str) -> str:
    """One line from a multi-line message: ``errors:\\ndenied: x\\nunauthorized: y``."""
    if "\n" not in text and "\r" not in text:
        return text
    parts = [part.strip() for part in text.splitlines() if part.strip()]
    pieces = parts[:1]
    for before, part in itertools.pairwise(parts):
        pieces.append((" " if before.endswith(":") else "; ") + part)
    return "".join(pieces)


def _reference_prefix(text: str) -> re.Match[str] | None:
    match = _REFERENCE_PREFIX.match(text)
    if match is None:
        return None
    reference = match.group().rstrip(": ")
    # "net/http: ..." and "x509: ..." are packages, not references: a reference has a host
    # (with a dot or port), a tag or a digest.
    return match if ("." in reference or ":" in reference or "@" in reference) else None


def _shorten(text: str) -> str:
    if len(text) <= MAX_EVIDENCE:
        return text
    room = MAX_EVIDENCE - len(_ELLIPSIS)
    head = text[: room // 3]
    cut = head.rfind(" ")
    if cut > len(head) // 2:
        head = head[:cut]
    tail = text[len(text) - (room - len(head)) :]
    cut = tail.find(" ")
    if 0 <= cut < len(tail) // 4:
        tail = tail[cut + 1 :]
    return head + _ELLIPSIS + tail
