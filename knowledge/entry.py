"""The schema of a knowledge-base entry: one error class, as data.

Entries live in ``knowledge/entries/<class-id>.toml``. Everything an on-call engineer may want to
change (wording, commands, match rules) is in those files; this module only says what a valid
entry looks like, so a broken entry fails at load time with its file and field named.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, HttpUrl

from knowledge.patterns import check_pattern
from knowledge.placeholders import check_placeholders
from knowledge.validation import Strict

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
    "npmjs",
    "pypi",
    "maven-central",
    "nuget-org",
    "github-packages",
    "azure-artifacts",
    "codeartifact",
    "self-hosted",
]
"""Registry families the knowledge base can give specific advice for.

``gar`` covers both Artifact Registry (``*-docker.pkg.dev``) and the older ``gcr.io`` hosts,
which Google now serves from Artifact Registry. The package-registry families
(``npmjs`` ... ``codeartifact``) are the public registries and hosted feeds of package
ecosystems; ``artifactory``, ``nexus``, ``gitlab`` and ``gar`` serve both kinds.
"""

Ecosystem = Literal["oci", "npm", "pypi", "maven", "nuget", "helm", "go", "cargo", "rubygems"]
"""The kind of registry a paste is about: ``oci`` for container images and OCI artifacts (Helm
charts pushed to an OCI registry included); ``helm`` only for classic chart repositories served
as an ``index.yaml``."""

Operation = Literal["pull", "push", "login"]

Regex = Annotated[str, AfterValidator(check_pattern)]
Text = Annotated[str, Field(min_length=1), AfterValidator(check_placeholders)]
"""Text shown to users: placeholders in it must be known ones (see ``knowledge.placeholders``)."""
Command = Annotated[str, Field(min_length=1), AfterValidator(check_placeholders)]


class Pattern(Strict):
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


class MatchRules(Strict):
    """How the classifier recognises this class, and what stops it firing on a look-alike."""

    patterns: tuple[Pattern, ...] = Field(min_length=1, alias="pattern")
    exclude: tuple[Regex, ...] = ()
    """If any of these matches anywhere in the paste, this class is not considered."""
    overrides: tuple[Annotated[str, Field(pattern=CLASS_ID)], ...] = ()
    """Less specific classes this one wins over when both match (see error-classes.md)."""


Tool = Literal[
    "docker", "podman", "skopeo", "buildah", "containerd", "crictl", "nerdctl", "kubelet",
    "buildkit", "kaniko", "jib", "helm", "crane", "oras", "github-actions", "gitlab-ci",
    "npm", "yarn", "pnpm", "pip", "poetry", "uv", "pipenv", "mvn", "gradle", "dotnet", "nuget",
    "go", "cargo", "bundler", "gem",
]
"""Tools a step can be meant for: a paste's own tool, or the client it belongs with (see
``knowledge.context.CLIENT_OF``: skopeo and buildah pastes also match ``podman``; kubelet,
crictl and nerdctl match ``containerd``; CI runners, buildkit and an unknown tool match
``docker``)."""

Environment = Literal[
    "kubernetes", "ci", "github-actions", "gitlab-ci", "docker-desktop", "rootless-podman",
]
"""Where the failing client ran, as far as the paste shows (``ci`` is any CI runner)."""


class Condition(Strict):
    """When a step applies: every field given must match the paste (a list matches any of its
    values); an empty condition always matches."""

    tool: tuple[Tool, ...] = ()
    ecosystem: tuple[Ecosystem, ...] = ()
    operation: tuple[Operation, ...] = ()
    registry: tuple[RegistryFamily, ...] = ()
    environment: tuple[Environment, ...] = ()
    platform: tuple[Annotated[str, Field(pattern=r"^[a-z0-9]+(?:/[a-z0-9_]+){0,2}$")], ...] = ()
    """``os``, ``os/arch`` or ``os/arch/variant``: matches the platform the paste asked for."""
    evidence: Regex | None = None
    """A cue in the line that decided the class (case-insensitive), such as ``not valid for
    any names``: advice for that wording only."""


class Conditional(Strict):
    when: Condition = Condition()
    """The step applies only to pastes that match this (default: every paste)."""
    unless: Condition | None = None
    """The step does not apply to pastes that match this."""


class Step(Conditional):
    """One step of the fix-it-fast path, with the commands that carry it out."""

    text: Text
    commands: tuple[Command, ...] = ()


class Dont(Conditional):
    """A don't that applies only to some pastes (a plain string applies to all)."""

    text: Text


class Steps(Strict):
    """The fix-it-fast path: confirm, check the cause, apply the safe fix, verify.

    Within each section the first step that matches the paste is the one the short answer
    shows, so put registry- and cue-specific steps before general ones.
    """

    confirm: tuple[Step, ...] = Field(min_length=1)
    check: tuple[Step, ...] = Field(min_length=1)
    fix: tuple[Step, ...] = Field(min_length=1)
    verify: tuple[Step, ...] = Field(min_length=1)


class RegistryNote(Conditional):
    """Where a registry family differs from the general advice (shown before the general fix)."""

    family: RegistryFamily
    text: Text
    commands: tuple[Command, ...] = ()


class LookAlike(Strict):
    """Another class that is easily confused with this one, and how to tell them apart."""

    id: str = Field(pattern=CLASS_ID)
    tell: str = Field(min_length=1)


class Entry(Strict):
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
    dont: tuple[Text | Dont, ...] = Field(min_length=1)
    registries: tuple[RegistryNote, ...] = Field(default=(), alias="registry")
    look_alikes: tuple[LookAlike, ...] = Field(default=(), alias="look_alike")
    references: tuple[HttpUrl, ...] = Field(min_length=1)


class ImageAccess(Strict):
    """``knowledge/image-access.toml``: what the image card (a reference pasted alone, no
    error) suggests for checking one's own access to the image without pulling it."""

    steps: tuple[Step, ...] = Field(min_length=1, alias="step")
