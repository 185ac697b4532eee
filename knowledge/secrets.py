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

import base64
import binascii
import bisect
import functools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

__all__ = ["KINDS", "Redaction", "SecretKind", "marker", "mask_secrets"]


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
        SecretKind("pypi-token", "a PyPI token", 85),
        SecretKind("jfrog-token", "a JFrog Artifactory token", 85),
        SecretKind("google-api-key", "a Google API key", 85),
        SecretKind("google-access-token", "a Google OAuth access token", 85),
        SecretKind("azure-client-secret", "an Azure AD client secret", 85),
        SecretKind("vault-token", "a HashiCorp Vault token", 85),
        SecretKind("terraform-token", "a Terraform Cloud token", 85),
        SecretKind("openshift-token", "an OpenShift token", 85),
        SecretKind("digitalocean-token", "a DigitalOcean token", 85),
        SecretKind("heroku-key", "a Heroku API key", 85),
        SecretKind("stripe-key", "a Stripe key", 85),
        SecretKind("openai-key", "an OpenAI API key", 85),
        SecretKind("slack-webhook", "a Slack webhook URL", 85),
        SecretKind("aws-secret-key", "an AWS secret access key", 80),
        SecretKind("url-signature", "a signed URL's signature", 75),
        SecretKind("kubernetes-secret", "a Kubernetes Secret's data", 75),
        SecretKind("registry-auth", "a saved registry login (config.json auth)", 75),
        SecretKind("identity-token", "a registry identity token", 75),
        SecretKind("bearer-token", "a bearer token", 70),
        SecretKind("basic-auth", "a Basic auth header", 70),
        SecretKind("cookie", "a session cookie", 65),
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
_ECHO_BUDGET = 16 * 1024 * 1024
"""Characters the search for echoes may read: each value searched costs one pass over the
paste, so a megabyte of distinct secrets gets its first 16 values echoed, a short paste 256."""
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_.-")

# --- values ------------------------------------------------------------------------------------

_MAX_VALUE = 8192
"""No value is longer: a scan for one stops here, so one match costs at most this much."""

# A closing quote may be missing (a paste cut short): the value then runs to the line end.
_DOUBLE_QUOTED = re.compile(r'"((?:[^"\\\n]|\\.){0,8192})"?')
_SINGLE_QUOTED = re.compile(r"'([^'\n]{0,8192})'?")
_ESCAPED_QUOTED = re.compile(r'\\"((?:[^"\\\n]|\\[^"\n]){0,8192})(?:\\")?')
# A written-out line break (\r, \n in debug output or a JSON string) ends a bare value: the
# scan stops there, rather than reading on and cutting back (which would read a long line
# again for every key on it).
_NO_ESCAPE = r"(?!\\[rn])"
_BARE_WORD = re.compile(r"(?:" + _NO_ESCAPE + r"[^\s\"'`]){1,8192}")
# ${VAR} and $( are taken whole so that they read as placeholders, not as a "$" to mask.
_BARE_ASSIGNED = re.compile(
    r"\$\{[^}\s]{0,100}\}|\$\(|(?:" + _NO_ESCAPE + r"[^\s\"'`,;&|<>(){}\[\]]){1,8192}"
)
_REST_OF_LINE = re.compile(r"[^\n]{1,8192}")
_YAML_COMMENT = re.compile(r"[ \t]#")
_PLACEHOLDER = re.compile(
    r"\$\{?[A-Za-z_][A-Za-z0-9_]{0,100}\}?"  # $TOKEN, ${TOKEN}: a variable, not its value
    r"|\$\d|\$\{[^}\s]{1,100}\}"  # "$1:$2" in a script, ${env.MAVEN_PASSWORD} in settings.xml
    r"|%[%a-z]{1,3}|%[A-Za-z_]{1,100}%|<[^<>\n]{0,100}>|\[[^\[\]\n]{0,100}\]"
    r"|\*{1,100}|\.{2,100}|\u2026|[xX]{3,100}"
    r"|(?i:true|false|null|none|nil|~)|\d{1,12} bytes"  # kubectl describe secret shows sizes
    # Words that stand for a secret in docs and examples (curl -u user:pass, test:test).
    r"|(?i:pass(?:word|wd)?|pwd|token|secret|test|change(?:me|it)|my-?password|your-?password"
    r"|your-?token|example|dummy|placeholder|redacted)"
    # A reference to a value kept elsewhere: Terraform's var.db_password, Actions' secrets.X,
    # an environment variable's name (ACCESS_TOKEN), a value sops has encrypted.
    r"|(?:var|local|module|data|each|self|secrets|env|vars|inputs|steps|needs|process\.env"
    r"|values|settings|config|matrix|github)(?:\.[A-Za-z_][\w-]{0,100}){1,6}"
    r"|[A-Z][A-Z0-9]{0,50}(?:_[A-Z0-9]{1,50}){1,10}|ENC\[[^\]\n]{0,8192}\]"
    r"|(.)\1{2,100}|."  # "yyy", and a value of one character ("PuttyPassword=0")
)
_DUMMY_WORDS = (
    "xxxxx", "####", "example", "your", "placeholder", "replace", "tokenhere", "token_here",
    "keyhere", "key_here", "secrethere", "secret_here",
)
"""What fills a made-up credential in docs and examples: ``ghp_xxxx...``, ``AKIA...EXAMPLE``,
``PUT_YOUR_TOKEN_HERE``. (Not "123456": a leak costs more than a masked example.)"""


_VALUE_CACHE = 4096
"""Verdicts on values are cached: a hostile paste repeats one value a hundred thousand times."""


