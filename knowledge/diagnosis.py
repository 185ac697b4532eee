"""The answer for one paste: the cause, how sure we are, the evidence and the filled guide."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from knowledge.classify import NAMED_AT, Classifier
from knowledge.context import Context, Registry
from knowledge.extract import extract_context
from knowledge.guide import Guide, build_guide
from knowledge.loader import knowledge_base
from knowledge.paste import Redaction, read_paste
from knowledge.reference import ImageReference, lone_reference, normalize_host
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


class _LazyGuide:
    """The ``Diagnosis.guide`` field: given a guide, or a function that builds it when first read.

    Filling a guide costs about as much as reading the paste, and most diagnoses are never
    rendered (unasked chat, ``classify --jsonl``), so ``diagnose`` hands over the function.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self._slot = f"_{name}"

    def __get__(self, diagnosis: Diagnosis | None, owner: Any) -> Guide | None:
        if diagnosis is None:
            return None  # class access: dataclasses take this as the field's default
        value: Guide | Callable[[], Guide | None] | None = diagnosis.__dict__[self._slot]
        if callable(value):
            value = diagnosis.__dict__[self._slot] = value()
        return value

    def __set__(self, diagnosis: Diagnosis,
                value: Guide | Callable[[], Guide | None] | None) -> None:
        diagnosis.__dict__[self._slot] = value


@dataclass(frozen=True, kw_only=True)
class Diagnosis:
    """What registry-why concluded about one paste.

    ``class_id`` and ``confidence`` are the *asked* reading: someone asked about this text, so
    it is taken to be about a registry, and the best-supported cause is named with an honest
    confidence. ``class_id`` is None when the text shows no registry failure at all ("not
    sure"); ``seen`` and ``try_next`` then say what was recognised and what to do.
    ``unasked_confidence`` is the reading of a paste nobody asked about (see
    ``answer_unasked``).
    """

    class_id: str | None
    confidence: float
    title: str | None
    meaning: str | None
    evidence: str | None
    """The (masked) line that decided the class, with wrappers peeled off."""
    guide: _LazyGuide = _LazyGuide()
    """The filled guide (None when nothing is named), built when first read."""
    alternatives: tuple[Alternative, ...]
    others: tuple[Finding, ...]
    """Further distinct causes in the same paste, most confident first."""
    context: Context
    redactions: tuple[Redaction, ...]
    fingerprint: str
    """A hash of the masked, normalised text: lets callers count repeats without storing text."""
    unasked_confidence: float = 0.0
    """How sure the same cause is when nobody asked: registry-only hints count only when the
    paste itself shows a registry, image or registry tool."""
    close: Alternative | None = None
    """A second cause that stays as likely as the named one (within ``CLOSE_GAP``)."""
    tell_apart: str | None = None
    """How to tell the named cause from ``close`` (from the entries' look-alike notes)."""
    seen: str | None = None
    """When nothing is named: what the paste did show ("a `docker login` to ghcr.io")."""
    try_next: tuple[str, ...] = ()
    """When nothing is named: what to try next."""

    def answer_unasked(self, threshold: float) -> bool:
        """Whether a paste nobody asked about deserves a reply at the channel's threshold."""
        return self.class_id is not None and self.unasked_confidence >= threshold


MAX_CHARS = 1_048_576
"""Longer pastes are cut to their last MAX_CHARS characters (after masking): logs end in errors."""

MAX_ALTERNATIVES = 3

OTHERS_AT = 0.5
"""Another cause elsewhere in the paste is mentioned only from this confidence: a faint hint
on another line is noise beside the named cause."""

CLOSE_GAP = 0.15
"""A runner-up this close to the named cause is shown beside it, with how to tell them apart."""

UNASKED_THRESHOLD = 0.8
"""The default confidence at which a paste nobody asked about gets a reply
(``REGISTRY_WHY_CONFIDENCE``)."""

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
        if best and c.line_start != best.line_start and c.confidence >= OTHERS_AT
    )
    alternatives = tuple(
        Alternative(c.class_id, c.confidence)
        for c in (candidates[1:] if best else candidates)
        if c not in others
    )[:MAX_ALTERNATIVES]
    entry = classifier.kb[best.class_id] if best else None
    if best:
        context = _focus(context, text, best.line_start)
    close = next(
        (c for c in candidates[1:2]
         if best and c not in others and best.confidence - c.confidence < CLOSE_GAP), None)
    return Diagnosis(
        class_id=best.class_id if best else None,
        confidence=best.confidence if best else 0.0,
        title=entry.title if entry else None,
        meaning=entry.meaning if entry else None,
        evidence=best.evidence if best else None,
        guide=functools.partial(build_guide, entry, context, best.evidence) if entry and best
        else None,
        alternatives=alternatives,
        others=tuple(Finding(c.class_id, c.confidence, c.evidence) for c in others),
        context=context,
        redactions=paste.redactions,
        fingerprint=hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:32],
        unasked_confidence=best.unasked if best else 0.0,
        close=Alternative(close.class_id, close.confidence) if close else None,
        tell_apart=_tell_apart(classifier, best.class_id, close.class_id)
        if best and close else None,
        seen=None if best else what_was_seen(context, text),
        try_next=() if best else _try_next(context),
    )


def _tell_apart(classifier: Classifier, named: str, close: str) -> str | None:
    for one, other in ((named, close), (close, named)):
        tell = next((la.tell for la in classifier.kb[one].look_alikes if la.id == other), None)
        if tell is not None:
            return tell
    return None


_FAILED = re.compile(
    r"\b(?:error|fail(?:ed|ure|ing|s)?|denied|unable|cannot|can't|refused|invalid)\b",
    re.IGNORECASE)


def what_was_seen(context: Context, text: str) -> str | None:
    """What a paste with no nameable cause did show, as a phrase: "a `docker login` to ghcr.io
    that failed". None when it shows nothing about a registry."""
    image, registry = context.image, context.registry
    host = registry.host if registry else image.host if image else None
    if context.tool and context.operation:
        what = f"a `{context.tool} {context.operation}`"
    elif context.operation:
        what = f"a {context.operation}"
    elif context.tool:
        what = f"output from {context.tool}"
    elif image:
        what = f"something about the image {image}"
    elif host:
        what = f"something about the registry {host}"
    else:
        return None
    if context.tool or context.operation:
        if image and context.operation != "login":
            what += f" of {image}"
        elif host:
            what += f" {'to' if context.operation in ('login', 'push') else 'of'} {host}"
    if context.http_status:
        what += f" answered HTTP {context.http_status}"
    elif _FAILED.search(text):
        what += " that failed"
    return what


def _try_next(context: Context) -> tuple[str, ...]:
    steps = ["Paste the whole error output, from the command you ran to its last line: the "
             "cause is usually in the last error line."]
    if context.image:
        steps.append(
            f"Ask the registry directly from the same machine: `skopeo inspect "
            f"docker://{context.image}` (or `docker manifest inspect {context.image}`); its "
            "error names the cause.")
    return tuple(steps)


def image_alone(text: str, diagnosis: Diagnosis) -> ImageReference | None:
    """The image reference ``text`` is, when it is that and nothing else (no cause named in it),
    for an answer that says which registry serves the image.

    A text holding a secret gives None: the reference would be shown back with the secret.
    """
    if diagnosis.class_id is not None or diagnosis.redactions:
        return None
    word = text.strip()
    if not word or any(ch.isspace() for ch in word):
        return None
    return diagnosis.context.image or lone_reference(word)
