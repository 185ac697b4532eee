"""The answer for one paste: the cause, how sure we are, the evidence and the filled guide."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import re
from dataclasses import dataclass

from knowledge.classify import NAMED_AT, Classifier
from knowledge.context import Context, Registry
from knowledge.extract import extract_context
from knowledge.guide import Guide, build_guide
from knowledge.loader import knowledge_base
from knowledge.paste import Redaction, read_paste
from knowledge.reference import normalize_host
from knowledge.registries import registry_family


@dataclass(frozen=True, slots=True)
class Alternative:
    """A runner-up class and its confidence."""

    class_id: str
    confidence: float


@dataclass(frozen=True, slots=True)
class Finding:
    """Another cause found elsewhere in the same paste."""

    class_id: str
    confidence: float
    evidence: str


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """What registry-why concluded about one paste.

    ``class_id`` is None when the paste is not a registry error we can name ("not sure" is a
    valid answer); ``alternatives`` may still list weak candidates then.
    """

    class_id: str | None
    confidence: float
    title: str | None
    meaning: str | None
    evidence: str | None
    """The (masked) line that decided the class, with wrappers peeled off."""
    guide: Guide | None
    alternatives: tuple[Alternative, ...]
    others: tuple[Finding, ...]
    """Further distinct causes in the same paste, most confident first."""
    context: Context
    redactions: tuple[Redaction, ...]
    fingerprint: str
    """A hash of the masked, normalised text: lets callers count repeats without storing text."""


MAX_CHARS = 1_048_576
"""Longer pastes are cut to their last MAX_CHARS characters (after masking): logs end in errors."""

MAX_ALTERNATIVES = 3

_REGISTRY_URL = re.compile(r"://([a-z0-9.-]{1,253}(?::[0-9]{1,5})?)/v2/")
"""A registry API URL in a (lower-cased) line: names the registry the line is about."""


@functools.cache
def default_classifier() -> Classifier:
    """The classifier for the packaged knowledge base, built once per process."""
    return Classifier(knowledge_base())


def _focus(context: Context, text: str, line_start: int) -> Context:
    """The context with the registry and image of the deciding line first.

    A paste can show several failures; the guide's commands (and a probe) must be about the
    one that was named, not about the first image the paste happens to mention.
    """
    end = text.find("\n", line_start)
    line = text[line_start : end if end >= 0 else len(text)].lower()
    hosts = dict.fromkeys(
        [
            *(normalize_host(m[1]) for m in _REGISTRY_URL.finditer(line)),
            *(i.host for i in context.images),
            *([context.registry.host] if context.registry else []),
        ]
    )
    if len(hosts) < 2:
        return context
    host = next((h for h in hosts if h in line), None)
    if host is None or (context.registry and context.registry.host == host):
        return context
    # Images on other registries are about other failures: naming one of them in this
    # failure's commands would send the reader to the wrong registry.
    return dataclasses.replace(
        context,
        registry=Registry(host, registry_family(host)),
        images=tuple(i for i in context.images if i.host == host),
    )


def diagnose(raw: str, classifier: Classifier | None = None) -> Diagnosis:
    """Read a pasted text and say what registry error it shows, if any."""
    classifier = classifier or default_classifier()
    paste = read_paste(raw)
    text = paste.text[-MAX_CHARS:]
    context = extract_context(text)
    candidates = classifier.classify(text, context).candidates
    best = candidates[0] if candidates and candidates[0].confidence >= NAMED_AT else None
    others = tuple(
        c for c in candidates[1:]
        if best and c.line_start != best.line_start and c.confidence >= NAMED_AT
    )
    alternatives = tuple(
        Alternative(c.class_id, c.confidence)
        for c in (candidates[1:] if best else candidates)
        if c not in others
    )[:MAX_ALTERNATIVES]
    entry = classifier.kb[best.class_id] if best else None
    if best:
        context = _focus(context, text, best.line_start)
    return Diagnosis(
        class_id=best.class_id if best else None,
        confidence=best.confidence if best else 0.0,
        title=entry.title if entry else None,
        meaning=entry.meaning if entry else None,
        evidence=best.evidence if best else None,
        guide=build_guide(entry, context, best.evidence) if entry and best else None,
        alternatives=alternatives,
        others=tuple(Finding(c.class_id, c.confidence, c.evidence) for c in others),
        context=context,
        redactions=paste.redactions,
        fingerprint=hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:32],
    )
