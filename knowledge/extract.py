"""Facts in a pasted registry error: the images, registry, tool, operation, status and platform.

This runs on every paste, so it is built to be fast. A substring search or a regex scan costs
one pass over the paste, and extraction asks about a hundred literals. So the paste is split
into its words once (lower case, every character but a-z and 0-9 a separator). A literal is
searched for only when the words inside it all occur, so most literals cost a set lookup.
Every regular expression starts with a literal, so the engine jumps from one occurrence to the
next. No pattern repeats a group that itself repeats, and at most ``_MAX_MATCHES`` matches of a
pattern are looked at, so the time is linear in the size of the paste.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Final, NamedTuple

from knowledge.context import Context, Registry
from knowledge.entry import Operation
from knowledge.reference import (
    DOCKER_HUB,
    ImageReference,
    InvalidReference,
    is_host_component,
    is_valid_host,
    normalize_host,
    parse_reference,
)
from knowledge.registries import registry_family

# A reference as tools print it: an optional [IPv6] host, then the characters a reference may
# hold. Upper case is included so that invalid names are seen (and then skipped).
_REF = r"((?:\[[0-9A-Fa-f:]{2,39}\](?::[0-9]{1,5})?/)?[\w.\-/:@]{1,700})"
_HOST = r"(\[[0-9A-Fa-f:]{2,39}\](?::[0-9]{1,5})?|[A-Za-z0-9][A-Za-z0-9.-]{0,252}(?::[0-9]{1,5})?)"
_Q = r'\\?"'  # a quote, escaped inside a logfmt msg="..." field
_TRAILING = ".,:;"  # punctuation that ends a sentence, never a reference

_MAX_MATCHES = 256
"""At most this many matches of one pattern are looked at: a real paste has far fewer, and the
cap bounds the work a hostile paste can cause."""


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.ASCII)


def _matches(regex: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    return islice(regex.finditer(text), _MAX_MATCHES)


def _word_char_before(text: str, index: int) -> bool:
    return index > 0 and (text[index - 1].isalnum() or text[index - 1] in "_-")


def _clean(token: str) -> str:
    return token.rstrip(_TRAILING)


# --- the paste, split into words -----------------------------------------------------------

_WORD_BYTES = b"abcdefghijklmnopqrstuvwxyz0123456789"
_SEPARATE = bytes(c if c in _WORD_BYTES else 32 for c in range(256))  # a bytes.translate table
_RUN = re.compile(r"[a-z0-9]+")


class _Text(dict[str, bool]):
    """The paste, its words, and whether it contains a literal: ``scanned["docker://"]``.

    Literals must start and end at word boundaries (see ``_words_of``).
    """

    __slots__ = ("text", "words")

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.words = frozenset(
            text.lower().encode("ascii", "replace").translate(_SEPARATE).split()
        )

    def __missing__(self, literal: str) -> bool:
        found = self[literal] = _words_of(literal) <= self.words and literal in self.text
        return found

    def any_of(self, literals: tuple[str, ...]) -> bool:
        return any(self[literal] for literal in literals)

    def has_word(self, word: bytes) -> bool:
        """Whether ``word`` (lower case a-z0-9) is one of the paste's words."""
        return word in self.words


@functools.cache
def _words_of(literal: str) -> frozenset[bytes]:
    """The words of a literal. Literals here start and end at word boundaries (``Failed to
    pull image``, not ``ailed to pull imag``), so the paste holds each of these words."""
    return frozenset(m[0].encode() for m in _RUN.finditer(literal.lower()))


# --- command lines --------------------------------------------------------------------------

