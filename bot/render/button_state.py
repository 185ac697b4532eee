"""What a reply's buttons carry, so a click can rebuild the answer without any stored text.

"Share in channel" and "Show full guide" need the diagnosis again when clicked, possibly on
another replica, and ephemeral messages are not sent back with clicks. Rather than keeping
pasted text anywhere, the button value carries the derived facts (class, confidence, the
masked evidence line, image, registry, the environment and values the guide is filled with,
masked-secret kinds) as compact JSON within Slack's
2000-character limit; the guide is rebuilt from the knowledge base.
"""

from __future__ import annotations

import logging

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.errors import RegistryWhyError
from knowledge import (
    Context,
    Diagnosis,
    Environment,
    ImageReference,
    Operation,
    Redaction,
    Registry,
    RegistryFamily,
    build_guide,
    knowledge_base,
)

MAX_VALUE = 2000
"""Slack's limit for a button's ``value``."""
_EVIDENCE_BUDGET = 600


log = logging.getLogger(__name__)


class ButtonStateError(RegistryWhyError, ValueError):
    """A button value that cannot be turned back into a diagnosis."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Image(_Model):
    h: str
    r: str
    t: str | None = None
    d: str | None = None


class _Secret(_Model):
    k: str
    l: str  # noqa: E741 (the JSON is kept short on purpose)
    n: int = Field(ge=1)


class ButtonState(_Model):
    """The facts of one diagnosis, in short JSON keys."""

    c: str
    p: float = Field(ge=0, le=1)
    e: str | None = None
    i: _Image | None = None
    rh: str | None = None
    rf: RegistryFamily | None = None
    tool: str | None = None
    op: Operation | None = None
    pl: str | None = None
    env: tuple[Environment, ...] = ()
    px: str | None = Field(default=None, max_length=300)
    ch: str | None = Field(default=None, max_length=100)
    rg: str | None = Field(default=None, max_length=40)
    dg: str | None = Field(default=None, max_length=80)
    rp: str | None = Field(default=None, max_length=255)
    x: tuple[_Secret, ...] = ()
    f: str = ""


def pack(diagnosis: Diagnosis) -> str:
    """The button value for a named diagnosis (``class_id`` must be set)."""
    if diagnosis.class_id is None:
        raise ButtonStateError("only a named diagnosis can be carried by a button")
    context = diagnosis.context
    image = context.image
    state = ButtonState(
        c=diagnosis.class_id,
        p=round(diagnosis.confidence, 3),
        e=(diagnosis.evidence or "")[:_EVIDENCE_BUDGET] or None,
        i=_Image(h=image.host, r=image.repository, t=image.tag, d=image.digest) if image else None,
        rh=context.registry.host if context.registry else None,
        rf=context.registry.family if context.registry else None,
        tool=context.tool,
        op=context.operation,
        pl=context.platform,
        env=context.environments,
        px=context.proxy,
        ch=context.credential_helper,
        rg=context.region,
        dg=context.digest,
        rp=context.repository,
        x=tuple(_Secret(k=r.kind, l=r.label, n=r.count) for r in diagnosis.redactions),
        f=diagnosis.fingerprint,
    )
    value = _dump(state)
    # Only the evidence line can be long: shorten it by what is over (JSON escapes can make
    # the value longer than the text, hence the loop).
    while len(value) > MAX_VALUE and state.e:
        keep = max(0, len(state.e) - (len(value) - MAX_VALUE) - 1)
        state = state.model_copy(update={"e": state.e[:keep] + "…" if keep else None})
        value = _dump(state)
    if len(value) > MAX_VALUE:
        raise ButtonStateError(f"button state is {len(value)} characters, over {MAX_VALUE}")
    return value


def _dump(state: ButtonState) -> str:
    # JSON escapes for & < > keep even button values (never shown, never parsed as mrkdwn)
    # free of anything Slack could read as a mention; they decode to the same text.
    json = state.model_dump_json(exclude_defaults=True)
    return json.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def restore(value: str, request_id: str) -> Diagnosis | None:
    """The diagnosis a clicked button carried, or None (logged) when it cannot be rebuilt: a
    button from an older version of the bot, or a forged value."""
    try:
        return unpack(value)
    except ButtonStateError as exc:
        log.warning("%s: cannot use the button's value: %s", request_id, exc)
        return None


def unpack(value: str) -> Diagnosis:
    """Rebuild the diagnosis a button carried, with its guide from the knowledge base."""
    try:
        state = ButtonState.model_validate_json(value)
    except ValidationError as exc:
        raise ButtonStateError(f"not a registry-why button value: {exc.error_count()} "
                               "problem(s)") from None
    kb = knowledge_base()
    if state.c not in kb:
        raise ButtonStateError(f"class {state.c!r} is not in this version's knowledge base")
    entry = kb[state.c]
    image = (ImageReference(host=state.i.h, repository=state.i.r, tag=state.i.t, digest=state.i.d)
             if state.i else None)
    context = Context(
        images=(image,) if image else (),
        registry=Registry(state.rh, state.rf) if state.rh and state.rf else None,
        tool=state.tool,
        operation=state.op,
        platform=state.pl,
        environments=state.env,
        proxy=state.px,
        credential_helper=state.ch,
        region=state.rg,
        digest=state.dg,
        repository=state.rp,
    )
    return Diagnosis(
        class_id=entry.id,
        confidence=state.p,
        title=entry.title,
        meaning=entry.meaning,
        evidence=state.e,
        guide=build_guide(entry, context, state.e or ""),
        alternatives=(),
        others=(),
        context=context,
        redactions=tuple(Redaction(kind=s.k, label=s.l, count=s.n) for s in state.x),
        fingerprint=state.f,
    )
