"""Find the credentials people paste along with an error, and mask them.

``mask_secrets`` runs on every message, on text that ``normalize`` has already cleaned (so a
token split by a zero-width space is whole again). It replaces each secret *value* with a
marker such as ``[REDACTED github-token]`` and keeps the words around it, so the error stays
readable: ``docker login -u ci -p [REDACTED password] ghcr.io``.

Two kinds of finders work together. Format finders know what a credential looks like on its
own (``ghp_...``, ``AKIA...``, a JWT, a PEM private key). Context finders know where people put
one (``-p`` after ``login``, ``--password``, ``Authorization:``, ``user:pass@`` in a URL,
``"auth"`` in config.json, ``PASSWORD=`` in an env line). When finders overlap, the union of
their spans is masked and the most specific kind names it. A value masked once is masked
wherever else it appears in the paste (when at least 8 characters long).

Speed: every finder's pattern starts with a literal (``ghp_``, ``bearer``, ``login``), which the
regex engine looks for with a fast substring search, on the text or on a lower-case copy of it;
only where the literal occurs does any further work happen. A 2 KB paste without a secret costs
about 20 to 30 microseconds. Every repeat is bounded and cannot overlap another, so the scan is
linear in the size of the paste; each value found costs a few microseconds more.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

__all__ = ["KINDS", "Redaction", "SecretKind", "mask_secrets"]


@dataclass(frozen=True, slots=True)
class Redaction:
    """One kind of secret found in a paste, and how many times it was masked."""

    kind: str
    """A stable kind id, for example ``github-token`` or ``jwt``."""
    label: str
    """What to call it in a sentence: "a GitHub token"."""
    count: int


@dataclass(frozen=True, slots=True)
class SecretKind:
    """A kind of credential: its stable id, how to name it in a sentence, how specific it is."""

    id: str
    label: str
    rank: int
    """When finders of several kinds match the same text, the highest rank names it."""


KINDS: dict[str, SecretKind] = {
    kind.id: kind
    for kind in (
        SecretKind("private-key", "a private key", 100),
        SecretKind("gcp-service-account-key", "a Google service-account key", 95),
        SecretKind("jwt", "a JWT", 90),
        SecretKind("github-token", "a GitHub token", 85),
        SecretKind("gitlab-token", "a GitLab token", 85),
        SecretKind("docker-hub-token", "a Docker Hub access token", 85),
        SecretKind("npm-token", "an npm token", 85),
        SecretKind("slack-token", "a Slack token", 85),
        SecretKind("aws-access-key-id", "an AWS access key ID", 85),
        SecretKind("aws-secret-key", "an AWS secret access key", 80),
        SecretKind("registry-auth", "a saved registry login (config.json auth)", 75),
        SecretKind("identity-token", "a registry identity token", 75),
        SecretKind("bearer-token", "a bearer token", 70),
        SecretKind("basic-auth", "a Basic auth header", 70),
        SecretKind("password-in-url", "a password in a URL", 60),
        SecretKind("password", "a password", 50),
        SecretKind("api-key", "an API key", 45),
        SecretKind("token", "a token", 40),
        SecretKind("secret", "a secret", 40),
        SecretKind("authorization-header", "an Authorization header", 30),
    )
}
"""Every kind of secret ``mask_secrets`` reports, by id."""

_Span = tuple[int, int, str]
"""Start, end and kind id of one masked value."""

_MIN_ECHO = 8
"""A masked value at least this long is also masked wherever else it appears."""
_MAX_ECHOES = 256
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_.-")

# --- values ------------------------------------------------------------------------------------

# A closing quote may be missing (a paste cut short): the value then runs to the line end.
_DOUBLE_QUOTED = re.compile(r'"((?:[^"\\\n]|\\.){0,8192})"?')
_SINGLE_QUOTED = re.compile(r"'([^'\n]{0,8192})'?")
_ESCAPED_QUOTED = re.compile(r'\\"((?:[^"\\\n]|\\[^"\n]){0,8192})(?:\\")?')
_BARE_WORD = re.compile(r"[^\s\"'`]{1,8192}")
# ${VAR} and $( are taken whole so that they read as placeholders, not as a "$" to mask.
_BARE_ASSIGNED = re.compile(r"\$\{[^}\s]{0,100}\}|\$\(|[^\s\"'`,;&|<>(){}\[\]]{1,8192}")
_REST_OF_LINE = re.compile(r"[^\n]{1,8192}")
_YAML_COMMENT = re.compile(r"[ \t]#")
_PLACEHOLDER = re.compile(
    r"\$\{?[A-Za-z_][A-Za-z0-9_]{0,100}\}?"  # $TOKEN, ${TOKEN}: a variable, not its value
    r"|%[%a-z]{1,3}|<[^<>\n]{0,100}>|\*{1,100}|\.{2,100}|\u2026"
    r"|(?i:true|false|null|none|nil|~)|\d{1,12} bytes"  # kubectl describe secret shows sizes
)


def _is_placeholder(value: str) -> bool:
    value = value.strip()
    return (
        not value
        or value.startswith(("$(", "${{", "{{", "[REDACTED"))
        or _PLACEHOLDER.fullmatch(value) is not None
    )


def _value_at(text: str, pos: int, bare: re.Pattern[str] = _BARE_WORD) -> tuple[int, int] | None:
    """The span of the value starting at ``pos``: a quoted string's inside, or a bare word."""
    if text.startswith('\\"', pos):
        match = _ESCAPED_QUOTED.match(text, pos)
    elif text.startswith('"', pos):
        match = _DOUBLE_QUOTED.match(text, pos)
    elif text.startswith("'", pos):
        match = _SINGLE_QUOTED.match(text, pos)
    else:
        match = bare.match(text, pos)
        if match is None or _is_placeholder(match.group()):
            return None
        return match.span()
    if match is None or _is_placeholder(match.group(1)):
        return None
    return match.span(1)