_COMMAND_TOOLS: Final = (
    "docker", "podman", "nerdctl", "buildah", "crictl", "crane", "oras", "ctr", "helm", "skopeo",
)
# The rest of the line after a tool name; shell separators end a command.
_COMMANDS: Final = {tool: _rx(tool + r"[ \t]([^\n|;&]{1,400})") for tool in _COMMAND_TOOLS}
_GROUPS: Final = frozenset({"image", "images", "i", "registry", "auth"})
_VERBS: Final = frozenset({"pull", "push", "login", "copy", "cp", "install", "upgrade", "template"})
_VALUE_FLAGS: Final = frozenset(
    {
        # global options
        "--context", "-c", "--config", "-H", "--host", "-l", "--log-level", "--root",
        "--runroot", "--storage-driver", "--url", "--connection", "--command-timeout",
        "--policy", "--registries.d", "--tmpdir", "-n", "--namespace", "--address",
        "--snapshotter", "-r", "--runtime-endpoint", "-i", "--image-endpoint", "--timeout",
        "--kube-context", "--registry-config",
        # options of pull, push, copy and login
        "--platform", "--arch", "--os", "--variant", "--override-arch", "--override-os",
        "--override-variant", "--creds", "--src-creds", "--dest-creds", "--authfile",
        "--src-authfile", "--dest-authfile", "--cert-dir", "--src-cert-dir", "--dest-cert-dir",
        "--username", "-u", "--password", "-p", "--version", "--retry", "--retry-times",
        "--retry-delay", "--format", "-f", "--ca-file", "--cert-file", "--key-file", "--user",
        "--output", "-o", "--annotation", "--artifact-type", "--registry-token",
        "--src-registry-token", "--dest-registry-token", "--sign-by", "--digestfile",
        "--compression-format", "--decryption-key", "--encryption-key", "--values", "--set",
    }
)
_OPERATION_OF_VERB: Final[dict[str, Operation]] = {
    "pull": "pull", "install": "pull", "upgrade": "pull", "template": "pull",
    "push": "push", "login": "login",
}


@dataclass(frozen=True, slots=True)
class _Command:
    tool: str
    verb: str
    position: int
    arguments: tuple[str, ...]


def _commands(scanned: _Text) -> list[_Command]:
    text = scanned.text
    found: list[_Command] = []
    for tool in _COMMAND_TOOLS:
        if not scanned.has_word(tool.encode()):
            continue
        for m in _matches(_COMMANDS[tool], text):
            start = m.start()
            if _word_char_before(text, start) or text[start - 1 : start] in {".", "/"}:
                continue  # part of a longer word or a path: docker-credential-x, /usr/bin/x
            command = _command(tool, start, m[1].split())
            if command is not None:
                found.append(command)
    return found


def _command(tool: str, position: int, words: list[str]) -> _Command | None:
    """``tool [options] [group] verb args``, or None when the words are not such a command."""
    verb: str | None = None
    arguments: list[str] = []
    skip_value = False
    for word in words:
        if word in {"\\", "#"} or word.startswith((">", "#", "2>")):
            break
        if skip_value:
            skip_value = False
        elif word.startswith("-"):
            skip_value = "=" not in word and word in _VALUE_FLAGS
        elif verb is not None:
            arguments.append(word.strip("`'\""))
        elif word in _VERBS:
            verb = word
        elif word not in _GROUPS:
            return None  # `docker: Error response ...`, `docker ps`: not a command we read
    return _Command(tool, verb, position, tuple(arguments)) if verb else None


def _command_images(command: _Command) -> tuple[str, ...]:
    args = command.arguments
    if command.tool == "helm" or command.verb in {"login", "install", "upgrade", "template"}:
        return ()  # helm charts are found by their oci:// prefix; login names a host
    if command.verb in {"copy", "cp"}:
        return args[:2] if command.tool in {"crane", "oras"} else ()  # skopeo: docker://
    if command.tool == "crane" and command.verb == "push":
        return args[1:2]  # crane push TARBALL IMAGE
    return args[:1]


def _login_host(command: _Command) -> str | None:
    if command.arguments:
        host = command.arguments[0].partition("://")[2] or command.arguments[0]
        host = host.partition("/")[0]
        return host if is_valid_host(host) else None
    return DOCKER_HUB if command.tool == "docker" else None


# --- registry hosts ------------------------------------------------------------------------

_HOST_RULES: Final = (  # (a word the text must hold, a regex starting with a literal)
    (b"pinging", _rx(r"pinging container registry " + _HOST)),
    (b"lookup", _rx(r"lookup " + _HOST + r"(?: on |: )")),
    (b"logging", _rx(r"logging into " + _Q + _HOST)),
    (b"authenticating", _rx(r"authenticating creds for " + _Q + _HOST)),
    (b"uploads", _rx(r"uploads/ in " + _HOST)),
)
_TOKEN_URL = _rx(r"://" + _HOST + r"/(?:[\w.-]{1,40}/){0,2}(?:token|auth)\b")
_V2 = "/v2/"
_HOST_RUN = _rx(r"[A-Za-z0-9.:\[\]-]{1,260}")
_TOKEN_HOST_REGISTRY: Final = {"auth.docker.io": DOCKER_HUB, "gitlab.com": "registry.gitlab.com"}
_DOCKER_HUB_RATE_LIMIT = "You have reached your pull rate limit"
"""Docker Hub's own wording: the paste is about Docker Hub even when it names no host."""


