"""The probe's front door: one image in, a :class:`ProbeResult` out, safely and audited.

Front ends (the CLI, Slack handlers) call :func:`probe_image` with an image reference they
took from the user's paste or command argument, the class the paste suggested (if any), who
is asking, the loaded :class:`~bot.probe.profiles.ProbeConfig`, and the process's
:class:`~bot.probe.cache.ProbeCache`.
"""

from __future__ import annotations

import logging
import time
import traceback
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, Self

from bot.probe.cache import ProbeCache, ProbeKey, limiter_of, observe_through
from bot.probe.evidence import sanitize
from bot.probe.limits import ProbeLimiter
from bot.probe.observation import Observation, Tier
from bot.probe.policy import ProbeRefused
from bot.probe.profiles import ProbeConfig, ProbeOptions, RegistryProfile
from bot.probe.sequence import InvalidTarget, observe
from bot.probe.states import INVALID_REFERENCE, RATE_LIMITED
from bot.probe.verdict import Verdict, judge
from knowledge import (
    Context,
    ImageReference,
    Registry,
    build_guide,
    knowledge_base,
    registry_family,
)

log = logging.getLogger(__name__)
audit = logging.getLogger("bot.probe.audit")


@dataclass(frozen=True, slots=True)
class Requester:
    """Who asked for a probe: a Slack user, in a channel (None for a direct message)."""

    user: str
    channel: str | None = None


@dataclass(frozen=True)
class ProbeResult:
    """What the probe found, ready to render. Every evidence line is already sanitised."""

    image: str
    """The normalised reference (``docker.io/library/nginx:latest``)."""
    host: str
    outcome: str | None
    """A class id, ``ok`` when the image is pullable from here, None when nothing could be
    named (including when the probe did not run; see ``refused``)."""
    verdict: Verdict | None
    """On ``suspected``; None when nothing was suspected."""
    verdict_reason: str | None
    evidence: tuple[str, ...]
    elapsed_ms: int
    tier: Tier
    suspected: str | None = None
    cached: bool = False
    """Served from the cache, or from an identical probe someone else started."""
    refused: str | None = None
    """Why the probe did not run (host not allowed, address blocked, rate limit), else None."""
    next_steps: tuple[str, ...] = ()
    """Commands the user can run themselves (trusted text, not from the registry)."""

    @classmethod
    def unconcluded(
        cls,
        image: str,
        host: str,
        suspected: str | None,
        shown: str,
        *,
        tier: Tier = "anonymous",
        refused: str | None = None,
        **more: Any,
    ) -> Self:
        """A result that concludes nothing (refused, or stopped by an error in the bot) and
        says why in ``shown``; ``more`` are a subclass's own fields."""
        return cls(
            image=image,
            host=host,
            outcome=None,
            verdict="inconclusive" if suspected else None,
            verdict_reason=shown if suspected else None,
            evidence=(shown,),
            elapsed_ms=0,
            tier=tier,
            suspected=suspected,
            refused=refused,
            **more,
        )

    @property
    def ephemeral(self) -> bool:
        """Whether to show it only to the asker: credentialed results are never posted openly."""
        return self.tier == "credentialed"


def choose_tier(
    profile: RegistryProfile, repository: str, requester: Requester | None
) -> tuple[Tier, bool]:
    """The tier this request may use, and whether a credential exists but is withheld.

    The operator's credential is used only for a repository matching ``probe_scopes``, asked
    from the CLI (no requester) or from one of the registry's ``allowed_channels``.
    """
    if profile.credential is None:
        return "anonymous", False
    allowed_here = requester is None or requester.channel in profile.allowed_channels
    if profile.in_scope(repository) and allowed_here:
        return "credentialed", False
    return "anonymous", True


def _next_steps(
    image: ImageReference, suspected: str | None, obs: Observation | None
) -> tuple[str, ...]:
    quota_seen = obs is not None and any(p.ratelimit_limit is not None for p in obs.passes())
    if image.host == "docker.io" and (suspected == RATE_LIMITED or quota_seen):
        # The knowledge base's own check for Docker Hub's quota (a HEAD request, which costs
        # no pull): run on the user's machine, it shows the user's quota, not the bot's.
        context = Context(images=(image,), registry=Registry(image.host,
                                                             registry_family(image.host)))
        guide = build_guide(knowledge_base()[RATE_LIMITED], context)
        return tuple(" && ".join(step.commands) for step in guide.check if step.commands)
    return ()


async def over_quota(
    limiter: ProbeLimiter, requester: Requester | None, options: ProbeOptions
) -> str | None:
    """Count a probe asked for by ``requester``; None if it may run, else why not (they have
    used their probes for this hour). Probes from the CLI (no requester) are not counted."""
    if requester is None:
        return None
    wait = await limiter.admit(requester.user)
    if wait is None:
        return None
    return (f"you have asked for {options.user_probes_per_hour} probes within an hour; try "
            f"again in {max(1, round(wait / 60))} min")


async def probe_image(
    image: ImageReference,
    *,
    suspected: str | None = None,
    requester: Requester | None = None,
    config: ProbeConfig,
    cache: ProbeCache | None = None,
) -> ProbeResult:
    """Probe ``image``'s registry and judge ``suspected`` (a class id) against what it saw.

    Never raises (but for cancellation): a probe the policy forbids comes back with ``refused``
    set, one that failed in the bot itself as inconclusive, its error's type logged. Every call
    is written to the ``bot.probe.audit`` log.
    """
    started = time.monotonic()
    try:
        result = await _probe(image, suspected, requester, config, cache)
    except Exception as exc:  # a bug must cost neither the answer nor the audit line
        result = _failed(image, suspected, requester, config, exc)
    result = _finish(result, started)
    audit_probe(result, requester, "image")
    return result