_LINE_WINDOW = 512


def _line_start(text: str, pos: int) -> int:
    """Where the line holding ``pos`` starts, looking back at most ``_LINE_WINDOW`` characters.

    The bound keeps a scan linear on one huge line; a key that far into a line is not at its
    start, and a header that far in is not a header.
    """
    floor = max(0, pos - _LINE_WINDOW)
    newline = text.rfind("\n", floor, pos)
    return newline + 1 if newline >= 0 else floor


# --- finders -----------------------------------------------------------------------------------
# Each finder takes the text and its lower-case copy (same length, same positions) and yields
# spans. Every pattern starts with a literal, which the regex engine finds with a fast search:
# on a paste without that literal a finder costs about a microsecond.

_Finder = Callable[[str, str], Iterable[_Span]]


def _format_finder(prefix: str, shape: str, *kinds: tuple[str, str]) -> _Finder:
    """A finder for credentials recognisable by their shape alone: ``prefix`` then ``shape``.

    ``kinds`` are (prefix, kind) pairs: a match takes the kind of the first prefix it has.
    Shapes that share a first letter share one pattern, which keeps the scan count low.
    """
    literal = re.escape(prefix)
    # The prefix must start a word: the look-behind rejects "xeyJ..." at once instead of
    # scanning a long run of token characters from every inner "eyJ".
    pattern = re.compile(f"{literal}(?<![A-Za-z0-9_]{literal}){shape}")

    def find(text: str, low: str) -> Iterator[_Span]:
        for match in pattern.finditer(text):
            found = match.group()
            kind = next(kind for start, kind in kinds if found.startswith(start))
            yield match.start(), match.end(), kind

    return find


_PEM_BEGIN = re.compile(r"-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----")
_PEM_END = re.compile(r"-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----")
# A key cut off before its END line: mask the header lines and base64 lines that follow it.
_PEM_CUT_BODY = re.compile(
    r"(?:(?:\r?\n|\\n)(?:(?:Proc-Type|DEK-Info|Comment): [^\n\\]{0,200}"
    r"|[A-Za-z0-9+/]{16,100}={0,2}|[A-Za-z0-9+/]{1,100}={1,2}|(?=\r?\n|\\n))){0,2000}"
)
_MAX_PEM = 65536


