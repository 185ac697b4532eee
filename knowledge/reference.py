"""Container image references: the distribution reference grammar, parsed and normalised."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NoReturn

from knowledge.errors import KnowledgeError


@dataclass(frozen=True, slots=True)
class ImageReference:
    """A fully qualified image reference: ``docker.io/library/nginx:latest``."""

    host: str
    """Registry host, with port if any, normalised (``docker.io`` for Docker Hub)."""
    repository: str
    """Repository path within the registry (``library/nginx``)."""
    tag: str | None = None
    digest: str | None = None

    @property
    def reference(self) -> str:
        """The digest when there is one, otherwise the tag (``latest`` when neither)."""
        return self.digest or self.tag or "latest"

    @property
    def name(self) -> str:
        """``host/repository`` without tag or digest."""
        return f"{self.host}/{self.repository}"

    def __str__(self) -> str:
        text = self.name
        if self.tag or not self.digest:
            text += f":{self.tag or 'latest'}"
        if self.digest:
            text += f"@{self.digest}"
        return text


class InvalidReference(KnowledgeError):
    """Text that is not a valid image reference: the message says what is wrong and how to fix it.

    ``problem`` holds that explanation alone, ``text`` the reference as given.
    """

    def __init__(self, text: str, problem: str) -> None:
        super().__init__(f"invalid image reference {text!r}: {problem}")
        self.text = text
        self.problem = problem


DOCKER_HUB = "docker.io"
"""The canonical name of Docker Hub in references."""

_DOCKER_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
_TRANSPORT = "docker://"
NAME_MAX = 255
"""Longest repository path the distribution grammar allows (the host is not counted, as in
distribution/reference since v0.6.0)."""
TAG_MAX = 128
_TEXT_MAX = 1024  # well above name + tag + the longest digest: anything longer is not a reference

# The grammar of distribution/reference, written so that no repeat can give back what it took
# (possessive repeats, alternatives that cannot overlap): matching is linear in the input.
_COMPONENT = r"[a-z0-9]++(?:(?:[._]|__|-++)[a-z0-9]++)*+"
_PATH = re.compile(rf"{_COMPONENT}(?:/{_COMPONENT})*+")
_PATH_COMPONENT = re.compile(_COMPONENT)
_DOMAIN_COMPONENT = r"[A-Za-z0-9]++(?:-++[A-Za-z0-9]++)*+"
_HOST = re.compile(
    rf"(?:\[[0-9A-Fa-f:]++\]|{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*+)(?::[0-9]++)?"
)
_TAG = re.compile(r"\w[\w.-]{0,127}", re.ASCII)
_DIGEST_ALGORITHM = re.compile(r"[A-Za-z][A-Za-z0-9]*+(?:[-_+.][A-Za-z][A-Za-z0-9]*+)*+")
_HEX = re.compile(r"[0-9a-fA-F]{32,}")
_LOWER_HEX = re.compile(r"[0-9a-f]+")
_IMAGE_ID = re.compile(r"[0-9a-f]{64}")
_SPACE = re.compile(r"\s")
_DIGEST_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}


def normalize_host(host: str) -> str:
    """A registry host as references name it: lower case, Docker Hub's aliases as ``docker.io``."""
    host = host.lower().rstrip(".")
    return DOCKER_HUB if host in _DOCKER_HUB_ALIASES else host


def is_host_component(component: str) -> bool:
    """Whether the first component of a name is a registry host rather than a path component.

    Docker's rule (distribution/reference): a component with a ``.`` or ``:`` in it,
    ``localhost``, or one with an upper-case letter (repository paths are lower case, so
    ``LOCALDOMAIN/x`` names a host) is a host; ``myorg/app`` is the Docker Hub repository
    ``myorg/app``.
    """
    return ("." in component or ":" in component or component == "localhost"
            or component != component.lower())


def is_valid_host(host: str) -> bool:
    """Whether ``host`` (with optional ``:port``) fits the grammar's domain or ``[IPv6]`` form."""
    return _HOST.fullmatch(host) is not None


