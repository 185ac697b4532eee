"""What one probe observed, as plain data: cached, shared across replicas, judged later.

A verdict depends on the class the user's paste suggested, so the cache keeps the observation
and each asker's verdict is computed from it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal, get_args

from bot.probe.states import PassState, read_pass_state

Tier = Literal["anonymous", "credentialed"]


@dataclass(frozen=True)
class PassResult:
    """One pass of ``HEAD manifest`` (plus ``tags/list`` after a 404) with one credential tier."""

    tier: Tier
    state: PassState
    outcome: str | None
    evidence: tuple[str, ...] = ()
    status: int | None = None
    content_type: str | None = None
    digest: str | None = None
    oci_only: bool | None = None
    """True when the image is OCI and a client accepting only Docker types gets a 404."""
    ratelimit_limit: int | None = None
    ratelimit_remaining: int | None = None


@dataclass(frozen=True)
class Observation:
    """Everything a probe found out about one (host, repository, reference, tier)."""

    outcome: str | None
    """A class id, ``ok``, or None when the answer could not be named."""
    reached: bool
    """Whether ``GET /v2/`` answered as a registry API."""
    transport: str | None = None
    """The class that stopped the probe before it could ask about the image."""
    anonymous: PassResult | None = None
    credentialed: PassResult | None = None
    withheld: bool = False
    """A credential exists, but this request may not use it: denied/missing are merged."""
    scheme: str = "https"
    operator_ca: bool = False
    """TLS was verified with the CA file the operator configured (not only public CAs)."""
    evidence: tuple[str, ...] = field(default=())
    elapsed_ms: int = 0

    def passes(self) -> tuple[PassResult, ...]:
        """The passes that ran, anonymous first."""
        return tuple(p for p in (self.anonymous, self.credentialed) if p is not None)

    def all_evidence(self) -> tuple[str, ...]:
        """Probe-wide lines, then each pass's lines."""
        lines = list(self.evidence)
        for result in self.passes():
            lines.extend(result.evidence)
        return tuple(lines)

    def to_json(self) -> str:
        """Serialised for the cache."""
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> Observation:
        """Read back what :meth:`to_json` wrote; raise ValueError if it is not that."""
        try:
            data = json.loads(text)
            anonymous = _pass(data.pop("anonymous"))
            credentialed = _pass(data.pop("credentialed"))
            data["evidence"] = tuple(data["evidence"])
            return cls(anonymous=anonymous, credentialed=credentialed, **data)
        except (TypeError, KeyError, AttributeError, json.JSONDecodeError) as exc:
            raise ValueError(f"not a cached probe observation: {exc}") from exc


_PASS_FIELDS = frozenset(f.name for f in fields(PassResult))


def _pass(data: dict[str, Any] | None) -> PassResult | None:
    if data is None:
        return None
    state = read_pass_state(data.get("state"))
    if data.get("tier") not in get_args(Tier) or state is None:
        raise TypeError("unknown tier or state")
    data["state"] = state
    data["evidence"] = tuple(data["evidence"])
    # A field an earlier release wrote and this one no longer keeps is left behind.
    return PassResult(**{k: v for k, v in data.items() if k in _PASS_FIELDS})