async def _probe(
    image: ImageReference,
    suspected: str | None,
    requester: Requester | None,
    config: ProbeConfig,
    cache: ProbeCache | None,
) -> ProbeResult:
    profile = config.profile_for(image.host)
    if profile is None:
        return _refused(
            image, suspected, f"{image.host} is not a registry this bot may probe (not listed)"
        )
    limiter = limiter_of(cache, config.options)
    too_many = await over_quota(limiter, requester, config.options)
    if too_many is not None:
        return _refused(image, suspected, too_many)
    tier, withheld = choose_tier(profile, image.repository, requester)
    key = ProbeKey(image.host, image.repository, image.reference, tier)

    async def run() -> Observation:
        async with limiter.slot(image.host, requester.user if requester else None):
            return await observe(
                profile,
                image.repository,
                image.reference,
                tier=tier,
                withheld=withheld,
                options=config.options,
                resolver=config.resolver,
            )

    try:
        obs, shared = await observe_through(cache, key, run, config.options)
    except ProbeRefused as refused:
        return _refused(image, suspected, refused.reason)
    except InvalidTarget as invalid:
        return ProbeResult(
            image=str(image),
            host=image.host,
            outcome=INVALID_REFERENCE,
            verdict="confirmed" if suspected == INVALID_REFERENCE else None,
            verdict_reason=str(invalid) if suspected else None,
            evidence=(sanitize(str(invalid)),),
            elapsed_ms=0,
            tier=tier,
            suspected=suspected,
        )
    verdict, reason = judge(suspected, obs, image.host) if suspected else (None, None)
    return ProbeResult(
        image=str(image),
        host=image.host,
        outcome=obs.outcome,
        verdict=verdict,
        verdict_reason=reason,
        evidence=obs.all_evidence(),
        elapsed_ms=obs.elapsed_ms,
        tier=tier,
        suspected=suspected,
        cached=shared,
        next_steps=_next_steps(image, suspected, obs),
    )


def _refused(image: ImageReference, suspected: str | None, reason: str) -> ProbeResult:
    return ProbeResult.unconcluded(
        str(image), image.host, suspected, sanitize(f"not probed: {reason}"),
        refused=sanitize(reason), next_steps=_next_steps(image, suspected, None),
    )


def _failed(
    image: ImageReference,
    suspected: str | None,
    requester: Requester | None,
    config: ProbeConfig,
    exc: Exception,
) -> ProbeResult:
    """The answer when the probe itself failed: nothing concluded, and the operator told."""
    shown = report_failure(f"probe of {image}", exc)
    profile = config.profile_for(image.host)
    # The tier it would have used, so a result that could have used the credential stays private.
    tier = choose_tier(profile, image.repository, requester)[0] if profile else "anonymous"
    return ProbeResult.unconcluded(str(image), image.host, suspected, shown, tier=tier)


def report_failure(what: str, exc: Exception) -> str:
    """Tell the operator that ``what`` (``probe of <image>``) stopped on an error in the bot,
    and return the line that tells the user."""
    # The error's text may quote a registry's answer or a secret: log its type and place only.
    where = traceback.extract_tb(exc.__traceback__)[-1]
    kind = type(exc).__name__
    log.error("%s failed: %s at %s:%s", what, kind, Path(where.filename).name, where.lineno)
    return f"the probe stopped on an error in the bot ({kind}), so nothing was concluded"


def _finish(result: ProbeResult, started: float) -> ProbeResult:
    return replace(result, elapsed_ms=round((time.monotonic() - started) * 1000))


def audit_probe(
    result: ProbeResult, requester: Requester | None, subject: Literal["image", "package"]
) -> None:
    """Write the audit line of one probe: who asked, for what, and what came of it."""
    audit.info(
        "probe user=%s channel=%s %s=%s tier=%s outcome=%s suspected=%s verdict=%s "
        "cached=%s refused=%s elapsed_ms=%d",
        requester.user if requester else "cli",
        (requester.channel or "-") if requester else "-",
        subject,
        result.image,
        result.tier,
        result.outcome or "-",
        result.suspected or "-",
        result.verdict or "-",
        result.cached,
        "yes" if result.refused else "no",
        result.elapsed_ms,
        extra={
            "probe_user": requester.user if requester else None,
            "probe_channel": requester.channel if requester else None,
            f"probe_{subject}": result.image,
            "probe_outcome": result.outcome,
        },
    )


def to_json(result: ProbeResult) -> dict[str, Any]:
    """The ``probe --json`` object (``explain --probe --json`` uses its ``verdict`` fields)."""
    return {
        "image": result.image,
        "host": result.host,
        "outcome": result.outcome,
        "verdict": result.verdict,
        "verdict_reason": result.verdict_reason,
        "suspected": result.suspected,
        "evidence": list(result.evidence),
        "elapsed_ms": result.elapsed_ms,
        "tier": result.tier,
        "cached": result.cached,
        "refused": result.refused,
        "next_steps": list(result.next_steps),
    }