def _v2_host(text: str) -> tuple[int, str] | None:
    """The first host of ``https://HOST/v2/...`` (or a bare ``HOST/v2/``), never a path's /v2/."""
    reverse = text[::-1]  # the host ends where /v2/ starts: read it backwards, in C
    index = text.find(_V2)
    for _ in range(_MAX_MATCHES):
        if index < 0:
            break
        run = _HOST_RUN.match(reverse, len(text) - index)
        if run:
            host = run[0][::-1]
            start = index - len(host)
            after_scheme = text[start - 3 : start] == "://"
            if (after_scheme or text[start - 1 : start] != "/") and is_valid_host(host):
                return start, host
        index = text.find(_V2, index + len(_V2))
    return None


def _first_host(scanned: _Text, commands: list[_Command]) -> str | None:
    """The first registry host the paste names in a URL, DNS lookup, ping or login; else the
    registry of the first token server it names."""
    text = scanned.text
    found: list[tuple[int, str]] = []
    if scanned.has_word(b"v2") and (v2 := _v2_host(text)):
        found.append(v2)
    for word, regex in _HOST_RULES:
        if scanned.has_word(word):
            for m in _matches(regex, text):
                if is_valid_host(m[1]):
                    found.append((m.start(1), m[1]))
                    break
    for command in commands:
        if command.verb == "login" and (host := _login_host(command)):
            found.append((command.position, host))
            break
    if found:
        return normalize_host(min(found)[1])
    if scanned.has_word(b"token") or scanned.has_word(b"auth"):
        for m in _matches(_TOKEN_URL, text):
            host = m[1].lower()
            if is_valid_host(host):
                return _TOKEN_HOST_REGISTRY.get(host, host)
    if scanned[_DOCKER_HUB_RATE_LIMIT]:
        return DOCKER_HUB
    return None


# --- images --------------------------------------------------------------------------------

_ERROR, _CONTEXT, _GENERIC = 0, 1, 2
"""Tiers of image evidence: the error line itself, the surrounding output, a bare token."""


class _Candidate(NamedTuple):
    """A reference found in the paste; candidates sort by tier, then position."""

    tier: int
    position: int
    text: str
    repository_only: bool = False
    """The tool printed the repository without its tag (``pull access denied for x/y``)."""


class _Rule(NamedTuple):
    literal: str
    """What every match starts with."""
    regex: re.Pattern[str]
    """``literal`` and the rest; group 1 is the reference."""
    tier: int
    repository_only: bool


def _rule(literal: str, rest: str, tier: int, *, repository_only: bool = False) -> _Rule:
    return _Rule(literal, _rx(re.escape(literal) + rest), tier, repository_only)


_RULES: Final = (
    _rule("pull access denied for ", _REF, _ERROR, repository_only=True),
    _rule("manifest for ", _REF + r" not found", _ERROR),
    _rule("source metadata for ", _REF, _ERROR),
    _rule("push permission for ", _Q + _REF, _ERROR),
    _rule("image with reference ", _REF + " was found", _ERROR),
    _rule("No such image: ", _REF, _ERROR),
    _rule("fetching manifest ", _REF, _ERROR),
    # buildx names the image ("failed to push ghcr.io/a/b:1: ..."), but also says
    # "failed to push because ...": only a token with a path is an image here.
    _rule("failed to push ", r"(?=[\w.:@-]{0,300}/)" + _REF, _ERROR),
    _rule("resolve reference ", _Q + _REF, _ERROR),
    _rule("checking whether a blob ", r"\S{1,200} exists in " + _REF, _ERROR,
          repository_only=True),
    _rule("locally with the tag: ", _REF, _ERROR),
    _rule("short-name ", _Q + _REF, _ERROR),  # podman: short-name "x" did not resolve ...
    _rule("load metadata for ", _REF, _CONTEXT),
    _rule("Unable to find image '", _REF + "'", _CONTEXT),
    _rule("push refers to repository [", _REF + r"\]", _CONTEXT, repository_only=True),
    _rule("Pushed: ", _REF, _CONTEXT),
    _rule("Trying to pull ", _REF, _CONTEXT),
    _rule("Pulled: ", _REF, _CONTEXT),
)
_QUOTED_IMAGE = _rx(r"mage " + _Q + _REF)  # image "x", Failed to pull image "x", PullImage \"x\"
_IMAGE_FIELD = _rx(r"mage:[ \t]{1,40}[\"']?" + _REF)  # k8s `image: x`, describe `Image:  x`
_DOCKER_TRANSPORT = _rx(r"docker://" + _REF)
_OCI_CHART = _rx(r"oci://" + _REF + r"([^\n]{0,300})")
_HELM_VERSION = _rx(r"--version[= ]([\w.+-]{1,128})")
_READING_MANIFEST = _rx(r"reading manifest (\S{1,200}) in " + _REF)
_PULLING_FROM = _rx(r": Pulling from " + _REF)
_MANIFEST_URL = _rx(r"://" + _HOST + r"/v2/([a-z0-9._/-]{1,255}?)/manifests/([\w.:-]{1,200})")
_GENERIC_REF = _rx(
    r"(?:^|(?<=[=\"'(<\[,]))((?:\[[0-9A-Fa-f:]{2,39}\]|[A-Za-z0-9][\w.-]{0,252})"
    r"(?::[0-9]{1,5})?/[\w.\-/:@]{1,600})"
)

