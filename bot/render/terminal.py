"""Diagnosis -> readable text for a terminal (the CLI's default output)."""

from __future__ import annotations

from bot.probe import ProbeResult
from knowledge import (
    Diagnosis,
    GuideStep,
    ImageReference,
    ShortAnswer,
    access_checks,
    family_label,
    knowledge_base,
    registry_family,
)

_SECTIONS = (
    ("confirm", "1. Confirm this is your error"),
    ("check", "2. Check the cause"),
    ("fix", "3. Apply the safe fix"),
    ("verify", "4. Verify"),
)


MAX_EVIDENCE = 160
"""The evidence line in a short answer is cut to this many characters (the full guide and
``--json`` keep it whole)."""


def _step_lines(steps: tuple[GuideStep, ...]) -> list[str]:
    lines: list[str] = []
    for step in steps:
        lines.append(f"  - {step.text}")
        # Public contract: a command is alone on its line, after "$ " (scripts grep for it).
        lines.extend(f"$ {command}" for command in step.commands)
    return lines


def short_evidence(evidence: str) -> str:
    """The evidence line, cut in the middle when long: the start names the operation, the
    end the error."""
    if len(evidence) <= MAX_EVIDENCE:
        return evidence
    half = MAX_EVIDENCE // 2 - 2
    return f"{evidence[:half]} … {evidence[-half:]}"


def _labelled(label: str, step: GuideStep) -> list[str]:
    return [f"{label}: {step.text}".rstrip(), *(f"$ {command}" for command in step.commands)]


def short_lines(short: ShortAnswer, fix_label: str) -> list[str]:
    """The short answer's steps: one confirming command, the fix, the verification, don'ts."""
    lines: list[str] = []
    if short.confirm:
        lines += _labelled("Confirm", short.confirm)
    for number, step in enumerate(short.fix):
        lines += _labelled(fix_label if number == 0 else "Fix", step)
    if short.verify:
        lines += _labelled("Verify", short.verify)
    lines += [f"! {item}" for item in short.dont]
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


def close_cause(diagnosis: Diagnosis) -> str | None:
    """The runner-up cause that stayed close to the named one, and how to tell the two apart,
    as one sentence; None when the named cause stands alone."""
    close = diagnosis.close
    if close is None:
        return None
    kb = knowledge_base()
    title = kb[close.class_id].title if close.class_id in kb else close.class_id
    sentence = f"Or, almost as likely: {title} [{close.class_id}, {close.confidence:.0%}]."
    if diagnosis.tell_apart:
        sentence += f" To tell them apart: {diagnosis.tell_apart}"
    return sentence


def not_sure_lines(diagnosis: Diagnosis) -> list[str]:
    """What a paste with no nameable cause did show, and what to try next."""
    if diagnosis.seen:
        lines = [f"Not sure: I see {diagnosis.seen}, but I can't name its cause."]
    else:
        lines = ["Not sure: this does not look like a registry error I can name."]
    return lines + [f"Try next: {step}" for step in diagnosis.try_next]


def render_terminal(diagnosis: Diagnosis, *, full: bool = False) -> str:
    """The diagnosis as plain text: the short answer, or with ``full`` the whole guide."""
    lines: list[str] = []
    notice = redaction_notice(diagnosis)
    if notice:
        lines += [f"!! {notice}", ""]
    if diagnosis.class_id is None or diagnosis.guide is None:
        lines += not_sure_lines(diagnosis)
        if diagnosis.alternatives:
            guesses = ", ".join(
                f"{a.class_id} ({a.confidence:.0%})" for a in diagnosis.alternatives
            )
            lines.append(f"Weak candidates: {guesses}")
        return "\n".join(lines) + "\n"

    if not full:
        return "\n".join(lines + _short(diagnosis)) + "\n"
    context = diagnosis.context
    lines.append(f"{diagnosis.title}  [{diagnosis.class_id}, {diagnosis.confidence:.0%} sure]")
    lines.append(f"{diagnosis.meaning}")
    lines.append("")
    if diagnosis.evidence:
        lines.append(f"Evidence: {diagnosis.evidence}")
    if close := close_cause(diagnosis):
        lines.append(close)
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


def _short(diagnosis: Diagnosis) -> list[str]:
    assert diagnosis.guide is not None
    registry = diagnosis.context.registry
    lines = [f"{diagnosis.title}  [{diagnosis.class_id}, {diagnosis.confidence:.0%} sure]"]
    if diagnosis.evidence:
        lines.append(f"Evidence: {short_evidence(diagnosis.evidence)}")
    if close := close_cause(diagnosis):
        lines.append(close)
    lines.append("")
    fix_label = f"Fix ({family_label(registry.family)})" if (
        registry and diagnosis.guide.short.registry_fix) else "Fix"
    lines += short_lines(diagnosis.guide.short, fix_label)
    if diagnosis.others:
        lines.append("Also in this paste: " + ", ".join(f.class_id for f in diagnosis.others))
    lines += ["", "More: registry-why explain --full"]
    return lines


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
        lines += [f"$ {command}" for command in result.next_steps]
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