@functools.lru_cache(maxsize=_VALUE_CACHE)
def _is_dummy(value: str) -> bool:
    """Whether a value is filler rather than a generated secret.

    Besides the filler words, a generated value uses many different characters: sixteen
    random hex digits hold about ten distinct ones, while ``1231231231...``, ``aaaa...`` and
    ``5555555dAAAAA7777777`` hold a few.
    """
    low = value.lower()
    if any(word in low for word in _DUMMY_WORDS):
        return True
    return len(value) >= 12 and len(set(value)) < min(10, len(value) // 3)


@functools.lru_cache(maxsize=_VALUE_CACHE)
def _is_placeholder(value: str) -> bool:
    value = value.strip()
    return (
        not value
        or value.startswith(("$(", "${{", "{{", "[REDACTED", "<"))
        or _PLACEHOLDER.fullmatch(value) is not None
        or _is_dummy(value)
    )


_NOT_RANDOM = re.compile(r"[a-z][a-z0-9+.-]{0,20}:|[/.~]|[a-z]{1,40}(?:[_-][a-z]{1,40}){0,8}")
"""Values of an ambiguous key that are names, paths or schemes (``sha256:...``), not secrets."""


@functools.lru_cache(maxsize=_VALUE_CACHE)
def _looks_random(value: str) -> bool:
    """Whether a value looks generated: long, mixed, and without the shape of a word or path.

    Keys such as ``secretKey`` or ``user_auth`` hold a secret in one file and the *name* of
    one in another (an ExternalSecret's ``secretKey: db-password``); only a value that looks
    generated is masked for them.
    """
    if not 16 <= len(value) <= 1024 or any(c.isspace() for c in value):
        return False
    if _NOT_RANDOM.match(value) and (value[0] in "/.~" or ":" in value[:22] or
                                     _NOT_RANDOM.fullmatch(value)):
        return False
    digits = sum(c.isdigit() for c in value)
    letters = sum(c.isalpha() for c in value)
    if not (digits and letters and len(set(value)) >= 8):
        return False
    # Mostly words ("SalesResults-1.2", "jetbrains.mps.v8_elimination"): a name, not a key.
    wordy = sum(len(word) for word in _WORD.findall(value))
    return wordy * 2 < len(value)


_WORD = re.compile(r"[A-Z]?[a-z]{3,}|[A-Z]{3,}(?![a-z])")


def _value_span(
    text: str, pos: int, bare: re.Pattern[str] = _BARE_WORD
) -> tuple[int, int] | None:
    """The span of the value starting at ``pos``: a quoted string's inside, or a bare word,
    placeholder or not."""
    if text.startswith('\\"', pos):
        match = _ESCAPED_QUOTED.match(text, pos)
    elif text.startswith('"', pos):
        match = _DOUBLE_QUOTED.match(text, pos)
    elif text.startswith("'", pos):
        match = _SINGLE_QUOTED.match(text, pos)
    else:
        match = bare.match(text, pos)
        if match is None:
            return None
        return match.span()
    return None if match is None else match.span(1)


def _value_at(text: str, pos: int, bare: re.Pattern[str] = _BARE_WORD) -> tuple[int, int] | None:
    """The span of the value starting at ``pos``, unless it is a placeholder."""
    span = _value_span(text, pos, bare)
    if span is None or _is_placeholder(text[span[0] : span[1]]):
        return None
    return span


_LINE_WINDOW = 512


def _line_start(text: str, pos: int) -> int:
    """Where the line holding ``pos`` starts, looking back at most ``_LINE_WINDOW`` characters.

    The bound keeps a scan linear on one huge line; a key that far into a line is not at its
    start, and a header that far in is not a header.
    """
    floor = max(0, pos - _LINE_WINDOW)
    newline = text.rfind("\n", floor, pos)
    return newline + 1 if newline >= 0 else floor


_MAX_CONTINUATIONS = 8


def _in_command(low: str, pos: int, words: _Words) -> bool:
    """Whether one of ``words`` stands before ``pos`` in the shell command holding it: on its
    line, or on the lines before that ``\\`` continues."""
    end = pos
    start = _line_start(low, pos)
    for _ in range(_MAX_CONTINUATIONS):
        if words.within(start, end):
            return True
        if start < 2 or low[start - 1] != "\n":
            return False
        end = start - 1
        if end and low[end - 1] == "\r":
            end -= 1
        if not end or low[end - 1] != "\\":
            return False
        start = _line_start(low, end)
    return False


class _Words:
    """Where a word occurs in a text, for asking "is it in this stretch?" in O(log n)."""

    __slots__ = ("_at",)

    def __init__(self, low: str, word: str) -> None:
        at: list[int] = []
        pos = low.find(word)
        while pos >= 0:
            at.append(pos)
            pos = low.find(word, pos + 1)
        self._at = at

    def within(self, start: int, end: int) -> bool:
        i = bisect.bisect_left(self._at, start)
        return i < len(self._at) and self._at[i] < end


# --- finders -----------------------------------------------------------------------------------
# Each finder takes the text and its lower-case copy (same length, same positions) and yields
# spans. Every pattern starts with a literal, which the regex engine finds with a fast search:
# on a paste without that literal a finder costs about a microsecond. A finder never starts a
# value scan inside a value it has already found: each character is read by at most one scan,
# which keeps masking linear even when a key repeats a million times.

_Finder = Callable[[str, str], Iterable[_Span]]

_Format = tuple[str, re.Pattern[str], tuple[tuple[str, str], ...], int]


def _format(
    prefix: str,
    shape: str,
    *kinds: tuple[str, str],
    gate: str = "",
    keep_prefix: bool = False,
) -> _Format:
    """A credential recognisable by its shape alone: ``prefix`` then ``shape``.

    ``kinds`` are (prefix, kind) pairs: a match takes the kind of the first prefix it has.
    ``gate`` is a literal a paste must hold for the pattern to run at all (the prefix itself
    by default): a substring test is cheaper than a regex scan, and spares most pastes.
    With ``keep_prefix`` the prefix stays readable (a webhook's host) and only the rest is
    masked.
    """
    literal = re.escape(prefix)
    # The prefix must start a word: the look-behind rejects "xeyJ..." at once instead of
    # scanning a long run of token characters from every inner "eyJ".
    pattern = re.compile(f"{literal}(?<![A-Za-z0-9_]{literal}){shape}")
    return gate or prefix, pattern, kinds, len(prefix) if keep_prefix else 0


_TOKEN = "token"
_FORMATS: tuple[_Format, ...] = (
    _format(
        "g",
        r"(?:h[pousr]_[A-Za-z0-9]{20,1024}|ithub_pat_[A-Za-z0-9_]{20,1024}"
        r"|l(?:pat|dt|rt|rtr|ptt|cbt|imt|agent|oas|soat|ffct|ft|cst|wt)-[A-Za-z0-9_-]{20,1024}"
        r"(?:\.[A-Za-z0-9_-]{1,64}){0,4}"
        r"|lc_[A-Za-z0-9+/]{32,400}={0,2}|lsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8})",
        ("glc_", _TOKEN),  # Grafana Cloud
        ("glsa_", _TOKEN),  # Grafana service account
        ("gl", "gitlab-token"),
        ("g", "github-token"),
    ),
    _format("GR1348941", r"[\w-]{20,200}", ("", "gitlab-token")),  # a runner registration token
    _format("_gitlab_session=", r"[0-9a-z]{32}", ("", "gitlab-token")),
    _format(
        "eyJ",
        # A JWT; an unsigned one ("alg": "none") has no third part.
        r"(?:[A-Za-z0-9_-]{5,8192}\.eyJ(?:[A-Za-z0-9_-]{2,8192}\.[A-Za-z0-9_-]{0,8192}"
        r"|[A-Za-z0-9_-]{16,8192}+(?!\.))"
        # Else base64 of a JSON object, long enough to hold a credential: a config.json
        # "auths" blob, an AWS CodeArtifact or ECR token. Possessive: no backing off.
        r"|[A-Za-z0-9+/_-]{64,8192}+={0,2}+(?![.\w]))",
        ("", "jwt"),
    ),
    _format("dckr_", r"(?:pat|oat)_[A-Za-z0-9_-]{20,1024}", ("", "docker-hub-token")),
    _format("npm_", r"[A-Za-z0-9]{30,1024}", ("", "npm-token")),
    _format("pypi-", r"AgE[\w-]{50,1000}", ("", "pypi-token")),
    _format("rubygems_", r"[a-f0-9]{48}", ("", _TOKEN)),
    # Slack's token shapes: numeric ids, then a random part (api.slack.com token types).
    _format(
        "x",
        r"(?:oxb-\d{8,14}-(?:\d{8,14}-[A-Za-z0-9]{16,64}|[A-Za-z0-9]{18,64})"
        r"|ox[pe](?:-\d{6,14}){3}-[A-Za-z0-9]{18,64}|ox[os]-\d{1,14}-\d{1,14}-\d{1,14}-[A-Fa-f0-9]{6,64}"
        r"|ox[ar]-(?:\d-)?[A-Za-z0-9]{6,64}(?:-[A-Za-z0-9]{1,64}){0,4}"
        r"|app-\d-[A-Z0-9]{6,16}-\d{6,16}-[a-z0-9]{32,128}|oxe(?:\.xox[bp])?-\d-[A-Za-z0-9]{100,300})",
        ("", "slack-token"),
    ),
    _format(
        "hooks.slack.com/",
        r"(?:services|workflows|triggers)/[A-Za-z0-9+/_-]{20,300}",
        ("", "slack-webhook"),
        keep_prefix=True,
    ),
    _format(
        "A",
        r"(?:(?:KIA|SIA|BIA|CCA)[A-Z0-9]{16}(?![A-Za-z0-9])|Iza[\w-]{35}(?![\w-])"
        r"|KCp[A-Za-z0-9]{69}|BSK[A-Za-z0-9+/]{109,269}={0,2})",
        ("AIza", "google-api-key"),
        ("AKCp", "jfrog-token"),
        ("ABSK", "aws-secret-key"),  # an Amazon Bedrock API key
        ("A", "aws-access-key-id"),
    ),
    _format(
        "bedrock-api-key-", r"YmVkcm9jay5hbWF6b25hd3MuY29t[A-Za-z0-9+/=_-]{0,4096}",
        ("", "aws-secret-key"),
    ),
    _format("cmVmd", r"[A-Za-z0-9]{59,200}(?![A-Za-z0-9])", ("", "jfrog-token")),
    _format("ya29.", r"[\w-]{20,4096}", ("", "google-access-token")),
    _format("HRKU-", r"[\w-]{58,200}", ("", "heroku-key")),
    _format("do", r"[por]_v1_[a-f0-9]{64}", ("", "digitalocean-token"), gate="_v1_"),
    _format("hv", r"[sbr]\.[\w-]{90,300}", ("", "vault-token")),
    _format("sha256~", r"[\w-]{43}(?![\w-])", ("", "openshift-token")),
    _format(
        "sk",
        r"(?:-(?:ant-(?:api|admin)\d\d-[\w-]{93}AA(?![\w-])|(?:proj|svcacct|admin)-[\w-]{40,300}"
        r"|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})|_(?:test|live|prod)_[A-Za-z0-9]{10,99})",
        ("sk-ant", "api-key"),  # Anthropic
        ("sk-", "openai-key"),
        ("sk_", "stripe-key"),
    ),
    _format("rk_", r"(?:test|live|prod)_[A-Za-z0-9]{10,99}", ("", "stripe-key")),
    _format("CLOJARS_", r"[a-z0-9]{60}", ("", _TOKEN)),  # Clojars, a package registry
)
"""Each format costs every paste a substring test (about 0.25 us on 2 KB): the list holds the
credentials of registries, clouds and CI systems that turn up in registry pastes."""

# Shapes whose distinctive literal sits inside the token. Each pattern starts with that
# literal (so the engine searches for it fast) and looks behind for the characters before it;
# the number says how many there are.
_INNER_FORMATS: tuple[tuple[str, re.Pattern[str], int, str], ...] = (
    (".atlasv1.", re.compile(r"\.atlasv1\.(?<=(?<![\w.-])[A-Za-z0-9]{14}\.atlasv1\.)[\w=-]{60,70}"),
     14, "terraform-token"),
    ("Q~", re.compile(r"Q~(?<=(?<![\w~.-])[\w~.]{3}\dQ~)[\w~.-]{31,34}(?![\w~.-])"),
     4, "azure-client-secret"),
    # Vault's service tokens before 1.10: "s." and 24 characters, mixed (checked below).
    ("s.", re.compile(r"s\.(?<![\w.-]s\.)[A-Za-z0-9]{24}(?![\w.-])"), 0, "vault-token"),
)


def _formats(text: str, low: str) -> Iterator[_Span]:
    for gate, pattern, kinds, kept in [f for f in _FORMATS if f[0] in text]:
        for match in pattern.finditer(text):
            found = match.group()
            if _is_dummy(found[len(gate) if found.startswith(gate) else 1 :]):
                continue  # ghp_xxxx..., AKIA...EXAMPLE: a made-up token from the docs
            kind = next(kind for start, kind in kinds if found.startswith(start))
            if kind == "jwt" and "." not in found:
                kind = _TOKEN  # base64 JSON without a JWT's dots
            yield match.start() + kept, match.end(), kind
    for gate, pattern, back, kind in _INNER_FORMATS:
        if gate not in text:
            continue
        for match in pattern.finditer(text):
            start = match.start() - back
            found = text[start : match.end()]
            if _is_dummy(found) or (
                kind == "vault-token" and (found[2:].islower() or found[2:].isalpha())
            ):
                continue  # "s.somethinglowercase..." is a name, not a token
            yield start, match.end(), kind


_PEM_BEGIN = re.compile(r"-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----")
_PEM_END = re.compile(r"-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----")
# A key cut off before its END line: mask the header lines and base64 lines that follow it.
_PEM_CUT_BODY = re.compile(
    r"(?:(?:\r?\n|\\n)(?:(?:Proc-Type|DEK-Info|Comment): [^\n\\]{0,200}"
    r"|[A-Za-z0-9+/]{16,100}={0,2}|[A-Za-z0-9+/]{1,100}={1,2}|(?=\r?\n|\\n))){0,2000}"
)
_MAX_PEM = 65536
_BASE64_CHARS = re.compile(r"[A-Za-z0-9+/=]{16,}")
_MIN_KEY_LINES = 1


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
        if len(_BASE64_CHARS.findall(text, begin.end(), covered)) < _MIN_KEY_LINES:
            continue  # BEGIN and END with nothing between: an example of the format
        yield begin.start(), covered, "private-key"


# Other credential headers (PRIVATE-TOKEN, X-Registry-Auth, X-Api-Key) end in a key name that
# _keyed_values knows.
_HEADER_REST = r"[\"']?[ \t]{0,5}[:=][ \t]{0,5}[\"']?"
_AUTHORIZATION = re.compile(
    r"authorization" + _HEADER_REST
    + r"(?:(bearer|basic|token|api-token|negotiate|ntlm)[ \t]{1,5})?"
)
_COOKIE = re.compile(r"cookie" + _HEADER_REST)
# Where a header name stands: line start (curl -v adds "> "), a quoted key, after -H, or after
# a written-out line break (Python's http.client debug output: b'...\r\nAuthorization: ...').
_HEADER_AT_LINE_START = re.compile(r"[ \t]{0,20}(?:[<>*#][ \t]{0,3})?(?:proxy-)?")


def _opens_header(low: str, line_start: int, start: int) -> bool:
    """Whether what stands just before ``start`` opens a header or a quoted key: a quote, a
    brace, a comma or a bracket (and up to 3 blanks), ``-H``/``--header``, a written-out line
    break, ``Set-``. String tests, not a regex search: this runs for every candidate key."""
    before = low[max(line_start, start - 32) : start]
    if before.endswith("proxy-"):
        before = before[:-6]
    if before.endswith(("\\n", "set-")):
        return True
    stripped = before.rstrip(" \t")
    if stripped[-1:] in ("\"", "'"):
        return True
    if stripped[-1:] in ("{", ",", "[") and len(before) - len(stripped) <= 3:
        return True
    flag = stripped[:-1] if stripped.endswith("=") else stripped
    return flag.endswith(("-h", "--header")) and (flag != stripped or stripped != before)
_HEADER_CREDENTIAL = re.compile(r"(?:" + _NO_ESCAPE + r"[^\s\"',;]){1,8192}")
_HEADER_VALUE = re.compile(_NO_ESCAPE + r"[^\s\"'](?:" + _NO_ESCAPE + r"[^\"'\n]){0,8191}")
_HEADER_KINDS = {"bearer": "bearer-token", "basic": "basic-auth"}


def _is_header_name_at(low: str, start: int) -> bool:
    """Whether a header name starting at ``start`` stands where headers are written."""
    line_start = _line_start(low, start)
    return bool(
        _HEADER_AT_LINE_START.fullmatch(low, line_start, start)
        or _opens_header(low, line_start, start)
    )


def _authorization_headers(text: str, low: str) -> Iterator[_Span]:
    yield from _headers(text, low, _AUTHORIZATION)
    if "cookie" in low:
        yield from _headers(text, low, _COOKIE)


def _headers(text: str, low: str, header: re.Pattern[str]) -> Iterator[_Span]:
    covered = 0
    cookie = header is _COOKIE
    for match in header.finditer(low):
        if match.start() < covered or not _is_header_name_at(low, match.start()):
            continue  # "may require authorization: ..." in a message is not a header
        scheme: str | None = None if cookie else match.group(1)
        value = (_HEADER_CREDENTIAL if scheme else _HEADER_VALUE).match(text, match.end())
        if value is None:
            continue
        end = value.start() + len(value.group().rstrip())
        covered = end
        if text.startswith("{", value.start()) or _is_placeholder(text[value.start() : end]):
            continue  # Basic {base64(user:password)}: how to build one, not one
        kind = "cookie" if cookie else _HEADER_KINDS.get(scheme or "", "authorization-header")
        yield value.start(), end, kind


# The look-aheads reject "Bearer Bearer ..." and "basic auth" inside the engine, before any
# Python runs for them.
_BEARER = re.compile(r"bearer(?<![a-z0-9_]bearer)[ \t]{1,5}(?=[A-Za-z0-9\-._~+/]{16})")
_BASIC = re.compile(r"basic(?<![a-z0-9_]basic)[ \t]{1,5}(?=[A-Za-z0-9+/]{8})")
_AUTH_PARAM = re.compile(r"[a-z_-]{1,40}=\"")  # Bearer realm="...": a challenge, not a token
_BEARER_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]{16,8192}=*")
_BASIC_CREDENTIAL = re.compile(r"[A-Za-z0-9+/]{8,4096}={0,2}(?![\w+/=])")