# Words before docker://X or image "X" that make X the subject of the error line.
_ERROR_LEADS: Final = ("source ", "list ", 'name "', 'name \\"', "destination ")
_IMAGE_ERROR_LEADS: Final = ("ailed to pull ", "Back-off pulling ", "pull and unpack ", "Pull")

# Hosts whose paths are source code or documentation, never images, in a bare token.
_NOT_REGISTRIES: Final = frozenset(
    {
        "github.com", "gitlab.com", "bitbucket.org", "golang.org", "google.golang.org",
        "gopkg.in", "k8s.io", "sigs.k8s.io", "go.opentelemetry.io", "docs.docker.com",
        "www.docker.com", "docker.com", "hub.docker.com", "kubernetes.io", "helm.sh",
        "stackoverflow.com", "pkg.go.dev",
    }
)
_FILE_SUFFIX = re.compile(
    r"\.(?:go|py|java|kt|js|ts|rs|rb|c|h|cc|cpp|sh|ya?ml|json|toml|txt|md|log|conf|cfg|ini|"
    r"tar|tgz|gz|zip|crt|pem|key|html?)(?::[0-9]{1,6})?$",
    re.ASCII,
)
_IPV4 = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}", re.ASCII)


def _rule_candidates(scanned: _Text) -> Iterator[_Candidate]:
    text = scanned.text
    for rule in _RULES:
        if scanned[rule.literal]:
            for m in _matches(rule.regex, text):
                yield _Candidate(rule.tier, m.start(1), _clean(m[1]), rule.repository_only)
    if scanned.has_word(b"image") or scanned.has_word(b"pullimage"):
        for m in _matches(_QUOTED_IMAGE, text):
            start = m.start()
            if start and text[start - 1] in "Ii":
                lead = text[max(0, start - 20) : start - 1]
                tier = _ERROR if lead.endswith(_IMAGE_ERROR_LEADS) else _CONTEXT
                yield _Candidate(tier, m.start(1), _clean(m[1]))
        for m in _matches(_IMAGE_FIELD, text):
            start = m.start() - 1
            if start >= 0 and text[start] in "Ii" and _starts_field(text, start):
                yield _Candidate(_CONTEXT, m.start(1), _clean(m[1]))
    if scanned.has_word(b"docker"):
        for m in _matches(_DOCKER_TRANSPORT, text):
            lead = text[max(0, m.start() - 8) : m.start()]
            tier = _ERROR if lead.endswith(_ERROR_LEADS) else _CONTEXT
            yield _Candidate(tier, m.start(1), _clean(m[1]))
    if scanned.has_word(b"oci"):
        for m in _matches(_OCI_CHART, text):
            chart = _clean(m[1])
            version = _HELM_VERSION.search(m[2])
            if version and ":" not in chart.rpartition("/")[2] and "@" not in chart:
                chart += ":" + version[1].replace("+", "_")  # helm stores 1.0+x as tag 1.0_x
            yield _Candidate(_CONTEXT, m.start(1), chart)
    if scanned["/manifests/"]:
        # A registry API URL names the image exactly: /v2/<repository>/manifests/<reference>.
        for m in _matches(_MANIFEST_URL, text):
            reference = _clean(m[3])
            separator = "@" if ":" in reference else ":"
            yield _Candidate(_CONTEXT, m.start(1), f"{m[1]}/{m[2]}{separator}{reference}")
    if scanned["reading manifest "]:
        for m in _matches(_READING_MANIFEST, text):
            reference, repository = m[1], _clean(m[2])
            separator = "@" if ":" in reference else ":"
            yield _Candidate(_ERROR, m.start(2), f"{repository}{separator}{reference}")


