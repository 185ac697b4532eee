"""Image references in a paste: the rules that find them in tool output, ranked by how close
they are to the error, and the choice among them."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from itertools import islice
from typing import Final, NamedTuple

from knowledge.extract.commands import Command, command_images
from knowledge.extract.hosts import HOST
from knowledge.extract.scan import MAX_MATCHES, Q, ScannedText, matches, rx
from knowledge.reference import (
    DOCKER_HUB,
    ImageReference,
    InvalidReference,
    is_host_component,
    parse_reference,
)

# A reference as tools print it: an optional [IPv6] host, then the characters a reference may
# hold. Upper case is included so that invalid names are seen (and then skipped).
_REF = r"((?:\[[0-9A-Fa-f:]{2,39}\](?::[0-9]{1,5})?/)?[\w.\-/:@]{1,700})"
_TRAILING = ".,:;"  # punctuation that ends a sentence, never a reference


def _clean(token: str) -> str:
    return token.rstrip(_TRAILING)


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
    return _Rule(literal, rx(re.escape(literal) + rest), tier, repository_only)


_RULES: Final = (
    _rule("pull access denied for ", _REF, _ERROR, repository_only=True),
    _rule("manifest for ", _REF + r" not found", _ERROR),
    _rule("source metadata for ", _REF, _ERROR),
    _rule("push permission for ", Q + _REF, _ERROR),
    _rule("image with reference ", _REF + " was found", _ERROR),
    _rule("No such image: ", _REF, _ERROR),
    _rule("fetching manifest ", _REF, _ERROR),
    # buildx names the image ("failed to push ghcr.io/a/b:1: ..."), but also says
    # "failed to push because ...": only a token with a path is an image here.
    _rule("failed to push ", r"(?=[\w.:@-]{0,300}/)" + _REF, _ERROR),
    _rule("resolve reference ", Q + _REF, _ERROR),
    _rule("checking whether a blob ", r"\S{1,200} exists in " + _REF, _ERROR,
          repository_only=True),
    _rule("locally with the tag: ", _REF, _ERROR),
    _rule("short-name ", Q + _REF, _ERROR),  # podman: short-name "x" did not resolve ...
    _rule("load metadata for ", _REF, _CONTEXT),
    _rule("Unable to find image '", _REF + "'", _CONTEXT),
    _rule("push refers to repository [", _REF + r"\]", _CONTEXT, repository_only=True),
    _rule("Pushed: ", _REF, _CONTEXT),
    _rule("Trying to pull ", _REF, _CONTEXT),
    _rule("Pulled: ", _REF, _CONTEXT),
)
_QUOTED_IMAGE = rx(r"mage " + Q + _REF)  # image "x", Failed to pull image "x", PullImage \"x\"
_IMAGE_FIELD = rx(r"mage:[ \t]{1,40}[\"']?" + _REF)  # k8s `image: x`, describe `Image:  x`
_DOCKER_TRANSPORT = rx(r"docker://" + _REF)
_OCI_CHART = rx(r"oci://" + _REF + r"([^\n]{0,300})")
_HELM_VERSION = rx(r"--version[= ]([\w.+-]{1,128})")
_READING_MANIFEST = rx(r"reading manifest (\S{1,200}) in " + _REF)
_PULLING_FROM = rx(r": Pulling from " + _REF)
_MANIFEST_URL = rx(r"://" + HOST + r"/v2/([a-z0-9._/-]{1,255}?)/manifests/([\w.:-]{1,200})")
_GENERIC_REF = rx(
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


def _rule_candidates(scanned: ScannedText) -> Iterator[_Candidate]:
    text = scanned.text
    for rule in _RULES:
        if scanned[rule.literal]:
            for m in matches(rule.regex, text):
                yield _Candidate(rule.tier, m.start(1), _clean(m[1]), rule.repository_only)
    if scanned.has_word(b"image") or scanned.has_word(b"pullimage"):
        for m in matches(_QUOTED_IMAGE, text):
            start = m.start()
            if start and text[start - 1] in "Ii":
                lead = text[max(0, start - 20) : start - 1]
                tier = _ERROR if lead.endswith(_IMAGE_ERROR_LEADS) else _CONTEXT
                yield _Candidate(tier, m.start(1), _clean(m[1]))
        for m in matches(_IMAGE_FIELD, text):
            start = m.start() - 1
            if start >= 0 and text[start] in "Ii" and _starts_field(text, start):
                yield _Candidate(_CONTEXT, m.start(1), _clean(m[1]))
    if scanned.has_word(b"docker"):
        for m in matches(_DOCKER_TRANSPORT, text):
            lead = text[max(0, m.start() - 8) : m.start()]
            tier = _ERROR if lead.endswith(_ERROR_LEADS) else _CONTEXT
            yield _Candidate(tier, m.start(1), _clean(m[1]))
    if scanned.has_word(b"oci"):
        for m in matches(_OCI_CHART, text):
            chart = _clean(m[1])
            version = _HELM_VERSION.search(m[2])
            if version and ":" not in chart.rpartition("/")[2] and "@" not in chart:
                chart += ":" + version[1].replace("+", "_")  # helm stores 1.0+x as tag 1.0_x
            yield _Candidate(_CONTEXT, m.start(1), chart)
    if scanned["/manifests/"]:
        # A registry API URL names the image exactly: /v2/<repository>/manifests/<reference>.
        for m in matches(_MANIFEST_URL, text):
            reference = _clean(m[3])
            separator = "@" if ":" in reference else ":"
            yield _Candidate(_CONTEXT, m.start(1), f"{m[1]}/{m[2]}{separator}{reference}")
    if scanned["reading manifest "]:
        for m in matches(_READING_MANIFEST, text):
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
    for m in matches(_PULLING_FROM, text):
        colon = m.start()
        low = max(0, colon - 200)
        line_start = max(text.rfind("\n", low, colon), text.rfind(" ", low, colon), low - 1) + 1
        reference = text[line_start:colon]
        separator = "@" if ":" in reference else ":"
        yield m.start(1), _clean(m[1]), f"{separator}{reference}"


def _generic_tokens(text: str) -> Iterator[tuple[int, str]]:
    """Bare words that look like host-qualified references, with their position."""
    position = 0
    for word in islice((w for w in text.split() if "/" in w), MAX_MATCHES * 4):
        position = text.find(word, position)
        m = _GENERIC_REF.search(word)
        if m:
            yield position + m.start(1), _clean(m[1])


def _plausible_generic(reference: ImageReference, token: str) -> bool:
    host = token.partition("/")[0]
    name, _, port = host.partition(":") if not host.startswith("[") else (host, "", "")
    if not is_host_component(host) or name.lower() in _NOT_REGISTRIES:
        return False
    if "." not in host and ":" not in host and name != "localhost":
        return False  # an upper-case word is a host to the grammar, but prose: HTTP/1.1, TCP/IP
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


def find_images(
    scanned: ScannedText, commands: list[Command], host: str | None
) -> tuple[ImageReference, ...]:
    """The valid image references the paste names, in order of evidence (see extract_context);
    ``host`` is the registry named elsewhere, for the paths docker prints without one."""
    text = scanned.text
    candidates = list(_rule_candidates(scanned))
    for command in commands:
        candidates.extend(
            _Candidate(_CONTEXT, command.position + i, arg)
            for i, arg in enumerate(command_images(command))
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
