"""The fix-it-fast guide of an entry, filled with the values a paste gave us."""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.context import Context
from knowledge.entry import Entry, Step
from knowledge.reference import ImageReference
from knowledge.registries import host_without_port, registry_region

PLACEHOLDERS: dict[str, str] = {
    "image": "<image>",
    "host": "<registry-host>",
    "hostname": "<registry-hostname>",
    "port": "<port>",
    "region": "<region>",
    "repository": "<repository>",
    "reference": "<tag-or-digest>",
    "tag": "<tag>",
    "platform": "<os/arch>",
}
"""The ``{name}`` placeholders entries may use in commands, and what stands in when unknown."""

_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")


@dataclass(frozen=True, slots=True)
class GuideStep:
    """A step of the guide with its commands filled in."""

    text: str
    commands: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Guide:
    """An entry's advice, filled for one paste."""

    confirm: tuple[GuideStep, ...]
    check: tuple[GuideStep, ...]
    fix: tuple[GuideStep, ...]
    verify: tuple[GuideStep, ...]
    dont: tuple[str, ...]
    why: str
    registry_note: GuideStep | None
    """The note for the paste's registry family, when the entry has one."""


DOCKER_HUB_ENDPOINT = "registry-1.docker.io"
"""Where ``docker.io`` images are served from: the name to resolve or connect to."""


def _network_values(host: str) -> dict[str, str]:
    """``hostname`` and ``port`` of a registry host (what DNS, ``nc`` and ``openssl`` need), and
    the cloud ``region`` the host names, if any."""
    name = host_without_port(host)
    port = host[len(name) :].lstrip(":")
    if name == "docker.io":
        name = DOCKER_HUB_ENDPOINT
    values = {"host": host, "hostname": name, "port": port or "443"}
    region = registry_region(host)
    if region:
        values["region"] = region
    return values


def values_from(context: Context) -> dict[str, str]:
    """The placeholder values a context provides (only those it knows)."""
    values: dict[str, str] = {}
    if context.registry:
        values.update(_network_values(context.registry.host))
    image = context.image
    if image:
        # The registry of the deciding line wins over the image's when they differ.
        if not context.registry:
            values.update(_network_values(image.host))
        values.update(
            image=str(image), repository=image.repository,
            reference=image.reference, tag=image.tag or "latest",
        )
    if context.platform:
        values["platform"] = context.platform
    return values


def fill(template: str, values: dict[str, str]) -> str:
    """Replace known ``{name}`` placeholders; anything else in braces is left alone."""
    return _PLACEHOLDER.sub(lambda m: values.get(m[1], PLACEHOLDERS[m[1]]), template)


def build_guide(entry: Entry, context: Context) -> Guide:
    """Fill an entry's steps and registry note with the context's values."""
    values = values_from(context)

    def steps(items: tuple[Step, ...]) -> tuple[GuideStep, ...]:
        return tuple(
            GuideStep(fill(s.text, values), tuple(fill(c, values) for c in s.commands))
            for s in items
        )

    family = context.registry.family if context.registry else None
    note = next((n for n in entry.registries if n.family == family), None)
    return Guide(
        confirm=steps(entry.steps.confirm),
        check=steps(entry.steps.check),
        fix=steps(entry.steps.fix),
        verify=steps(entry.steps.verify),
        dont=tuple(fill(d, values) for d in entry.dont),
        why=entry.why,
        registry_note=(
            GuideStep(fill(note.text, values), tuple(fill(c, values) for c in note.commands))
            if note
            else None
        ),
    )


def access_checks(image: ImageReference) -> tuple[GuideStep, ...]:
    """How to check your own access to an image without pulling it."""
    ref = str(image)
    return (
        GuideStep(
            "Read the manifest without pulling (uses your stored login for the host).",
            (f"docker manifest inspect {ref}", f"skopeo inspect --raw docker://{ref}"),
        ),
        GuideStep(
            f"See whether a login is stored for {image.host}.",
            ("jq '.auths | keys, .credHelpers, .credsStore' ~/.docker/config.json",),
        ),
    )