def _private_keys(text: str, low: str) -> Iterator[_Span]:
    if "-----BEGIN" not in text:
        return
    ends = [end.end() for end in _PEM_END.finditer(text)]
    covered = 0
    for begin in _PEM_BEGIN.finditer(text):
        if begin.start() < covered:
            continue
        following = bisect.bisect_left(ends, begin.end())
        if following < len(ends) and ends[following] - begin.end() <= _MAX_PEM:
            covered = ends[following]
        else:
            body = _PEM_CUT_BODY.match(text, begin.end())
            covered = body.end() if body else begin.end()
        yield begin.start(), covered, "private-key"


# Other credential headers (PRIVATE-TOKEN, X-Registry-Auth, X-Api-Key) end in a key name that
# _keyed_values knows.
_AUTHORIZATION = re.compile(
    r"authorization[\"']?[ \t]{0,5}[:=][ \t]{0,5}[\"']?"
    r"(?:(bearer|basic|token|negotiate|ntlm)[ \t]{1,5})?"
)
# Where a header name stands: line start (curl -v adds "> "), a quoted key, or after -H.
_HEADER_AT_LINE_START = re.compile(r"[ \t]{0,20}(?:[<>*][ \t]{0,3})?(?:proxy-)?")
_HEADER_AFTER = re.compile(
    r"(?:[\"'{,\[][ \t]{0,3}|(?:-h|--header)[ =][ \t]{0,3}[\"']?)(?:proxy-)?\Z"
)
_HEADER_CREDENTIAL = re.compile(r"[^\s\"',;]{1,8192}")
_HEADER_VALUE = re.compile(r"[^\s\"'](?:[^\"'\n]{0,8190}[^\s\"'])?")
_HEADER_KINDS = {"bearer": "bearer-token", "basic": "basic-auth"}


def _is_header_name_at(low: str, start: int) -> bool:
    """Whether a header name starting at ``start`` stands where headers are written."""
    line_start = _line_start(low, start)
    return bool(
        _HEADER_AT_LINE_START.fullmatch(low, line_start, start)
        or _HEADER_AFTER.search(low, max(line_start, start - 32), start)
    )


def _authorization_headers(text: str, low: str) -> Iterator[_Span]:
    for match in _AUTHORIZATION.finditer(low):
        if not _is_header_name_at(low, match.start()):
            continue  # "may require authorization: ..." in a message is not a header
        scheme = match.group(1)
        value = (_HEADER_CREDENTIAL if scheme else _HEADER_VALUE).match(text, match.end())
        if value is None:
            continue
        if _is_placeholder(value.group()):
            continue
        kind = _HEADER_KINDS.get(scheme, "authorization-header")
        yield value.start(), value.end(), kind


_BEARER = re.compile(r"bearer[ \t]{1,5}")
_AUTH_PARAM = re.compile(r"[a-z_-]{1,40}=\"")  # Bearer realm="...": a challenge, not a token
_BEARER_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]{16,8192}=*")


def _bearer_tokens(text: str, low: str) -> Iterator[_Span]:
    for match in _BEARER.finditer(low):
        start = match.start()
        if start and low[start - 1] in _TOKEN_CHARS:
            continue
        if _AUTH_PARAM.match(low, match.end()):
            continue
        token = _BEARER_TOKEN.match(text, match.end())
        if token is not None:
            yield token.start(), token.end(), "bearer-token"


# user:password@ after a scheme. The user part stops at the first ':'; the password runs to
# the last '@' before the host (an unencoded '@' in a password must not leave a tail behind).
_URL_CREDENTIALS = re.compile(r"://[^\s/:\"'<>]{0,256}:([^\s/\"'<>]{1,256})@")


def _passwords_in_urls(text: str, low: str) -> Iterator[_Span]:
    for match in _URL_CREDENTIALS.finditer(text):
        if not _is_placeholder(match.group(1)):
            yield match.start(1), match.end(1), "password-in-url"


