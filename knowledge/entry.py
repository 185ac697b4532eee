"""The schema of a knowledge-base entry: one error class, as data.

Entries live in ``knowledge/entries/<class-id>.toml``. Everything an on-call engineer may want to
change (wording, commands, match rules) is in those files; this module only says what a valid
entry looks like, so a broken entry fails at load time with its file and field named.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, HttpUrl

from knowledge.patterns import check_pattern

CLASS_ID = r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$"

RegistryFamily = Literal[
    "dockerhub",
    "ghcr",
    "ecr",
    "ecr-public",
    "gar",
    "acr",
    "quay",
    "gitlab",
    "harbor",
    "artifactory",
    "nexus",
    "self-hosted",
]
"""Registry families the knowledge base can give specific advice for.

``gar`` covers both Artifact Registry (``*-docker.pkg.dev``) and the older ``gcr.io`` hosts,
which Google now serves from Artifact Registry.
"""

Operation = Literal["pull", "push", "login"]

Regex = Annotated[str, AfterValidator(check_pattern)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Pattern(_Strict):
    """One way the error shows up in pasted text."""

    regex: Regex
    """A Python regular expression, matched case-insensitively within the paste."""
    weight: float = Field(gt=0, le=1)
    """How sure a match alone makes us (0.9: it can only be this; 0.4: a weak hint)."""
    registry_context: bool = False
    """Count this match only when the paste is plainly about a registry or image.

    For generic text (``401 Unauthorized``, ``i/o timeout``) that also appears in unrelated
    errors: without an image reference, registry host or registry tool nearby it means nothing.
    """
    operations: tuple[Operation, ...] = ()
    """Count this match only when the paste shows one of these operations (empty: any)."""


class MatchRules(_Strict):
    """How the classifier recognises this class, and what stops it firing on a look-alike."""

    patterns: tuple[Pattern, ...] = Field(min_length=1, alias="pattern")
    exclude: tuple[Regex, ...] = ()
    """If any of these matches anywhere in the paste, this class is not considered."""
    overrides: tuple[Annotated[str, Field(pattern=CLASS_ID)], ...] = ()
    """Less specific classes this one wins over when both match (see error-classes.md)."""


class Step(_Strict):
    """One step of the fix-it-fast path, with the commands that carry it out."""

    text: str = Field(min_length=1)
    commands: tuple[str, ...] = ()


class Steps(_Strict):
    """The fix-it-fast path: confirm, check the cause, apply the safe fix, verify."""

    confirm: tuple[Step, ...] = Field(min_length=1)
    check: tuple[Step, ...] = Field(min_length=1)
    fix: tuple[Step, ...] = Field(min_length=1)
    verify: tuple[Step, ...] = Field(min_length=1)


class RegistryNote(_Strict):
    """Where a registry family differs from the general advice."""

    family: RegistryFamily
    text: str = Field(min_length=1)
    commands: tuple[str, ...] = ()


class LookAlike(_Strict):
    """Another class that is easily confused with this one, and how to tell them apart."""

    id: str = Field(pattern=CLASS_ID)
    tell: str = Field(min_length=1)


class Entry(_Strict):
    """One error class: what it means, how to recognise it, how to fix it safely."""

    id: str = Field(pattern=CLASS_ID)
    title: str = Field(min_length=1, max_length=150)
    meaning: str = Field(min_length=1, max_length=400)
    incident: bool = False
    """Whether reports of this class point at the registry or the path to it (an outage many
    people see at once), not at one person's setup; such reports can open an incident."""
    why: str = Field(min_length=1)
    match: MatchRules
    steps: Steps
    dont: tuple[str, ...] = Field(min_length=1)
    registries: tuple[RegistryNote, ...] = Field(default=(), alias="registry")
    look_alikes: tuple[LookAlike, ...] = Field(default=(), alias="look_alike")
    references: tuple[HttpUrl, ...] = Field(min_length=1)