def _starts_field(text: str, start: int) -> bool:
    """Whether only indentation (and a YAML list dash) comes before ``start`` on its line:
    ``  image: x`` is a field, ``manifest for image: x`` is prose."""
    line_start = text.rfind("\n", max(0, start - 200), start) + 1
    return text[line_start:start].strip(" \t-") == ""


def _pulling_from(text: str) -> Iterator[tuple[int, str, str]]:
    """``TAG: Pulling from PATH`` lines: docker names the path without the registry host."""
    for m in _matches(_PULLING_FROM, text):
        colon = m.start()
        low = max(0, colon - 200)
        line_start = max(text.rfind("\n", low, colon), text.rfind(" ", low, colon), low - 1) + 1
        reference = text[line_start:colon]
        separator = "@" if ":" in reference else ":"
        yield m.start(1), _clean(m[1]), f"{separator}{reference}"


def _generic_tokens(text: str) -> Iterator[tuple[int, str]]:
    """Bare words that look like host-qualified references, with their position."""
    position = 0
    for word in islice((w for w in text.split() if "/" in w), _MAX_MATCHES * 4):
        position = text.find(word, position)
        m = _GENERIC_REF.search(word)
        if m:
            yield position + m.start(1), _clean(m[1])


def _plausible_generic(reference: ImageReference, token: str) -> bool:
    host = token.partition("/")[0]
    name, _, port = host.partition(":") if not host.startswith("[") else (host, "", "")
    if not is_host_component(host) or name.lower() in _NOT_REGISTRIES:
        return False
    if _IPV4.fullmatch(name) and not port:
        return False  # 10.0.0.0/8 is a network, not an image
    if "." in name and not _IPV4.fullmatch(name) and not name.rpartition(".")[2].isalpha():
        return False
    return not _FILE_SUFFIX.search(reference.repository.rpartition("/")[2])


@functools.lru_cache(maxsize=4096)
def _parse(token: str) -> ImageReference | None:
    """parse_reference, or None for an invalid reference; pastes repeat the same references."""
    try:
        return parse_reference(token)
    except InvalidReference:
        return None


def _images(
    scanned: _Text, commands: list[_Command], host: str | None
) -> tuple[ImageReference, ...]:
    text = scanned.text
    candidates = list(_rule_candidates(scanned))
    for command in commands:
        candidates.extend(
            _Candidate(_CONTEXT, command.position + i, arg)
            for i, arg in enumerate(_command_images(command))
        )
    parsed = [(c, ref) for c in candidates if (ref := _parse(c.text)) is not None]
    if scanned[": Pulling from "]:
        known = {ref.repository for _, ref in parsed}
        for position, path, suffix in _pulling_from(text):
            if path not in known and (ref := _parse(f"{host or DOCKER_HUB}/{path}{suffix}")):
                parsed.append((_Candidate(_CONTEXT, position, str(ref)), ref))
    if not parsed and "/" in text:
        for position, token in _generic_tokens(text):
            ref = _parse(token)
            if ref is not None and _plausible_generic(ref, token):
                parsed.append((_Candidate(_GENERIC, position, token), ref))
    if not parsed:
        return ()

    parsed.sort(key=_order)
    # Docker prints some repositories without their tag: use the tagged reference the same
    # paste gives for that repository, if any.
    full: dict[str, ImageReference] = {}
    for candidate, ref in parsed:
        if not candidate.repository_only:
            full.setdefault(ref.name, ref)
    images: dict[str, ImageReference] = {}
    for candidate, ref in parsed:
        chosen = full.get(ref.name, ref) if candidate.repository_only else ref
        images.setdefault(str(chosen), chosen)
    return tuple(images.values())


def _order(item: tuple[_Candidate, ImageReference]) -> tuple[int, int]:
    return item[0].tier, item[0].position


# --- tool ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _ToolSigns:
    tool: str
    phrases: tuple[str, ...] = ()
    words: tuple[bytes, ...] = ()
    """Words (lower case) that are a sign on their own."""
    checked: tuple[bytes, re.Pattern[str]] | None = None
    """A word that is a sign only where this pattern matches too."""