def _is_basic_credential(value: str) -> bool:
    """Whether a word is base64 of ``user:password``, as a Basic header carries."""
    try:
        decoded = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except binascii.Error:
        return False
    return b":" in decoded and decoded.isascii()


def _bearer_tokens(text: str, low: str) -> Iterator[_Span]:
    """``Bearer X`` and ``Basic X`` wherever they stand, in a header or in a sentence."""
    yield from _scheme_credentials(text, low, _BEARER)
    if "basic" in low:
        yield from _scheme_credentials(text, low, _BASIC)


def _scheme_credentials(text: str, low: str, scheme: re.Pattern[str]) -> Iterator[_Span]:
    covered = 0
    for match in scheme.finditer(low):
        if match.start() < covered or _AUTH_PARAM.match(low, match.end()):
            continue
        if scheme is _BASIC:
            token = _BASIC_CREDENTIAL.match(text, match.end())
            if token is None or not _is_basic_credential(token.group()):
                continue  # "basic auth", "Basic realm", or words: not a credential
            kind = "basic-auth"
        else:
            token = _BEARER_TOKEN.match(text, match.end())
            if token is None:
                continue
            kind = "bearer-token"
        covered = token.end()
        yield token.start(), token.end(), kind


_SCHEME = re.compile(r"://")
_MAX_USERINFO = 512
_USERINFO = re.compile(r"[^\s\"'<>`]{1,512}")
_HOST = re.compile(r"[^\s\"'<>`/]{0,256}")  # up to the path: an '@' in it ends a password
_PORT_PATH = re.compile(r"\d{1,5}/")  # host:5000/path@sha256:...: an image reference
_DIGEST_AFTER = re.compile(r"[a-z0-9]{2,32}:[a-f0-9]{6}")


