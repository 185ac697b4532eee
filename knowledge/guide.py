"""The fix-it-fast guide of an entry, filled with the values a paste gave us."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from knowledge.context import Context
from knowledge.entry import Condition, Conditional, Dont, Entry, Step
from knowledge.loader import image_access
from knowledge.placeholders import NAME, PLACEHOLDERS
from knowledge.reference import ImageReference
from knowledge.registries import host_without_port, registry_region

MAX_SHORT_DONTS = 2


@dataclass(frozen=True, slots=True)
class GuideStep:
    """A step of the guide with its commands filled in."""

    text: str
    commands: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ShortAnswer:
    """What an on-call engineer reads in 30 seconds: one confirming command, the fix that fits
    the paste's registry and client, how to verify, and at most two don'ts."""

    confirm: GuideStep | None
    fix: tuple[GuideStep, ...]
    verify: GuideStep | None
    dont: tuple[str, ...]
    registry_fix: bool = False
    """Whether ``fix`` opens with the note for the paste's registry family."""


@dataclass(frozen=True, slots=True)
class Guide:
    """An entry's advice that applies to one paste, filled with its values."""

    confirm: tuple[GuideStep, ...]
    check: tuple[GuideStep, ...]
    fix: tuple[GuideStep, ...]
    verify: tuple[GuideStep, ...]
    dont: tuple[str, ...]
    why: str
    registry_note: GuideStep | None
    """The note for the paste's registry family, when the entry has one."""
    short: ShortAnswer


DOCKER_HUB_ENDPOINT = "registry-1.docker.io"
"""Where ``docker.io`` images are served from: the name to resolve or connect to."""


def _network_values(host: str) -> dict[str, str]:
    """``endpoint``, ``hostname`` and ``port`` of a registry host (what curl, DNS, ``nc`` and
    ``openssl`` need), and the cloud ``region`` the host names, if any."""
    name = host_without_port(host)
    port = host[len(name) :].lstrip(":")
    if name == "docker.io":
        name = DOCKER_HUB_ENDPOINT
    values = {
        "host": host, "hostname": name, "port": port or "443",
        "endpoint": f"{name}:{port}" if port else name,
    }
    region = registry_region(host)
    if region:
        values["region"] = region
    return values


def values_from(context: Context) -> dict[str, str]:
    """The placeholder values a context provides (only those it knows)."""
    values: dict[str, str] = {}
    if context.region:
        values["region"] = context.region
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
        if image.digest:
            values["digest"] = image.digest
    if context.repository and "repository" not in values:
        values["repository"] = context.repository
    if context.digest and "digest" not in values:
        values["digest"] = context.digest
    if context.platform:
        values["platform"] = context.platform
    if context.proxy:
        values["proxy"] = context.proxy
    if context.credential_helper:
        values["helper"] = context.credential_helper
    if context.registry_url:
        values["registry_url"] = context.registry_url
    if context.package:
        values["package"] = context.package
    if context.package_version:
        values["version"] = context.package_version
    if context.config_file:
        values["config_file"] = context.config_file
    ci = next((e for e in context.environments if e in {"github-actions", "gitlab-ci"}), None)
    if ci:
        values["ci"] = ci
    return values


def fill(template: str, values: dict[str, str]) -> str:
    """Replace placeholders with the paste's values, or with ``<what to put here>``."""
    return NAME.sub(
        lambda m: values.get(m[1], PLACEHOLDERS[m[1]]) if m[1] in PLACEHOLDERS else m[0],
        template,
    )


def _meets(condition: Condition, context: Context, evidence: str) -> bool:
    return context.matches(condition) and (
        condition.evidence is None
        or re.search(condition.evidence, evidence, re.IGNORECASE) is not None
    )


def applies(item: Conditional, context: Context, evidence: str = "") -> bool:
    """Whether a step, note or don't is meant for this paste (``evidence``: its deciding line)."""
    return _meets(item.when, context, evidence) and not (
        item.unless is not None and _meets(item.unless, context, evidence)
    )


_MIN_SENTENCE = 25
"""A "sentence" shorter than this (``Note: ...``) is not cut off on its own."""


