"""Readers for the text fixtures: real error messages with their sources, and negatives.

Every real text carries its ``source`` and falls in one of two splits, decided once by a keyed
hash of that source (``split_of``): ``train``, which patterns and weights may be tuned on, and
``held-out``, which only measures them. Texts from one thread share a source, so a thread is
never split between the two; a new example lands in its split without anyone choosing.
Negatives written by hand (``negatives.toml``, no source) are ``synthetic``: unit-test data,
kept out of every accuracy figure.

Container-registry texts live in ``examples/``, ``captured/`` and ``negatives/``; package-registry
texts (npm, PyPI, Maven, NuGet, Helm repositories, Go, Cargo, RubyGems) in ``packages/`` under the
same three names, each item saying its ``ecosystem``. Both go through the same split.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

FIXTURES = Path(__file__).parents[1] / "fixtures"
PACKAGES = FIXTURES / "packages"

Split = Literal["train", "held-out", "synthetic"]

HELD_OUT_KEY = b"registry-why held-out split, issue 9, 2026-12-02"
"""The fixed key of the split hash. Changing it reshuffles every split: never do."""

HELD_OUT_SHARE = 0.30
"""The share of sources held out."""

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]{0,20}://")
# One thread, however it is linked: an issue or PR with or without a comment anchor or a
# /files tab, a Stack Exchange question by id, a Discourse topic without its post number.
_THREADS = (
    re.compile(r"^(github\.com/[^/]+/[^/]+/(?:issues|pull|discussions)/\d+)"),
    re.compile(r"^([a-z.]*(?:stackoverflow|serverfault|superuser|stackexchange|askubuntu)"
               r"\.com/(?:questions|q)/\d+)"),
    re.compile(r"^([^/]+/t/[^/]+/\d+)"),
)


@dataclass(frozen=True)
class Example:
    """A message and the class it must get (None for a negative)."""

    name: str
    expect: str | None
    text: str
    source: str | None = None
    tool: str | None = None
    ecosystem: str = "oci"
    """``oci`` for container images; a package ecosystem (``npm``, ``pypi``, ...) otherwise."""

    @property
    def package(self) -> bool:
        """Whether the text is from a package registry's client rather than a container one."""
        return self.ecosystem != "oci"

    @property
    def split(self) -> Split:
        """``train`` or ``held-out`` for real texts; ``synthetic`` for texts with no source."""
        return split_of(self.source) if self.source else "synthetic"


def normalise_source(source: str) -> str:
    """The thread or page a source names, so every link to one thread compares equal."""
    text = source.strip().lower()
    if text.startswith("docs:"):
        text = text[len("docs:") :].strip()
    if text.startswith("captured:"):
        return " ".join(text.split())
    text = _SCHEME.sub("", text).split("#", 1)[0].split("?", 1)[0].rstrip("/")
    text = text.removeprefix("www.")
    for thread in _THREADS:
        match = thread.match(text)
        if match is not None:
            return match.group(1)
    return text


def split_of(source: str) -> Split:
    """The split of every text from ``source``: a keyed hash, so no one picks it by hand."""
    digest = hmac.new(HELD_OUT_KEY, normalise_source(source).encode(), hashlib.sha256).digest()
    share = int.from_bytes(digest[:8], "big") / 2**64
    return "held-out" if share < HELD_OUT_SHARE else "train"


def _toml(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def positives() -> list[Example]:
    """Documented messages (examples/<class>.toml, packages/examples/*.toml) and captured tool
    output (captured/*.toml, packages/captured/*.toml; a case expecting "" succeeded)."""
    found = [
        Example(f"{path.stem}[{i}]", path.stem, item["text"], item.get("source"),
                item.get("tool"))
        for path in sorted((FIXTURES / "examples").glob("*.toml"))
        for i, item in enumerate(_toml(path).get("example", ()))
    ]
    found += [
        Example(f"packages/{path.stem}[{i}]", item["expect"], item["text"], item.get("source"),
                item.get("tool"), item["ecosystem"])
        for path in sorted((PACKAGES / "examples").glob("*.toml"))
        for i, item in enumerate(_toml(path).get("example", ()))
    ]
    found += [
        Example(f"{prefix}{path.stem}:{case['name']}", case["expect"], case["output"],
                case.get("source"), case.get("command", path.stem).split()[0],
                case.get("ecosystem", "oci"))
        for prefix, folder in (("", FIXTURES), ("packages/", PACKAGES))
        for path in sorted((folder / "captured").glob("*.toml"))
        for case in _toml(path).get("case", ())
        if case["expect"]
    ]
    return found


def negatives() -> list[Example]:
    """Text that is not a registry error and must get no class.

    ``negatives.toml`` holds hand-written texts (synthetic); ``negatives/*.toml`` and
    ``packages/negatives/*.toml`` real ones.
    """
    found = [
        Example(f"{item['kind']}[{i}]", None, item["text"], item.get("source"),
                item.get("tool"))
        for i, item in enumerate(_toml(FIXTURES / "negatives.toml")["negative"])
    ]
    found += [
        Example(f"{prefix}{path.stem}:{item['kind']}[{i}]", None, item["text"],
                item.get("source"), item.get("tool"), item.get("ecosystem", "oci"))
        for prefix, folder in (("", FIXTURES), ("packages/", PACKAGES))
        for path in sorted((folder / "negatives").glob("*.toml"))
        for i, item in enumerate(_toml(path).get("negative", ()))
    ]
    return found


def real(examples: list[Example], split: Split) -> list[Example]:
    """The examples of one split (``synthetic`` ones never count towards accuracy)."""
    return [e for e in examples if e.split == split]