def _passwords_in_urls(text: str, low: str) -> Iterator[_Span]:
    """``scheme://user:password@host`` and ``scheme://TOKEN@host``.

    The user part stops at the first ':'; the password runs to the last '@' before the host
    (an unencoded '@' or '/' in a password must not leave a tail behind).
    """
    if "@" not in text:
        return
    covered = 0
    for match in _SCHEME.finditer(text):
        begin = match.end()
        if begin < covered:
            continue
        first_at = text.find("@", begin, begin + _MAX_USERINFO)
        if first_at < 0:
            continue
        userinfo = _USERINFO.match(text, begin, first_at)
        if userinfo is None or userinfo.end() != first_at:
            continue
        host = _HOST.match(text, first_at + 1)
        last_at = text.rfind("@", first_at, host.end() if host else first_at + 1)
        colon = text.find(":", begin, last_at)
        if colon < 0:
            span = _url_token(text, begin, last_at)
        else:
            span = _url_password(text, begin, colon, last_at)
        if span is not None:
            covered = span[1]
            yield span[0], span[1], span[2]


# ``user:password@host`` written without a scheme (``docker login`` help, proxy settings). The
# host must have a dot or be localhost, so ``nginx:1.25@sha256:...`` stays an image reference.
_BARE_USERINFO = re.compile(
    r"(?<![\w.:/@%-])([A-Za-z0-9][\w.-]{0,63}):([^\s\"'<>`@]{1,256})@"
    r"(?=(?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,63}\b|localhost\b)"
)
_NOT_USERS = frozenset({"mailto", "http", "https", "ssh", "git", "docker", "oci", "file"})