def first_sentence(text: str) -> str:
    """``text`` up to its first full stop, colon or semicolon outside `code` and parentheses
    (the short answer keeps the instruction and leaves the explanation to the full guide)."""
    in_code = False
    depth = 0
    for index, char in enumerate(text):
        if char == "`":
            in_code = not in_code
        elif char in "()" and not in_code:
            depth += 1 if char == "(" else -1
        elif (
            char in ".:;" and not in_code and depth <= 0 and index >= _MIN_SENTENCE
            and text[index + 1 : index + 2] == " "
            and not text[index - 3 : index].endswith(("e.g", "i.e", "vs"))
        ):
            return text[:index] + "."
    return text


def _brief(step: GuideStep, commands: int | None = None) -> GuideStep:
    return GuideStep(first_sentence(step.text), step.commands[:commands])


def _short_fix(
    cue: GuideStep | None, note: GuideStep | None, fix: tuple[GuideStep, ...]
) -> tuple[GuideStep, ...]:
    """The fix a short answer shows: the cue's (see ``build_guide``), else the registry's (a note
    without a command needs the general fix after it), else the first fix."""
    if cue:
        return (cue,)
    if note:
        return (note,) if note.commands else (note, fix[0])
    return fix[:1]


def build_guide(entry: Entry, context: Context, evidence: str = "") -> Guide:
    """The entry's steps, note and don'ts that apply to the paste (its context and the line
    that decided the class), filled with its values."""
    values = values_from(context)

    def step(item: Step) -> GuideStep:
        return GuideStep(fill(item.text, values), tuple(fill(c, values) for c in item.commands))

    def steps(items: tuple[Step, ...]) -> tuple[GuideStep, ...]:
        chosen = [s for s in items if applies(s, context, evidence)]
        # A section never goes empty: for a client no step is written for (crane, kaniko...),
        # the steps meant for this environment and operation with another client's commands.
        anyone = dataclasses.replace(context, tool="docker")
        chosen = chosen or [s for s in items if applies(s, anyone, evidence)]
        return tuple(map(step, chosen or [s for s in items if not s.when.environment][:1]
                         or items[:1]))

    family = context.registry.family if context.registry else None
    note = next(
        (n for n in entry.registries if n.family == family and applies(n, context, evidence)),
        None,
    )
    registry_note = (
        GuideStep(fill(note.text, values), tuple(fill(c, values) for c in note.commands))
        if note else None
    )
    donts = tuple(
        fill(d.text if isinstance(d, Dont) else d, values)
        for d in entry.dont
        if not isinstance(d, Dont) or applies(d, context, evidence)
    )
    # Advice for the paste's own wording, else for where it ran (unless the registry's note is
    # written for that place too), comes before the registry's general note.
    cue = next((step(s) for s in entry.steps.fix
                if s.when.evidence is not None and applies(s, context, evidence)), None)
    if cue is None and not (note and note.when.environment):
        cue = next((step(s) for s in entry.steps.fix
                    if s.when.environment and applies(s, context, evidence)), None)
    confirm, check = steps(entry.steps.confirm), steps(entry.steps.check)
    short_fix = _short_fix(cue, registry_note, steps(entry.steps.fix))
    fix, verify = steps(entry.steps.fix), steps(entry.steps.verify)
    return Guide(
        confirm=confirm, check=check, fix=fix, verify=verify, dont=donts, why=entry.why,
        registry_note=registry_note,
        short=ShortAnswer(
            confirm=_brief(next((s for s in (*confirm, *check) if s.commands), confirm[0]), 1),
            fix=tuple(map(_brief, short_fix)),
            # Verify commands speak for themselves; their explanation is in the full guide.
            verify=GuideStep("", verify[0].commands) if verify[0].commands
            else _brief(verify[0]),
            dont=tuple(first_sentence(d) for d in donts[:MAX_SHORT_DONTS]),
            registry_fix=registry_note is not None and short_fix[0] is registry_note,
        ),
    )


def access_checks(image: ImageReference) -> tuple[GuideStep, ...]:
    """How to check your own access to an image without pulling it (from the knowledge base's
    ``image-access.toml``)."""
    context = Context(images=(image,))
    values = values_from(context)
    return tuple(
        GuideStep(fill(step.text, values), tuple(fill(c, values) for c in step.commands))
        for step in image_access().steps if applies(step, context)
    )