def parse_reference(text: str) -> ImageReference:
    """Parse an image reference the way Docker does, and normalise it.

    ``nginx`` becomes ``docker.io/library/nginx`` (tag None: ``str()`` shows ``:latest``),
    ``user/app:1`` becomes ``docker.io/user/app:1``; ``index.docker.io`` and
    ``registry-1.docker.io`` become ``docker.io``. A ``docker://`` transport prefix is accepted.
    The tag is kept as written (None when absent), and so is a digest; both may be present.
    Raises InvalidReference, naming the part that is wrong.
    """
    original = text
    text = text.strip()
    if text.startswith(_TRANSPORT):
        text = text[len(_TRANSPORT) :]
    if not text:
        raise InvalidReference(original, "it is empty; give a name such as nginx:1.27")
    if len(text) > _TEXT_MAX:
        raise InvalidReference(
            original[:80] + "...", f"it is {len(text)} characters long, too long to be a reference"
        )
    if _SPACE.search(text):
        raise InvalidReference(original, "it contains white space; quote the reference alone")

    name, at, digest = text.partition("@")
    if at:
        _check_digest(original, digest)
    tag: str | None = None
    colon = name.rfind(":")
    if colon > name.rfind("/"):
        name, tag = name[:colon], name[colon + 1 :]
        if not _TAG.fullmatch(tag):
            _tag_problem(original, tag)
    if not name:
        raise InvalidReference(original, "the repository name is missing before the tag or digest")

    first, slash, rest = name.partition("/")
    if slash and is_host_component(first):
        if not _HOST.fullmatch(first):
            raise InvalidReference(
                original,
                f"registry host {first!r} is not a valid host name, [IPv6] address or host:port",
            )
        host, path = normalize_host(first), rest
    else:
        if _IMAGE_ID.fullmatch(name):
            raise InvalidReference(
                original, "a 64-character hex string is an image ID, not a repository name"
            )
        host, path = DOCKER_HUB, name
    if not _PATH.fullmatch(path):
        _path_problem(original, path)
    if host == DOCKER_HUB and "/" not in path:
        path = "library/" + path
    if len(path) > NAME_MAX:
        raise InvalidReference(
            original,
            f"the repository path {path[:30]}... is {len(path)} characters long; "
            f"at most {NAME_MAX} are allowed",
        )
    return ImageReference(host, path, tag, digest if at else None)


def _path_problem(original: str, path: str) -> NoReturn:
    # Called only when the path does not match, so one of its components does not.
    component = next(c for c in path.split("/") if not _PATH_COMPONENT.fullmatch(c))
    if not component:
        problem = "the repository path has an empty component (a doubled or trailing /)"
    elif _PATH.fullmatch(path.lower()):
        problem = f"repository name must be lowercase: use {path.lower()!r} instead of {path!r}"
    elif ":" in component:
        problem = (
            f"repository path component {component!r} holds a ':'; a reference has one ':' "
            "before the tag, and one in host:port when the host has a '.' or is localhost"
        )
    else:
        problem = (
            f"repository path component {component!r} may only hold a-z and 0-9 joined by "
            "single separators (., _, __ or dashes)"
        )
    raise InvalidReference(original, problem)


def _tag_problem(original: str, tag: str) -> NoReturn:
    if not tag:
        raise InvalidReference(original, "the tag after ':' is empty")
    if len(tag) > TAG_MAX:
        raise InvalidReference(
            original, f"the tag is {len(tag)} characters long; at most {TAG_MAX} are allowed"
        )
    raise InvalidReference(
        original,
        f"tag {tag!r} may only hold letters, digits, '_', '.' and '-', and must not start "
        "with '.' or '-'",
    )


def _check_digest(original: str, digest: str) -> None:
    algorithm, colon, encoded = digest.partition(":")
    if not colon or not _DIGEST_ALGORITHM.fullmatch(algorithm) or not _HEX.fullmatch(encoded):
        raise InvalidReference(
            original,
            f"digest {digest!r} is not algorithm:hex with at least 32 hex digits "
            "(for example sha256: and 64 hex digits)",
        )
    expected = _DIGEST_LENGTHS.get(algorithm)
    if expected is None:
        raise InvalidReference(
            original,
            f"digest algorithm {algorithm!r} is not supported; use "
            + ", ".join(_DIGEST_LENGTHS),
        )
    if len(encoded) != expected:
        raise InvalidReference(
            original,
            f"a {algorithm} digest has exactly {expected} hex digits; this one has {len(encoded)}",
        )
    if not _LOWER_HEX.fullmatch(encoded):
        raise InvalidReference(original, f"the hex digits of digest {digest!r} must be lower case")


def lone_reference(text: str) -> ImageReference | None:
    """The image reference ``text`` consists of, when it is one and nothing else.

    A lone word ("unauthorized") would parse as a Docker Hub image, so only a word with a
    path, tag or digest (``/``, ``:`` or ``@``) counts.
    """
    word = text.strip()
    if not word or any(ch.isspace() for ch in word) or not any(m in word for m in "/:@"):
        return None
    try:
        return parse_reference(word)
    except InvalidReference:
        return None
