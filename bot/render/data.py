"""Diagnosis -> plain data, for ``--json`` output and anything else that wants fields."""

from __future__ import annotations

from typing import Any

from knowledge import Diagnosis, GuideStep


def _steps(steps: tuple[GuideStep, ...]) -> list[dict[str, Any]]:
    return [{"text": s.text, "commands": list(s.commands)} for s in steps]


def _step(step: GuideStep | None) -> dict[str, Any] | None:
    return _steps((step,))[0] if step else None


def diagnosis_data(diagnosis: Diagnosis) -> dict[str, Any]:
    """The JSON fields of ``registry-why explain --json`` (fields are added, never removed)."""
    context = diagnosis.context
    guide = diagnosis.guide
    return {
        "class": diagnosis.class_id,
        "confidence": diagnosis.confidence,
        "title": diagnosis.title,
        "meaning": diagnosis.meaning,
        "evidence": diagnosis.evidence,
        "image": str(context.image) if context.image else None,
        "registry": (
            {"host": context.registry.host, "family": context.registry.family}
            if context.registry
            else None
        ),
        "tool": context.tool,
        "ecosystem": context.ecosystem,
        "package": (
            {"name": context.package, "version": context.package_version,
             "registry_url": context.registry_url, "config_file": context.config_file}
            if context.package or context.registry_url
            else None
        ),
        "operation": context.operation,
        "http_status": context.http_status,
        "oci_codes": list(context.oci_codes),
        "platform": context.platform,
        "redacted": [r.kind for r in diagnosis.redactions],
        "alternatives": [
            {"class": a.class_id, "confidence": a.confidence} for a in diagnosis.alternatives
        ],
        "close": (
            {"class": diagnosis.close.class_id, "confidence": diagnosis.close.confidence,
             "tell_apart": diagnosis.tell_apart}
            if diagnosis.close
            else None
        ),
        "seen": diagnosis.seen,
        "try_next": list(diagnosis.try_next),
        "others": [
            {"class": f.class_id, "confidence": f.confidence, "evidence": f.evidence}
            for f in diagnosis.others
        ],
        "guide": (
            {
                "confirm": _steps(guide.confirm),
                "check": _steps(guide.check),
                "fix": _steps(guide.fix),
                "verify": _steps(guide.verify),
                "dont": list(guide.dont),
                "registry_note": _step(guide.registry_note),
            }
            if guide
            else None
        ),
        "short": (
            {
                "confirm": _step(guide.short.confirm),
                "fix": _steps(guide.short.fix),
                "verify": _step(guide.short.verify),
                "dont": list(guide.short.dont),
            }
            if guide
            else None
        ),
    }