_SHORT_FLAG = re.compile(r"-([pu])(?:[ \t]{1,5}|=)?")
_SHORT_FLAG_COMMANDS = {"p": "login", "u": "curl"}
"""-p holds a password after ``login`` (docker, podman, helm registry, skopeo, az acr); -u holds
user:password for curl. Elsewhere they are other things (docker run -p 8080:80)."""


def _short_flag_values(text: str, low: str) -> Iterator[_Span]:
    """``docker login -u bob -p VALUE``, ``curl -u bob:VALUE``."""
    for match in _SHORT_FLAG.finditer(low):
        start = match.start()
        if not start or low[start - 1] not in " \t":
            continue
        if _SHORT_FLAG_COMMANDS[match.group(1)] not in low[_line_start(low, start) : start]:
            continue
        if text.startswith("-", match.end()):
            continue  # followed by the next option: no value here
        span = _value_at(text, match.end())
        if span is None:
            continue
        begin, end = span
        if match.group(1) == "u":
            colon = text.find(":", begin, end)
            if colon < 0 or _is_placeholder(text[colon + 1 : end]):
                continue  # a user name alone
            begin = colon + 1
        yield begin, end, "password"


_LONG_FLAG = re.compile(
    r"--((?:[a-z0-9]{1,20}-){0,3})(password|passwd|token|creds|secret|api-key|user)"
    r"(?![a-z0-9_-])(?:[ \t]{1,5}|=)"
)
_FLAG_KINDS = {
    "password": "password",
    "passwd": "password",
    "creds": "password",
    "user": "password",
    "token": "token",
    "secret": "secret",
    "api-key": "api-key",
}


def _flag_values(text: str, low: str) -> Iterator[_Span]:
    """``--password X``, ``--docker-password=X``, ``--registry-token X``, ``--creds u:p``."""
    for match in _LONG_FLAG.finditer(low):
        prefix, name = match.groups()
        if name == "secret" and not prefix:
            continue  # buildkit's --secret id=...,src=... names a file, it holds no secret
        if name == "user" and (
            prefix or "curl" not in low[_line_start(low, match.start()) : match.start()]
        ):
            continue  # --user holds user:password for curl; elsewhere (docker run) a uid
        if text.startswith("--", match.end()):
            continue
        span = _value_at(text, match.end())
        if span is None:
            continue
        start, end = span
        if name in ("creds", "user"):
            colon = text.find(":", start, end)
            if colon < 0:
                continue  # a user name alone
            start = colon + 1
            if start == end or _is_placeholder(text[start:end]):
                continue
        yield start, end, _FLAG_KINDS[name]


_PIPED_SECRET = re.compile(
    r"(?:echo|printf)[ \t]{1,5}(?:-[a-z]{1,3}[ \t]{1,5}|([\"'])%s(?:\\n)?\1[ \t]{1,5})?"
)
_PIPE_TO_STDIN = re.compile(r"[ \t]{0,5}\|[^\n|]{0,300}?--password-stdin")
_HERE_STRING = re.compile(r"--password-stdin[^\n]{0,300}?<<<[ \t]{0,5}")
_PIPED_BARE = re.compile(r"[^\s\"'`|;&]{1,8192}")


def _stdin_passwords(text: str, low: str) -> Iterator[_Span]:
    """``echo X | docker login --password-stdin`` and ``--password-stdin <<< X``."""
    if "password-stdin" not in low:
        return
    for match in _PIPED_SECRET.finditer(low):
        start = match.start()
        if start and low[start - 1] in _TOKEN_CHARS:
            continue
        span = _value_at(text, match.end(), _PIPED_BARE)
        if span is None:
            continue
        after = span[1] + (1 if text[span[1] : span[1] + 1] in ('"', "'") else 0)
        if _PIPE_TO_STDIN.match(low, after):
            yield span[0], span[1], "password"
    for match in _HERE_STRING.finditer(low):
        span = _value_at(text, match.end(), _PIPED_BARE)
        if span is not None:
            yield span[0], span[1], "password"


