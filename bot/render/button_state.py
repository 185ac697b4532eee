"""What a reply's buttons carry, so a click can rebuild the answer without any stored text.

"Share in channel" and "Show full guide" need the diagnosis again when clicked, possibly on
another replica, and ephemeral messages are not sent back with clicks. Rather than keeping
pasted text anywhere, the button value carries the derived facts (class, confidence, the
masked evidence line, image, registry, the package, its ecosystem and registry URL, the
environment and values the guide is filled with, masked-secret kinds) as compact JSON within
Slack's 2000-character limit; the guide is rebuilt from the knowledge base.

A value never carries a credential: the text comes masked from the paste, a registry URL is
carried without its user, password, query and fragment (where URLs keep credentials; the probe
needs none of them), and a package fact that still holds a credential (or its mask), or is too
long for its slot, is left out when packing and refused when unpacking. A registry URL left out
takes its package with it, so a button never probes another registry than the paste named.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit, urlunsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from bot.errors import RegistryWhyError
from knowledge import (
    Context,
    Diagnosis,
    Ecosystem,
    Environment,
    ImageReference,
    Operation,
    Redaction,
    Registry,
    RegistryFamily,
    build_guide,
    knowledge_base,
    mask_secrets,
)

MAX_VALUE = 2000
"""Slack's limit for a button's ``value``."""
_EVIDENCE_BUDGET = 600


log = logging.getLogger(__name__)


class ButtonStateError(RegistryWhyError, ValueError):
    """A button value that cannot be turned back into a diagnosis."""


PACKAGE_MAX = 255
VERSION_MAX = 128
URL_MAX = 400
CONFIG_FILE_MAX = 200


def _holds_secret(text: str) -> bool:
    # The mask too: "[REDACTED token]" in a URL says a credential was there.
    return "[REDACTED" in text or bool(mask_secrets(text)[1])


def _no_secret(text: str) -> str:
    if _holds_secret(text):
        raise ValueError("holds a credential")
    return text


def carried_url(url: str) -> str | None:
    """``url`` as a button carries it: scheme, host, port and path only; None when it is not
    an http(s) URL, is too long, or its path still holds a credential."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    bare = urlunsplit((parts.scheme.lower(), f"{host}:{port}" if port else host, parts.path,
                       "", ""))
    return None if len(bare) > URL_MAX or _holds_secret(bare) else bare


def _carried_url(url: str) -> str:
    if carried_url(url) != url:
        raise ValueError("not a URL a button carries")
    return url


def _fits(text: str | None, limit: int) -> str | None:
    return text if text is not None and len(text) <= limit and not _holds_secret(text) else None


@dataclass(frozen=True, slots=True)
class CarriedPackage:
    """A paste's package as a button carries it."""

    name: str
    version: str | None
    """None also when the paste's version could not be carried: then only the package is
    probed."""
    registry_url: str | None
    """Bare (see :func:`carried_url`)."""


def carried_package(context: Context) -> CarriedPackage | None:
    """The package facts of ``context`` a button carries; None when there is no package, or
    when it or its registry URL cannot be carried (too long, or holding a credential)."""
    name = _fits(context.package, PACKAGE_MAX)
    url = carried_url(context.registry_url) if context.registry_url else None
    if name is None or (context.registry_url and url is None):
        return None
    return CarriedPackage(name, _fits(context.package_version, VERSION_MAX), url)


_Clean = Annotated[str, AfterValidator(_no_secret)]


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
    eco: Ecosystem = "oci"
    pk: Annotated[_Clean, Field(max_length=PACKAGE_MAX)] | None = None
    pv: Annotated[_Clean, Field(max_length=VERSION_MAX)] | None = None
    ru: Annotated[str, AfterValidator(_carried_url)] | None = None
    cf: Annotated[_Clean, Field(max_length=CONFIG_FILE_MAX)] | None = None
    x: tuple[_Secret, ...] = ()
    f: str = ""


def pack(diagnosis: Diagnosis) -> str:
    """The button value for a named diagnosis (``class_id`` must be set)."""
    if diagnosis.class_id is None:
        raise ButtonStateError("only a named diagnosis can be carried by a button")
    state = _state(diagnosis)
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


def _state(diagnosis: Diagnosis) -> ButtonState:
    assert diagnosis.class_id is not None
    context = diagnosis.context
    image = context.image
    package = carried_package(context)
    return ButtonState(
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
        eco=context.ecosystem,
        pk=package.name if package else None,
        pv=package.version if package else None,
        ru=package.registry_url if package else None,
        cf=_fits(context.config_file, CONFIG_FILE_MAX),
        x=tuple(_Secret(k=r.kind, l=r.label, n=r.count) for r in diagnosis.redactions),
        f=diagnosis.fingerprint,
    )


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
        ecosystem=state.eco,
        package=state.pk,
        package_version=state.pv,
        registry_url=state.ru,
        config_file=state.cf,
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