def _bare_passwords(text: str, low: str) -> Iterator[_Span]:
    """``user:password@host`` with no ``scheme://`` before it."""
    if "@" not in text:
        return
    for match in _BARE_USERINFO.finditer(text):
        user, password = match[1], match[2]
        if user.lower() in _NOT_USERS or _is_placeholder(password):
            continue
        if password.isdigit() or not any(c.isalpha() for c in user):
            continue  # host:5000@..., 10:22:33@...: a port or a time, not a login
        yield match.start(2), match.end(2), "password-in-url"


def _url_password(text: str, begin: int, colon: int, at: int) -> _Span | None:
    if text.find("/", begin, colon) >= 0:
        return None  # a path with ':' and '@' in it, not user:password
    password = text[colon + 1 : at]
    if "/" in password and (
        _PORT_PATH.match(password) or _DIGEST_AFTER.match(text, at + 1)
    ):
        return None  # registry:5000/repo@sha256:...: a port, a path and a digest
    if _is_placeholder(password):
        return None
    return colon + 1, at, "password-in-url"


def _url_token(text: str, begin: int, at: int) -> _Span | None:
    """``https://TOKEN@github.com``: a user part with no password is a token when it looks one."""
    user = text[begin:at]
    if "/" in user or not _looks_random(user):
        return None  # ssh://git@host, https://bob@host
    return begin, at, _TOKEN


_SHORT_FLAG = re.compile(r"-([pu])(?:[ \t]{1,5}|=)?")
_SHORT_FLAG_COMMANDS = {"p": "login", "u": "curl"}
"""-p holds a password after ``login`` (docker, podman, helm registry, skopeo, az acr); -u holds
user:password for curl. Elsewhere they are other things (docker run -p 8080:80)."""
# A shell word: quoted parts and bare characters, as in --user kevin:'pa ss' or "a":"b".
_SHELL_WORD = re.compile(r"(?:\"[^\"\n]{0,512}\"|'[^'\n]{0,512}'|[^\s\"'`|;&<>]){1,1024}+")