def _named(tool: str, *phrases: str) -> _ToolSigns:
    """Signs of a tool that names itself: its name as a word of its own (not in
    docker-credential-x, /usr/bin/x or x.go), or one of ``phrases``."""
    name = re.compile(rf"(?<![\w/.-]){tool}(?![\w/-]|\.\w)", re.ASCII | re.IGNORECASE)
    return _ToolSigns(tool, phrases, checked=(tool.encode(), name))


# In precedence order: the first tool with a sign is the one that printed the innermost error
# (kubelet wraps containerd, buildkit runs under docker buildx, CI runners wrap everything).
_TOOLS: Final = (
    # kubelet's own journal lines name its CRI client (remote_image.go).
    _named("kubelet", "Failed to pull image", "Back-off pulling image", "ErrImagePull",
           "ImagePullBackOff", "PullImage from image service failed", "remote_image.go"),
    _ToolSigns(
        "buildkit",
        ("failed to solve", "docker buildx", "load metadata for ", "[internal] load"),
        (b"buildkit",),
        (b"error", re.compile(r"#[0-9]{1,5} ERROR")),
    ),
    _ToolSigns("kaniko", ("error checking push permissions",), (b"kaniko",)),
    _named("jib", "jib-maven-plugin", "jib-gradle-plugin", "com.google.cloud.tools.jib"),
    _named("helm", "INSTALLATION FAILED", "UPGRADE FAILED", "oci://"),
    _named("crane", "Error: fetching manifest"),
    _named("oras"),
    _named("skopeo", "Error parsing image name", "Error parsing manifest for image",
           "Error listing repository tags",
           'msg="initializing source', 'msg="trying to reuse blob', 'msg="choosing an image'),
    _named("buildah"),
    _named("podman", "Trying to pull ", "Error: initializing source", "Error: writing blob",
           "Error: choosing an image", "Error: reading manifest"),
    _named("crictl"),
    _named("nerdctl"),
    _ToolSigns(
        "docker",
        ("Error response from daemon", "Cannot connect to the Docker daemon", "Using default tag:",
         ": Pulling from ", "The push refers to repository", "pull access denied for ",
         "Unable to find image '", "no matching manifest for ", "docker: "),
    ),
    _named("containerd", "failed to pull and unpack", "failed to resolve reference", "ctr: "),
    _ToolSigns(
        "github-actions",
        ("##[error]", "Error: buildx failed", "Process completed with exit code",
         "docker/login-action", "docker/build-push-action", "GITHUB_"),
    ),
    _ToolSigns(
        "gitlab-ci",
        ("gitlab-runner", "ERROR: Job failed", "Using docker executor",
         "Using Kubernetes executor", "CI_REGISTRY"),
    ),
)
_COMMAND_TOOL_NAME: Final = {"ctr": "containerd"}


def _tool(scanned: _Text, commands: list[_Command]) -> str | None:
    commanded = {_COMMAND_TOOL_NAME.get(c.tool, c.tool) for c in commands}
    for signs in _TOOLS:
        if (
            signs.tool in commanded
            or scanned.any_of(signs.phrases)
            or any(scanned.has_word(word) for word in signs.words)
            or (
                signs.checked is not None
                and scanned.has_word(signs.checked[0])
                and signs.checked[1].search(scanned.text) is not None
            )
        ):
            return signs.tool
    return None


# --- operation -----------------------------------------------------------------------------

_OperationSigns = tuple[tuple[str, Operation], ...]