# key = value, key: value, "key": "value" where the key names a credential. One pattern per
# key ending, so that each starts with a literal; _keyed_kind reads the whole key.
_KEY_ENDINGS = tuple(
    re.compile(
        f"(?P<ending>{ending})"
        r"(?P<quote>\\{0,3}[\"'])?[ \t]{0,5}(?P<operator>[:=])(?!=)[ \t]{0,5}"
    )
    for ending in (
        "passw(?:or)?d",
        "pwd",
        "secret",
        "token",
        "key(?:[_-]?id)?",
        "auth",
        "dockerconfigjson",
    )
)
_ASSIGNMENT_AFTER = frozenset("\n \t;&?,{(\"'=:")
_HEADER_KEY_AFTER = frozenset(" \t-\"'{,[")
_NOT_SECRET_KEYS = frozenset({"pwd", "oldpwd"})  # the shell's working directories


def _keyed_values(text: str, low: str) -> Iterator[_Span]:
    for pattern in _KEY_ENDINGS:
        for match in pattern.finditer(low):
            key_start = match.start()
            floor = max(0, key_start - 64)
            while key_start > floor and low[key_start - 1] in _KEY_CHARS:
                key_start -= 1
            span = _keyed_value(text, low, key_start, match)
            if span is None:
                continue
            kind = _keyed_kind(low[key_start : match.end("ending")])
            if kind is not None:
                yield span[0], span[1], kind


def _keyed_value(
    text: str, low: str, key_start: int, match: re.Match[str]
) -> tuple[int, int] | None:
    """The value assigned to the key at ``key_start``, if the key stands where keys do."""
    quote, operator = match.group("quote"), match.group("operator")
    if quote:
        if low[max(0, key_start - len(quote)) : key_start] != quote:
            return None
        return _value_at(text, match.end(), _BARE_ASSIGNED)
    before = low[key_start - 1] if key_start else "\n"
    if operator == "=":
        return _value_at(text, match.end(), _BARE_ASSIGNED) if before in _ASSIGNMENT_AFTER else None
    # "key: value" counts in a YAML line or a header, not inside a sentence ("auth token: x").
    if before == "\n":
        return _yaml_value(text, match.end())
    if before not in _HEADER_KEY_AFTER:
        return None
    line_start = _line_start(low, key_start)
    if not low[line_start:key_start].strip(" \t-"):
        return _yaml_value(text, match.end())
    if _HEADER_AFTER.search(low, max(line_start, key_start - 32), key_start):
        return _value_at(text, match.end(), _HEADER_VALUE)
    return None


@functools.lru_cache(maxsize=1024)
def _keyed_kind(key: str) -> str | None:
    """The kind of secret a key names, or None when the key holds none."""
    plain = key.lstrip(".").replace("-", "_")
    if plain in _NOT_SECRET_KEYS:
        return None
    if plain in ("auth", "x_registry_auth") or plain.endswith("dockerconfigjson"):
        return "registry-auth"
    if plain.endswith("identitytoken"):
        return "identity-token"
    if plain.endswith(("private_key_id", "privatekeyid")):
        return "gcp-service-account-key"
    if plain.endswith(("private_key", "privatekey")):
        return "private-key"
    if plain.endswith(("secret_access_key", "secretaccesskey")) or (
        "aws" in plain and "secret" in plain
    ):
        return "aws-secret-key"
    if plain.endswith(("password", "passwd", "pwd")):
        return "password"
    if plain.endswith(("api_key", "apikey")):
        return "api-key"
    if plain.endswith("token"):
        return "token"
    if plain.endswith(("secret", "secret_key", "secretkey")):
        return "secret"
    return None


def _yaml_value(text: str, pos: int) -> tuple[int, int] | None:
    if text.startswith(('"', "'"), pos):
        return _value_at(text, pos)
    line = _REST_OF_LINE.match(text, pos)
    if line is None:
        return None
    value = line.group()
    comment = _YAML_COMMENT.search(value)
    if comment is not None:
        value = value[: comment.start()]
    value = value.rstrip()
    # A block scalar or nested mapping holds its value on later lines: nothing to mask here.
    if value in ("|", ">", "|-", ">-", "|+", ">+") or value.startswith(("{", "[", "&", "*")):
        return None
    if _is_placeholder(value):
        return None
    return pos, pos + len(value)