def _short_flag_values(text: str, low: str) -> Iterator[_Span]:
    """``docker login -u bob -p VALUE``, ``curl -u bob:VALUE``."""
    if "login" not in low and "curl" not in low:
        return
    commands = {flag: _Words(low, word) for flag, word in _SHORT_FLAG_COMMANDS.items()}
    covered = 0
    for match in _SHORT_FLAG.finditer(low):
        start = match.start()
        if start < covered or not start or low[start - 1] not in " \t":
            continue
        flag = match.group(1)
        if not _in_command(low, start, commands[flag]):
            continue
        if text.startswith("-", match.end()):
            continue  # followed by the next option: no value here
        span = _user_password(text, match.end()) if flag == "u" else _value_at(text, match.end())
        if span is not None:
            covered = span[1]
            yield span[0], span[1], "password"


def _user_password(text: str, pos: int) -> tuple[int, int] | None:
    """The password in ``user:password`` (curl -u, --creds), quoted in any of the shell's ways."""
    word = _SHELL_WORD.match(text, pos)
    if word is None:
        return None
    colon = text.find(":", pos, word.end())
    if colon < 0:
        return None  # a user name alone: the client asks for the password
    start, end = colon + 1, word.end()
    while start < end and text[start] in "\"'":
        start += 1
    while end > start and text[end - 1] in "\"'":
        end -= 1
    if _is_placeholder(text[start:end]):
        return None
    return start, end


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
    curl = _Words(low, "curl") if "--user" in low else None
    covered = 0
    for match in _LONG_FLAG.finditer(low):
        if match.start() < covered:
            continue
        prefix, name = match.groups()
        if name == "secret" and not prefix:
            continue  # buildkit's --secret id=...,src=... names a file, it holds no secret
        if name == "user" and (
            prefix or curl is None or not _in_command(low, match.start(), curl)
        ):
            continue  # --user holds user:password for curl; elsewhere (docker run) a uid
        if text.startswith("--", match.end()):
            continue
        if name in ("creds", "user"):
            span = _user_password(text, match.end())
        else:
            span = _value_at(text, match.end())
        if span is not None:
            covered = span[1]
            yield span[0], span[1], _FLAG_KINDS[name]


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
    covered = 0
    for match in _PIPED_SECRET.finditer(low):
        start = match.start()
        if start < covered or (start and low[start - 1] in _TOKEN_CHARS):
            continue
        span = _value_at(text, match.end(), _PIPED_BARE)
        if span is None:
            continue
        after = span[1] + (1 if text[span[1] : span[1] + 1] in ('"', "'") else 0)
        if _PIPE_TO_STDIN.match(low, after):
            covered = span[1]
            yield span[0], span[1], "password"
    for match in _HERE_STRING.finditer(low):
        span = _value_at(text, match.end(), _PIPED_BARE)
        if span is not None:
            yield span[0], span[1], "password"


# key = value, key: value, "key": "value" where the key names a credential. One pattern per
# key ending, so that each starts with a literal; _keyed_kind reads the whole key.
_KEY_ENDINGS = tuple(
    (
        gate,
        re.compile(
            # Groups: the key's ending, a closing quote, the operator (numbered: read often).
            f"({ending})"
            r"(\\{0,3}[\"'])?[ \t]{0,32}([:=])(?!=)[ \t]{0,5}"
            # Something must follow: "password:" alone opens a nested mapping.
            r"(?=[^\s,;)}\]])"
        ),
    )
    for gate, ending in (
        ("passw", "passw(?:or)?d"),
        ("pwd", "pwd"),
        ("secret", "secret"),
        ("token", "token"),
        ("key", "key(?:[_-]?id)?"),
        ("auth", "auth"),
        ("docker", "docker(?:configjson|cfg)"),
        ("cred", "cred(?:ential)?s"),
    )
)
_ASSIGNMENT_AFTER = frozenset("\n \t;&?,{(\"'=:")
_HEADER_KEY_AFTER = frozenset(" \t-\"'{,[")
_NOT_SECRET_KEYS = frozenset({"pwd", "oldpwd", "key"})  # the shell's working directories
# A public token is meant to be seen; a CSRF token guards one form, it opens nothing.
_NOT_SECRET_PREFIXES = ("public", "csrf", "xsrf")


def _keyed_values(text: str, low: str) -> Iterator[_Span]:
    for gate, pattern in _KEY_ENDINGS:
        if gate not in low:
            continue
        covered = 0
        search = pattern.search
        while (match := search(low, covered)) is not None:
            # Searching on from the end of the last value skips every key inside it at once.
            covered = match.end()
            key_start = match.start()
            floor = max(0, key_start - 64)
            while key_start > floor and low[key_start - 1] in _KEY_CHARS:
                key_start -= 1
            named = _keyed_kind(low[key_start : match.end(1)])
            if named is None:
                continue
            span = _keyed_value(text, low, key_start, match)
            if span is None:
                continue
            # Past this value whatever it holds: a key inside a value read once is not read
            # again (a megabyte of "pwd=pwd=..." is one scan, not a scan per key).
            covered = span[1]
            value = text[span[0] : span[1]]
            kind, ambiguous = named
            if _is_placeholder(value) or (ambiguous and not _looks_random(value)):
                continue
            yield span[0], span[1], kind