# Text from the failing step itself names the operation best; command lines and progress
# output only when the error does not. Within a tier, the last sign wins: a paste ends with
# the step that failed (`docker login` ... `Login Succeeded` ... `docker push` ... denied).
_ERROR_OPERATION_SIGNS: Final[_OperationSigns] = (
    ("pull access denied for ", "pull"),
    (_DOCKER_HUB_RATE_LIMIT, "pull"),
    ("Failed to pull image", "pull"),
    ("failed to pull image", "pull"),
    ("failed to pull and unpack", "pull"),
    ("Back-off pulling image", "pull"),
    ("ErrImagePull", "pull"),
    ("ImagePullBackOff", "pull"),
    ("Error pulling image", "pull"),
    ("error pulling image", "pull"),
    ("PullImage ", "pull"),
    ("pulling image: ", "pull"),
    ("initializing source", "pull"),
    ("source metadata for ", "pull"),
    ("reading manifest ", "pull"),
    ("choosing an image from manifest list", "pull"),
    ("choosing image instance", "pull"),
    ("no matching manifest for ", "pull"),
    ("fetching manifest ", "pull"),
    ("Error parsing image name", "pull"),
    ("Unable to find image '", "pull"),
    ("failed to push ", "push"),
    ("The push refers to repository", "push"),
    ("push permission for ", "push"),
    ("push permissions", "push"),
    ("Error pushing", "push"),
    ("error pushing", "push"),
    ("uploading manifest", "push"),
    ("initiating layer upload", "push"),
    ("/blobs/uploads/", "push"),
    ("blob upload unknown", "push"),
    ("blob upload invalid", "push"),
    ("BLOB_UPLOAD_", "push"),
    ("trying to reuse blob", "push"),
    ("login attempt to", "login"),
    ("logging into", "login"),
    ("Cannot perform an interactive login", "login"),
    ("authenticating creds for", "login"),
    ("Error saving credentials", "login"),
    ("error saving credentials", "login"),
    ("Error storing credentials", "login"),
    ("error storing credentials", "login"),
)
_CONTEXT_OPERATION_SIGNS: Final[_OperationSigns] = (
    (": Pulling from ", "pull"),
    ("Trying to pull ", "pull"),
    ("Pulling image", "pull"),
    ("Pulled: ", "pull"),
    ("load metadata for ", "pull"),
    ("Using default tag:", "pull"),
    ("Pushed: ", "push"),
    ("pushing layers", "push"),
    ("Login Succeeded", "login"),
    ("docker/login-action", "login"),
)


def _last_sign(
    scanned: _Text, signs: _OperationSigns, extra: list[tuple[int, Operation]]
) -> Operation | None:
    best: tuple[int, Operation] | None = max(extra) if extra else None
    for literal, operation in signs:
        if scanned[literal]:
            position = scanned.text.rfind(literal)
            if best is None or position > best[0]:
                best = (position, operation)
    return best[1] if best else None


# A failed registry request: reading a manifest or blob is a pull, writing one is a push.
_REQUEST_URL = _rx(r"://[^\s\"\\]{1,300}?/v2/[^\s\"\\]{1,300}?/(?:manifests|blobs)/")
_METHOD_BEFORE = _rx(  # Head "https://  GET https://  from PUT request to https://
    r"(?<![\w])(Get|GET|Head|HEAD|Put|PUT|Post|POST|Patch|PATCH)(?: request to)? \\?\"?https?\Z"
)
_REQUEST_OPERATION: Final[dict[str, Operation]] = {
    "get": "pull", "head": "pull", "put": "push", "post": "push", "patch": "push",
}


def _requests(scanned: _Text) -> list[tuple[int, Operation]]:
    if not (scanned.has_word(b"manifests") or scanned.has_word(b"blobs")):
        return []
    text = scanned.text
    found: list[tuple[int, Operation]] = []
    for m in _matches(_REQUEST_URL, text):
        start = m.start()
        method = _METHOD_BEFORE.search(text, max(0, start - 30), start)
        if method:
            found.append((method.start(), _REQUEST_OPERATION[method[1].lower()]))
    return found


def _operation(scanned: _Text, commands: list[_Command], tool: str | None) -> Operation | None:
    operation = _last_sign(scanned, _ERROR_OPERATION_SIGNS, _requests(scanned))
    if operation is None:
        issued = [
            (c.position, _OPERATION_OF_VERB[c.verb]) for c in commands
            if c.verb in _OPERATION_OF_VERB
        ]
        operation = _last_sign(scanned, _CONTEXT_OPERATION_SIGNS, issued)
    if operation is None and tool == "kubelet":
        operation = "pull"
    return operation


# --- HTTP status ---------------------------------------------------------------------------

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
_STATUS_WORD = _rx(r"tatus(?:[ _]?[Cc]ode)?[ :=]{1,3}\(?([1-5][0-9][0-9])(?![0-9])")
_HTTP_WORD = _rx(r"HTTP(?:/[0-9](?:\.[0-9])?)?(?: status)?[ :=]{1,3}\(?([1-5][0-9][0-9])(?![0-9])")
_FAILURE_CODES: Final = frozenset(str(code).encode() for code in range(400, 600))
_NOT_BEFORE_STATUS = frozenset("_-.:/")  # a port (`:443`), a version, a path or an identifier