_FINDERS: tuple[_Finder, ...] = (
    _private_keys,
    _format_finder(
        "g",
        r"(?:h[pousr]_[A-Za-z0-9]{20,1024}|ithub_pat_[A-Za-z0-9_]{20,1024}"
        r"|l(?:pat|dt|rt|rtr|ptt|cbt|imt|agent|oas|soat|ffct|ft|cst|wt)-[A-Za-z0-9_-]{20,1024}"
        r"(?:\.[A-Za-z0-9_-]{1,64}){0,4})",
        ("gl", "gitlab-token"),
        ("g", "github-token"),
    ),
    _format_finder(
        "eyJ",
        r"[A-Za-z0-9_-]{5,8192}\.eyJ[A-Za-z0-9_-]{2,8192}\.[A-Za-z0-9_-]{0,8192}",
        ("", "jwt"),
    ),
    _format_finder("dckr_", r"(?:pat|oat)_[A-Za-z0-9_-]{20,1024}", ("", "docker-hub-token")),
    _format_finder("npm_", r"[A-Za-z0-9]{30,1024}", ("", "npm-token")),
    _format_finder("x", r"(?:ox[abposre]|app-\d)-[A-Za-z0-9-]{10,1024}", ("", "slack-token")),
    _format_finder(
        "A", r"(?:KIA|SIA|BIA|CCA)[A-Z0-9]{16}(?![A-Za-z0-9])", ("", "aws-access-key-id")
    ),
    _authorization_headers,
    _bearer_tokens,
    _passwords_in_urls,
    _short_flag_values,
    _flag_values,
    _stdin_passwords,
    _keyed_values,
)


# --- masking -----------------------------------------------------------------------------------


def mask_secrets(text: str) -> tuple[str, tuple[Redaction, ...]]:
    """Replace every credential in ``text`` with ``[REDACTED <kind>]``.

    Returns the masked text and one Redaction per kind found (with how many values were
    masked), in order of first appearance. Expects text that ``normalize`` has cleaned.
    """
    low = _same_length_lower(text)
    spans = [span for finder in _FINDERS for span in finder(text, low)]
    if not spans:
        return text, ()
    spans.extend(_echoes(text, spans))
    merged = _merge(spans)

    counts: dict[str, int] = {}
    parts: list[str] = []
    done = 0
    for start, end, kind in merged:
        parts.append(text[done:start])
        parts.append(f"[REDACTED {kind}]")
        counts[kind] = counts.get(kind, 0) + 1
        done = end
    parts.append(text[done:])
    redactions = tuple(
        Redaction(kind=kind, label=KINDS[kind].label, count=count) for kind, count in counts.items()
    )
    return "".join(parts), redactions


def _same_length_lower(text: str) -> str:
    """``text.lower()``, keeping every character at its position.

    Only U+0130 (I with dot above) lowers to two characters; it stands in as a plain "i".
    """
    low = text.lower()
    if len(low) != len(text):
        low = text.replace("\u0130", "i").lower()
    return low


def _echoes(text: str, spans: list[_Span]) -> Iterator[_Span]:
    """Every other place where a masked value appears verbatim."""
    values: dict[str, str] = {}
    for start, end, kind in spans:
        if end - start >= _MIN_ECHO:
            values.setdefault(text[start:end], kind)
    for value, kind in list(values.items())[:_MAX_ECHOES]:
        pos = text.find(value)
        while pos >= 0:
            yield pos, pos + len(value), kind
            pos = text.find(value, pos + len(value))


def _merge(spans: list[_Span]) -> list[_Span]:
    """Join overlapping spans; each joined span takes the kind of highest rank among its parts."""
    spans.sort()
    merged: list[_Span] = []
    for start, end, kind in spans:
        if end <= start:
            continue
        if merged and start < merged[-1][1]:
            last_start, last_end, last_kind = merged[-1]
            if KINDS[kind].rank > KINDS[last_kind].rank:
                last_kind = kind
            merged[-1] = (last_start, max(last_end, end), last_kind)
        else:
            merged.append((start, end, kind))
    return merged