def _keyed_value(
    text: str, low: str, key_start: int, match: re.Match[str]
) -> tuple[int, int] | None:
    """The value assigned to the key at ``key_start``, if the key stands where keys do."""
    quote, operator = match.group(2, 3)
    if quote:
        if low[max(0, key_start - len(quote)) : key_start] != quote:
            return None
        if operator == ":" and text.startswith(("|", ">"), match.end()):
            return _yaml_value(text, low, key_start, match.end())
        return _value_span(text, match.end(), _BARE_ASSIGNED)
    before = low[key_start - 1] if key_start else "\n"
    if operator == "=":
        if before not in _ASSIGNMENT_AFTER:
            return None
        return _value_span(text, match.end(), _BARE_ASSIGNED)
    # "key: value" counts in a YAML line or a header, not inside a sentence ("auth token: x").
    if before == "\n":
        return _yaml_value(text, low, key_start, match.end())
    if before not in _HEADER_KEY_AFTER:
        return None
    line_start = _line_start(low, key_start)
    if not low[line_start:key_start].strip(" \t-"):
        return _yaml_value(text, low, key_start, match.end())
    if _opens_header(low, line_start, key_start):
        value = _HEADER_VALUE.match(text, match.end())
        if value is None:
            return None
        return value.start(), value.start() + len(value.group().rstrip())
    return None


@functools.lru_cache(maxsize=1024)
def _keyed_kind(key: str) -> tuple[str, bool] | None:
    """The kind of secret a key names, and whether the name is ambiguous; None when it holds none.

    An ambiguous name (``secretKey``, ``user_auth``, ``signing_key``) holds a secret in one
    file and the name of one in another: only a value that looks generated is masked.
    """
    plain = key.lstrip("._").replace("-", "_")
    if plain in _NOT_SECRET_KEYS or plain.startswith(_NOT_SECRET_PREFIXES):
        return None
    if plain in ("auth", "x_registry_auth") or plain.endswith(("dockerconfigjson", "dockercfg")):
        return "registry-auth", False
    if plain.endswith("identitytoken"):
        return "identity-token", False
    if plain.endswith(("private_key_id", "privatekeyid")):
        return "gcp-service-account-key", False
    if plain.endswith(("private_key", "privatekey")):
        return "private-key", False
    if plain.endswith(("secret_access_key", "secretaccesskey")) or (
        "aws" in plain and "secret" in plain
    ):
        return "aws-secret-key", False
    if plain.endswith(("password", "passwd", "pwd", "passphrase")):
        return "password", False
    if plain.endswith(("api_key", "apikey")):
        return "api-key", False
    if plain.endswith("token"):
        return "token", False
    if plain.endswith(("secret", "secret_key", "accountkey", "sharedaccesskey")):
        return "secret", False
    if plain.endswith(("key", "auth", "credentials", "creds")) and not plain.endswith(
        ("public_key", "publickey")
    ):
        return "secret", True
    return None


def _yaml_value(text: str, low: str, key_start: int, pos: int) -> tuple[int, int] | None:
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
    if value[:1] in ("|", ">") and value.lstrip("|>+-0123456789") == "":
        block = _yaml_block(text, key_start, line.end())
        return None if block is None or _is_placeholder(text[block[0] : block[1]]) else block
    # A nested mapping holds its value on later lines: nothing to mask here.
    if value.startswith(("{", "[", "&", "*")):
        return None
    if _is_placeholder(value):
        return None
    return pos, pos + len(value)


_MAX_BLOCK = 65536
_INDENT = re.compile(r"[ \t]*")


def _yaml_block(text: str, key_start: int, pos: int) -> tuple[int, int] | None:
    """The lines of a YAML block scalar (``key: |``), which are indented deeper than the key."""
    indent = key_start - _line_start(text, key_start)
    start = end = pos + 1
    limit = min(len(text), pos + _MAX_BLOCK)
    while start < limit:
        newline = text.find("\n", start, limit)
        line_end = newline if newline >= 0 else limit
        depth = _INDENT.match(text, start, line_end)
        content = depth.end() if depth else start
        if content < line_end:
            if content - start <= indent:
                break
            end = line_end
        start = line_end + 1
    if end <= pos + 1:
        return None
    first = _INDENT.match(text, pos + 1)
    return (first.end() if first else pos + 1), end


_SIGNED_PARAMETERS = (
    "sig", "signature", "x-amz-signature", "x-amz-credential", "x-amz-security-token",
    "x-goog-signature", "x-goog-credential", "verify", "token", "access_token",
)
# Starts with the "=" so that the engine searches for one character, then looks behind for
# the parameter's name (each look-behind has a fixed width, as Python requires).
_URL_SIGNATURE = re.compile(
    "=(?:" + "|".join(f"(?<=[?&;]{name}=)" for name in _SIGNED_PARAMETERS) + ")"
)
_QUERY_VALUE = re.compile(r"[^\s&\"'<>#`\\]{4,4096}")


def _url_signatures(text: str, low: str) -> Iterator[_Span]:
    """A signed URL's signature: Azure SAS ``sig=``, S3 and GCS signatures, Docker Hub's CDN
    ``verify=``. Whoever holds the URL can fetch the blob until it expires."""
    if "?" not in low and "&" not in low:
        return  # no query string, no signed URL
    covered = 0
    for match in _URL_SIGNATURE.finditer(low):
        if match.start() < covered:
            continue
        value = _QUERY_VALUE.match(text, match.end())
        if value is None:
            continue
        covered = value.end()
        if _is_placeholder(value.group()):
            continue
        kind = _TOKEN if low.endswith("token=", 0, match.end()) else "url-signature"
        yield value.start(), value.end(), kind


_XML_SETTING = re.compile(r"<add[ \t]{1,5}key=\"([^\"\n]{1,64})\"[ \t]{1,5}value=")
_XML_ELEMENT = re.compile(
    r"<([a-z_.:-]{0,40}(?:password|passwd|passphrase|token|secret|apikey|api_key|secretkey))>"
    r"[ \t\r\n]{0,100}"
)
_XML_TEXT = re.compile(r"[^<\s](?:[^<\n]{0,8190}[^<\s])?")


