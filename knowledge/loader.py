"""Loading the knowledge base: every ``entries/*.toml`` file, validated, once per process."""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from knowledge.entry import Entry, ImageAccess
from knowledge.errors import KnowledgeError
from knowledge.validation import describe_problems

ENTRIES_DIR = Path(__file__).with_name("entries")


class KnowledgeBaseError(KnowledgeError):
    """An entry file that cannot be used, with the file and field to fix."""


@dataclass(frozen=True)
class KnowledgeBase:
    """All entries, by class id, in a stable order."""

    entries: Mapping[str, Entry]

    def __getitem__(self, class_id: str) -> Entry:
        return self.entries[class_id]

    def __contains__(self, class_id: object) -> bool:
        return class_id in self.entries

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries.values())

    def __len__(self) -> int:
        return len(self.entries)


def load_entry(path: Path) -> Entry:
    """Read and validate one entry file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise KnowledgeBaseError(f"{path.name}: cannot read it as TOML: {exc}") from exc
    try:
        entry = Entry.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(describe_problems(exc))
        raise KnowledgeBaseError(f"{path.name}: {problems}") from exc
    if entry.id != path.stem:
        raise KnowledgeBaseError(f"{path.name}: id {entry.id!r} must match the file name")
    return entry


def load_knowledge_base(directory: Path = ENTRIES_DIR) -> KnowledgeBase:
    """Load and cross-check every entry in ``directory``."""
    entries = {entry.id: entry for entry in map(load_entry, sorted(directory.glob("*.toml")))}
    for entry in entries.values():
        named = [
            *(("match.overrides", cid) for cid in entry.match.overrides),
            *(("look_alike.id", la.id) for la in entry.look_alikes),
        ]
        for field, cid in named:
            if cid not in entries:
                raise KnowledgeBaseError(f"{entry.id}.toml: {field}: no entry has id {cid!r}")
    if not entries:
        raise KnowledgeBaseError(f"{directory}: no entry files (*.toml) found")
    return KnowledgeBase(entries)


@functools.cache
def knowledge_base() -> KnowledgeBase:
    """The packaged knowledge base, loaded on first use and kept for the process."""
    return load_knowledge_base()


IMAGE_ACCESS_FILE = ENTRIES_DIR.with_name("image-access.toml")


@functools.cache
def image_access() -> ImageAccess:
    """The access checks for an image pasted alone (``image-access.toml``), loaded once."""
    try:
        data = tomllib.loads(IMAGE_ACCESS_FILE.read_text(encoding="utf-8"))
        return ImageAccess.model_validate(data)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, ValidationError) as exc:
        raise KnowledgeBaseError(f"{IMAGE_ACCESS_FILE.name}: cannot use it: {exc}") from exc
