"""Diagnosis -> readable text for a terminal (the CLI's default output)."""

from __future__ import annotations

from bot.probe import ProbeResult
from knowledge.diagnosis import Diagnosis
from knowledge.guide import GuideStep, access_checks
from knowledge.reference import ImageReference
from knowledge.registries import family_label, registry_family

_SECTIONS = (
    ("confirm", "1. Confirm this is your error"),
    ("check", "2. Check the cause"),
    ("fix", "3. Apply the safe fix"),
    ("verify", "4. Verify"),
)


def _step_lines(steps: tuple[GuideStep, ...]) -> list[str]:
    lines: list[str] = []
    for step in steps:
        lines.append(f"  - {step.text}")
        lines.extend(f"      $ {command}" for command in step.commands)
    return lines


def redaction_notice(diagnosis: Diagnosis) -> str | None:
    """One sentence about the secrets masked in the paste, or None when there were none."""
    if not diagnosis.redactions:
        return None
    labels = ", ".join(r.label for r in diagnosis.redactions)
    return (
        f"You pasted {labels}. It was masked and not stored anywhere, but it is exposed "
        "wherever you pasted it: rotate it now."
    )


def render_terminal(diagnosis: Diagnosis) -> str:
    """The whole diagnosis as plain text: cause, evidence, the fix-it-fast path, warnings."""
    lines: list[str] = []
    notice = redaction_notice(diagnosis)
    if notice:
        lines += [f"!! {notice}", ""]
    if diagnosis.class_id is None or diagnosis.guide is None:
        lines.append("Not sure: this does not look like a registry error I can name.")
        if diagnosis.alternatives:
            guesses = ", ".join(
                f"{a.class_id} ({a.confidence:.0%})" for a in diagnosis.alternatives
            )
            lines.append(f"Weak candidates: {guesses}")
        return "\n".join(lines) + "\n"

    context = diagnosis.context
    lines.append(f"{diagnosis.title}  [{diagnosis.class_id}, {diagnosis.confidence:.0%} sure]")
    lines.append(f"{diagnosis.meaning}")
    lines.append("")
    if diagnosis.evidence:
        lines.append(f"Evidence: {diagnosis.evidence}")
    facts = []
    if context.image:
        facts.append(f"image {context.image}")
    if context.registry:
        facts.append(f"registry {context.registry.host} ({family_label(context.registry.family)})")
    if context.tool:
        facts.append(f"tool {context.tool}")
    if context.operation:
        facts.append(f"operation {context.operation}")
    if facts:
        lines.append("Seen: " + ", ".join(facts))
    guide = diagnosis.guide
    for name, heading in _SECTIONS:
        lines += ["", heading]
        lines += _step_lines(getattr(guide, name))
    if guide.registry_note:
        lines += ["", "For this registry"]
        lines += _step_lines((guide.registry_note,))
    lines += ["", "Don't"]
    lines += [f"  - {item}" for item in guide.dont]
    if diagnosis.others:
        lines += ["", "Also in this paste"]
        lines += [f"  - {f.class_id} ({f.confidence:.0%}): {f.evidence}" for f in diagnosis.others]
    if diagnosis.alternatives:
        lines += ["", "Other possible causes: " + ", ".join(
            f"{a.class_id} ({a.confidence:.0%})" for a in diagnosis.alternatives
        )]
    return "\n".join(lines) + "\n"


def render_probe(result: ProbeResult) -> str:
    """A probe's answer as plain text: outcome, verdict on the pasted cause, evidence."""
    lines = [f"Probe of {result.image} ({result.tier}, {result.elapsed_ms} ms"
             + (", cached)" if result.cached else ")")]
    if result.refused:
        lines.append(f"  Not probed: {result.refused}")
    else:
        lines.append(f"  Outcome from here: {result.outcome or 'nothing could be named'}")
    if result.verdict:
        lines.append(f"  Verdict on {result.suspected}: {result.verdict.upper()}"
                     + (f" - {result.verdict_reason}" if result.verdict_reason else ""))
    lines += [f"  | {line}" for line in result.evidence]
    if result.next_steps:
        lines.append("  Try yourself:")
        lines += [f"      $ {command}" for command in result.next_steps]
    return "\n".join(lines) + "\n"


def render_image_info(image: ImageReference) -> str:
    """What registry serves an image and how to check access to it (an image given alone)."""
    label = family_label(registry_family(image.host))
    lines = [
        f"{image} is an image reference, not an error message.",
        f"Registry: {image.host} ({label}); repository {image.repository}; "
        f"reference {image.reference}",
        "",
        "Check your access",
        *_step_lines(access_checks(image)),
        "",
        f"Or ask its registry from here: registry-why probe {image}",
    ]
    return "\n".join(lines) + "\n"