def _xml_values(text: str, low: str) -> Iterator[_Span]:
    """NuGet.Config ``<add key="ClearTextPassword" value="X"/>``; Maven's
    ``<password>X</password>`` in settings.xml."""
    if "value=" in low:
        for match in _XML_SETTING.finditer(low):
            named = _keyed_kind(match.group(1))
            if named is None:
                continue
            span = _value_at(text, match.end())
            if span is not None and not (named[1] and not _looks_random(text[span[0]:span[1]])):
                yield span[0], span[1], named[0]
    if "</" not in low:
        return
    covered = 0
    for match in _XML_ELEMENT.finditer(low):
        if match.start() < covered:
            continue
        named = _keyed_kind(match.group(1))
        value = _XML_TEXT.match(text, match.end())
        if named is None or value is None or _is_placeholder(value.group()):
            continue
        covered = value.end()
        yield value.start(), value.end(), named[0]


_CONFIGURE_SET = re.compile(r"configure[ \t]{1,5}set[ \t]{1,5}([\w.-]{1,64})[ \t]{1,5}")


def _configure_set(text: str, low: str) -> Iterator[_Span]:
    """``aws configure set aws_secret_access_key X`` (and the same shape in other CLIs)."""
    if "configure" not in low:
        return
    for match in _CONFIGURE_SET.finditer(low):
        named = _keyed_kind(match.group(1).rsplit(".", 1)[-1])
        span = _value_at(text, match.end()) if named else None
        if named and span:
            yield span[0], span[1], named[0]


_SECRET_KIND = re.compile(r"kind:[ \t]{0,5}[\"']?secret[\"']?[ \t]*(?:\r?\n|$)", re.M)
_SECRET_DATA = re.compile(r"^([ \t]*)(?:data|stringdata):[ \t]*\r?$", re.M)
_DATA_ENTRY = re.compile(r"[ \t]*[\w.-]{1,253}:[ \t]*")
_KIND_REACH = 4096
"""How far from ``data:`` a ``kind: Secret`` line may stand (a manifest is short)."""


_MIN_DATA = 10
"""Shorter data is not worth a rotation notice (``YmFyCg==`` is "bar")."""


def _in_secret_manifest(low: str, kinds: list[int], data: int) -> bool:
    """Whether a ``kind: Secret`` line stands near ``data``, in the same YAML document."""
    near = bisect.bisect_left(kinds, data - _KIND_REACH)
    for kind in kinds[near : near + 8]:
        if kind > data + _KIND_REACH:
            break
        low_end, high_end = sorted((kind, data))
        if low.find("\n---", low_end, high_end) < 0:
            return True
    return False


def _secret_manifests(text: str, low: str) -> Iterator[_Span]:
    """Every value under ``data:`` in a Kubernetes Secret: each one is a credential (a
    ``.dockerconfigjson`` in an image pull secret), whatever its key is called."""
    if "secret" not in low or "data:" not in low:
        return
    kinds = [match.start() for match in _SECRET_KIND.finditer(low)]
    if not kinds:
        return
    covered = 0
    for data in _SECRET_DATA.finditer(low):
        if data.start() < covered:
            continue
        if not _in_secret_manifest(low, kinds, data.start()):
            continue
        indent = len(data.group(1).expandtabs(1))
        pos = data.end() + 1
        while pos < len(text):
            line_end = text.find("\n", pos)
            line_end = len(text) if line_end < 0 else line_end
            depth = _INDENT.match(text, pos, line_end)
            if depth is not None and (depth.end() == line_end or text[depth.end()] == "#"):
                pos = line_end + 1
                continue  # a blank line or a comment inside the block
            entry = _DATA_ENTRY.match(text, pos, line_end)
            if entry is None or depth is None or depth.end() - pos <= indent:
                break
            value = _yaml_value(text, low, depth.end(), entry.end())
            if value is not None and value[1] - value[0] >= _MIN_DATA:
                yield value[0], value[1], "kubernetes-secret"
                line_end = max(line_end, value[1])  # a block scalar's lines are the value's
                next_line = text.find("\n", line_end)
                line_end = len(text) if next_line < 0 else next_line
            pos = line_end + 1
        covered = pos


def _config_files(text: str, low: str) -> Iterator[_Span]:
    """Credentials in the shapes of config files and commands that write them."""
    if "</" in low or "value=" in low:
        yield from _xml_values(text, low)
    if "configure" in low:
        yield from _configure_set(text, low)
    if "data:" in low:
        yield from _secret_manifests(text, low)


_FINDERS: tuple[_Finder, ...] = (
    _private_keys,
    _formats,
    _authorization_headers,
    _bearer_tokens,
    _passwords_in_urls,
    _bare_passwords,
    _url_signatures,
    _short_flag_values,
    _flag_values,
    _stdin_passwords,
    _keyed_values,
    _config_files,
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
    markers = {kind: marker(kind) for kind in {kind for _, _, kind in merged}}
    parts: list[str] = []
    append = parts.append
    done = 0
    for start, end, kind in merged:
        append(text[done:start])
        append(markers[kind])
        counts[kind] = counts.get(kind, 0) + 1
        done = end
    parts.append(text[done:])
    redactions = tuple(
        Redaction(kind=kind, label=KINDS[kind].label, count=count) for kind, count in counts.items()
    )
    return "".join(parts), redactions


_IN_URL_KINDS = frozenset({"url-signature", "slack-webhook"})


def marker(kind: str) -> str:
    """What stands in for a masked value of ``kind``: ``[REDACTED password]``.

    Inside a URL the marker is one word (``[REDACTED:url-signature]``), so that the URL
    still reads as one and the error around it stays recognisable.
    """
    return f"[REDACTED:{kind}]" if kind in _IN_URL_KINDS else f"[REDACTED {kind}]"


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
    values: dict[str, tuple[str, set[int]]] = {}
    for start, end, kind in spans:
        if end - start >= _MIN_ECHO:
            # Where each value was found (two finders may find the same place).
            values.setdefault(text[start:end], (kind, set()))[1].add(start)
    searched = min(_MAX_ECHOES, _ECHO_BUDGET // max(len(text), 1))
    for value, (kind, found) in list(values.items())[:searched]:
        if text.count(value) <= len(found):
            continue  # every occurrence is masked already (one fast count, no span each)
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
