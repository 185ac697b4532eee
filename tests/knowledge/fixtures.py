"""Readers for the text fixtures: real error messages with their sources, and negatives."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

FIXTURES = Path(__file__).parents[1] / "fixtures"


@dataclass(frozen=True)
class Example:
    """A real message and the class it must get (None for a negative)."""

    name: str
    expect: str | None
    text: str


def positives() -> list[Example]:
    """Documented messages (examples/<class>.toml) and captured tool output (captured/*.toml)."""
    found = [
        Example(f"{path.stem}[{i}]", path.stem, item["text"])
        for path in sorted((FIXTURES / "examples").glob("*.toml"))
        for i, item in enumerate(tomllib.loads(path.read_text())["example"])
    ]
    found += [
        Example(f"{path.stem}:{case['name']}", case["expect"], case["output"])
        for path in sorted((FIXTURES / "captured").glob("*.toml"))
        for case in tomllib.loads(path.read_text())["case"]
        if case["expect"]
    ]
    return found


def negatives() -> list[Example]:
    """Text that is not a registry error and must get no class."""
    items = tomllib.loads((FIXTURES / "negatives.toml").read_text())["negative"]
    return [Example(f"{item['kind']}[{i}]", None, item["text"]) for i, item in enumerate(items)]