@functools.cache
def _status_with_reason(code: bytes) -> re.Pattern[str]:
    """``401 Unauthorized``, ``404 (Not Found)``: a code and its reason phrase."""
    return _rx("(" + code.decode() + rf") \(?(?i:{_REASONS})\b")


def _http_status(scanned: _Text) -> int | None:
    """The first status of 400 or more: only a failure's status says anything about it."""
    text = scanned.text
    patterns = [(_status_with_reason(code), False) for code in _FAILURE_CODES & scanned.words]
    if scanned.has_word(b"status") or scanned.has_word(b"statuscode"):
        patterns.append((_STATUS_WORD, True))
    if scanned.has_word(b"http"):
        patterns.append((_HTTP_WORD, False))
    found: list[tuple[int, int]] = []
    for regex, after_status in patterns:
        for m in _matches(regex, text):
            if int(m[1]) >= 400 and _status_context(text, m.start(), after_status):
                found.append((m.start(), int(m[1])))
                break
    return min(found)[1] if found else None


def _status_context(text: str, start: int, after_status: bool) -> bool:
    before = text[start - 1 : start]
    if after_status:  # the match starts at "tatus"; `exit status 125` is a process's
        return before in {"S", "s"} and text[start - 6 : start - 1] != "exit "
    return not (before.isalnum() or before in _NOT_BEFORE_STATUS)


# --- OCI error codes -----------------------------------------------------------------------

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


def _oci_codes(scanned: _Text) -> tuple[str, ...]:
    """The codes as upper-case tokens (``MANIFEST_UNKNOWN: ...``, ``"code":"DENIED"``)."""
    text = scanned.text
    found: list[tuple[int, str]] = []
    for code, words in _OCI_CODE_WORDS:
        if not words <= scanned.words:
            continue
        index = text.find(code)
        for _ in range(_MAX_MATCHES):
            if index < 0:
                break
            end = index + len(code)
            after = text[end : end + 1]
            if not _word_char_before(text, index) and not (after.isalnum() or after == "_"):
                found.append((index, code))
                break
            index = text.find(code, end)
    return tuple(code for _, code in sorted(found))


# --- platform ------------------------------------------------------------------------------

_PLATFORM = r"([a-z0-9]{1,20}/[a-z0-9_]{1,20}(?:/[a-z0-9]{1,20})?)"
_PLATFORM_ERRORS: Final = (
    ("no matching manifest for ", _rx(r"no matching manifest for " + _PLATFORM)),
    ("specified platform: wanted ", _rx(r"specified platform: wanted " + _PLATFORM)),
)
_FOR_ARCHITECTURE = _rx(
    r"for architecture ([a-z0-9_]{1,20}), variant " + _Q + r"([a-z0-9]{0,20})" + _Q
    + r", OS ([a-z0-9]{1,20})"
)
_EXPECTED_PLATFORM = _rx(  # podman: expected platform ({arm64 linux  [] v8})
    r"expected platform \(\{([a-z0-9_]{1,20}) ([a-z0-9]{1,20}) [^\[\n]{0,60}\[[^\]\n]{0,200}\] ?"
    r"([a-z0-9]{0,20})\}"
)
_PLATFORM_FLAG = _rx(r"--platform[= ]" + _PLATFORM)


def _platform(scanned: _Text) -> str | None:
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


# --- all together --------------------------------------------------------------------------


def extract_context(text: str) -> Context:
    """Extract what a (normalised, secret-masked) paste says about the failed operation.

    Images are in order of evidence: references named by the error line itself first, then
    those from the surrounding output and command lines, each in order of appearance; bare
    host-qualified tokens (``registry.example.com/team/app:1``) only when nothing else names an
    image. Invalid references are skipped (telling the user about them is the classifier's job).
    The registry is the first image's, else the first host the paste names in a registry URL,
    DNS lookup, ``pinging container registry`` or login, else a token server's.
    """
    scanned = _Text(text)
    commands = _commands(scanned)
    named_host = _first_host(scanned, commands)
    images = _images(scanned, commands, named_host)
    host = images[0].host if images else named_host
    tool = _tool(scanned, commands)
    return Context(
        images=images,
        registry=Registry(host, registry_family(host)) if host else None,
        tool=tool,
        operation=_operation(scanned, commands, tool),
        http_status=_http_status(scanned),
        oci_codes=_oci_codes(scanned),
        platform=_platform(scanned),
    )
