"""The probe's conversation with one registry: read-only, bounded, in a fixed order.

1. Resolve and check the registry's address (nothing is sent to a blocked one).
2. ``GET /v2/``: is it a registry, and how does it want clients to authenticate?
3. The anonymous pass: a token if the registry uses them, then ``HEAD`` the manifest with
   every manifest type in ``Accept``; after a 404, ``GET tags/list?n=1`` to tell a missing
   repository from a missing tag; after a 200 for an OCI image, one more ``HEAD`` accepting
   only Docker types (an old client's view).
4. The credentialed pass, the same way with the operator's credential, when the request may
   use it and the anonymous pass could not pull.

Never blobs, never the catalog, never a write; at most ten requests.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

import httpx

from bot.errors import RegistryWhyError
from bot.probe.challenge import Challenge, parse_challenges, pick
from bot.probe.evidence import sanitize, short_digest
from bot.probe.observation import Observation, PassResult, Tier
from bot.probe.outcome import (
    DOCKER_MEDIA_TYPES,
    MEDIA_TYPES,
    OCI_MEDIA_TYPES,
    describe_location,
    ping_outcome,
    registry_error,
)
from bot.probe.policy import AddressPins, Allowance, DnsFailure, Resolver
from bot.probe.profiles import ConfigError, Credential, ProbeOptions, RegistryProfile
from bot.probe.states import (
    ACCESS_DENIED,
    AUTH_INVALID,
    AUTH_REQUIRED,
    DENIED_OR_MISSING,
    DNS,
    MANIFEST_UNKNOWN,
    OK,
    PROXY,
    RATE_LIMITED,
    REPOSITORY_NOT_FOUND,
    SERVER_ERROR,
    TIMEOUT,
    PassState,
)
from bot.probe.token import basic_header, request_token
from bot.probe.transport import Reply, Timeouts, TransportFailure, fetch, make_client

_NAME = re.compile(
    r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
)
_REFERENCE = re.compile(
    r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}|[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-f]{32,}"
)
# Nine digits at most: a longer number is no real quota, and Python will not turn one of
# thousands of digits into an int at all.
_RATELIMIT = re.compile(r"\s*(\d{1,9})(?!\d)\s*(?:;\s*w\s*=\s*(\d{1,9})(?!\d))?")

_STATE_OUTCOME: dict[PassState, str | None] = {
    "pullable": OK,
    "refused": AUTH_REQUIRED,
    "denied": ACCESS_DENIED,
    "credential-rejected": AUTH_INVALID,
    "manifest-missing": MANIFEST_UNKNOWN,
    "repo-missing": REPOSITORY_NOT_FOUND,
    "missing": MANIFEST_UNKNOWN,
    "throttled": RATE_LIMITED,
    "server-failing": SERVER_ERROR,
    "realm-refused": None,
    "token-failed": None,
    "failed": None,
}
_MERGED = frozenset({AUTH_REQUIRED, ACCESS_DENIED, REPOSITORY_NOT_FOUND, MANIFEST_UNKNOWN})


class InvalidTarget(RegistryWhyError):
    """The repository or reference does not fit the distribution grammar; nothing was sent."""


@dataclass
class _Probe:
    client: httpx.AsyncClient
    profile: RegistryProfile
    repository: str
    reference: str
    cap: int
    withheld: bool
    tier: Tier
    evidence: list[str] = field(default_factory=list)
    passes: list[_Lines] = field(default_factory=list)
    """The lines of every pass started, kept here too for a probe that runs out of time."""

    def url(self, path: str) -> str:
        return f"{self.profile.base_url}/v2/{self.repository}/{path}"

    async def run(self, base: Observation) -> Observation:
        observed = await _run(self, base)
        return replace(observed, evidence=tuple(self.evidence))

    def note(self, line: str) -> None:
        self.evidence.append(sanitize(line))

    def start_pass(self, tier: Tier) -> _Lines:
        label = "anonymous" if tier == "anonymous" else "with the operator's pull credential"
        lines = _Lines(label)
        self.passes.append(lines)
        return lines

    def seen_so_far(self) -> tuple[str, ...]:
        """Every line noted until now, for a probe stopped midway. A withheld credential keeps
        only the probe-wide lines: its pass's answers could tell "missing" from "denied"."""
        lines = list(self.evidence)
        if not self.withheld:
            for started in self.passes:
                lines.extend(started.lines)
        return tuple(lines)


def allowances(profile: RegistryProfile) -> dict[tuple[str, int], Allowance]:
    """The host:ports a probe of ``profile`` may connect to: its endpoint and token hosts.

    ``allow_private`` is for the registry's own host (on any port: a token service beside
    the registry is the same machine). A token host of another name keeps the strict policy,
    or a public name that someone else's DNS points inward would reach internal addresses.
    """
    own = profile.endpoint.host
    hosts = {profile.endpoint, *profile.realm_hosts}
    return {
        (h.host, h.port): Allowance(allow_private=profile.allow_private and h.host == own)
        for h in hosts
    }


class Conversation(Protocol):
    """The requests of one probe, over a client pinned to the registry's checked addresses."""

    async def run(self, base: Observation) -> Observation:
        """Ask the registry, and say what it answered (``base`` filled in)."""

    def seen_so_far(self) -> tuple[str, ...]:
        """The evidence noted until now, for a probe stopped by its time bound."""


async def converse(
    profile: RegistryProfile,
    start: Callable[[httpx.AsyncClient], Conversation],
    *,
    withheld: bool,
    options: ProbeOptions,
    resolver: Resolver,
) -> Observation:
    """Resolve and check ``profile``'s address, then hold the conversation ``start`` begins,
    within ``options``' time bounds. Raises ProbeRefused when the address is blocked (nothing
    sent); a name that does not resolve, or a conversation out of time, is an observation."""
    started = time.monotonic()
    pins = AddressPins(allowances(profile), resolver, timeout=options.connect_timeout)
    base = Observation(
        outcome=None,
        reached=False,
        withheld=withheld,
        scheme=profile.scheme,
        operator_ca=profile.scheme == "https" and profile.ca_file is not None,
    )
    try:
        await pins.addresses(profile.endpoint.host, profile.endpoint.port)
    except DnsFailure as failure:
        observed = replace(
            base,
            outcome=DNS,
            transport=DNS,
            evidence=(sanitize(f"DNS: {failure.host}: {failure.detail}"),),
        )
        return _timed(observed, started)
    timeouts = Timeouts(options.connect_timeout, options.tls_timeout, options.read_timeout)
    async with make_client(pins, ca_file=profile.ca_file, timeouts=timeouts) as client:
        conversation = start(client)
        try:
            async with asyncio.timeout(options.total_timeout):
                observed = await conversation.run(base)
        except TimeoutError:
            # The pass that was cut off returned no lines of its own: keep what it saw.
            out_of_time = sanitize(f"the probe did not finish within {options.total_timeout:g}s")
            observed = replace(
                base, outcome=TIMEOUT, transport=TIMEOUT,
                evidence=(*conversation.seen_so_far(), out_of_time),
            )
    return _timed(observed, started)


async def observe(
    profile: RegistryProfile,
    repository: str,
    reference: str,
    *,
    tier: Tier,
    withheld: bool,
    options: ProbeOptions,
    resolver: Resolver,
) -> Observation:
    """Run the probe sequence against ``profile`` for ``repository:reference``.

    Raises InvalidTarget for a name outside the grammar and ProbeRefused when the registry's
    address is blocked; in both cases nothing was sent.
    """
    if not _NAME.fullmatch(repository) or not _REFERENCE.fullmatch(reference):
        raise InvalidTarget(f"{repository}:{reference} is not a valid repository and reference")
    return await converse(
        profile,
        lambda client: _Probe(client, profile, repository, reference, options.body_cap, withheld,
                              tier),
        withheld=withheld, options=options, resolver=resolver,
    )


def _timed(observed: Observation, started: float) -> Observation:
    return replace(observed, elapsed_ms=round((time.monotonic() - started) * 1000))


async def _run(probe: _Probe, base: Observation) -> Observation:
    try:
        ping = await fetch(probe.client, "GET", f"{probe.profile.base_url}/v2/", cap=probe.cap)
    except TransportFailure as failure:
        probe.note(failure.detail)
        return replace(base, outcome=failure.outcome, transport=failure.outcome)
    stopped, why = ping_outcome(ping)
    if stopped is not None:
        probe.note(why)
        return replace(base, outcome=stopped, transport=stopped)
    challenges = parse_challenges(ping.headers.get_list("www-authenticate"))
    probe.note(_describe_ping(ping, pick(challenges)))
    anonymous = await _pass(probe, "anonymous", None, challenges)
    credentialed = None
    if probe.tier == "credentialed" and anonymous.state != "pullable":
        credential = probe.profile.credential
        assert credential is not None, "the credentialed tier needs a credential"
        credentialed = await _pass(probe, "credentialed", credential, challenges)
    if probe.withheld and anonymous.outcome in _MERGED:
        anonymous = replace(
            anonymous,
            outcome=DENIED_OR_MISSING,
            evidence=(
                "anonymous: cannot pull it. A credential is configured for this registry but "
                "may not be used for this request, so 'does not exist' and 'access denied' "
                "are reported alike",
            ),
        )
    outcome = anonymous.outcome
    if anonymous.state != "pullable" and credentialed is not None:
        outcome = credentialed.outcome
    return replace(
        base, outcome=outcome, reached=True, anonymous=anonymous, credentialed=credentialed
    )


def _describe_ping(ping: Reply, challenge: Challenge | None) -> str:
    if ping.status == 200:
        line = "GET /v2/: 200, the API answers without authentication"
    elif challenge is None:
        line = "GET /v2/: 401 without a Bearer or Basic challenge"
    elif challenge.scheme == "bearer":
        line = "GET /v2/: 401, token authentication"
        if challenge.service:
            line += f" (service {challenge.service})"
    else:
        line = "GET /v2/: 401, Basic authentication"
    version = ping.header("docker-distribution-api-version")
    if version:
        line += f"; Docker-Distribution-API-Version: {version[:20]}"
    return line


# -- one pass ---------------------------------------------------------------------------------


@dataclass
class _Lines:
    label: str
    lines: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.lines.append(sanitize(f"{self.label}: {text}"))


async def _authorize(
    probe: _Probe,
    challenge: Challenge | None,
    credential: Credential | None,
    tier: Tier,
    lines: _Lines,
) -> str | PassResult | None:
    """The Authorization header to send, None for none, or the pass's end if that failed."""
    if challenge is None:
        return None
    if challenge.scheme == "basic":
        # A Basic realm is a label, never a URL to call; the credential goes to the registry.
        return basic_header(credential) if credential is not None else None
    result = await request_token(
        probe.client,
        challenge,
        repository=probe.repository,
        profile=probe.profile,
        credential=credential,
        cap=probe.cap,
    )
    lines.add(result.detail)
    if result.ok:
        assert result.token is not None
        return f"Bearer {result.token}"
    state: PassState
    outcome: str | None = result.outcome
    if result.state == "rejected":
        state = "credential-rejected" if credential else "refused"
    elif result.state == "denied":
        state = "denied" if credential else "refused"
    elif result.state == "throttled":
        state = "throttled"
    elif result.state == "server-failing":
        state = "server-failing"
    elif result.state == "refused":
        state = "realm-refused"
    else:
        state = "token-failed"
    if state not in ("token-failed", "realm-refused"):
        outcome = _STATE_OUTCOME[state]
    return PassResult(tier, state, outcome, tuple(lines.lines))


async def _pass(
    probe: _Probe, tier: Tier, credential: Credential | None, challenges: tuple[Challenge, ...]
) -> PassResult:
    lines = probe.start_pass(tier)
    try:
        return await _pass_steps(probe, tier, credential, pick(challenges), lines)
    except TransportFailure as failure:
        lines.add(failure.detail)
        return PassResult(tier, "failed", failure.outcome, tuple(lines.lines))
    except ConfigError as broken:
        # The password file went missing after start: say so, and let the operator fix it.
        lines.add(f"the operator's credential could not be read ({broken})")
        return PassResult(tier, "failed", None, tuple(lines.lines))


async def _pass_steps(
    probe: _Probe,
    tier: Tier,
    credential: Credential | None,
    challenge: Challenge | None,
    lines: _Lines,
) -> PassResult:
    auth = await _authorize(probe, challenge, credential, tier, lines)
    if isinstance(auth, PassResult):
        return auth
    head = await _head(probe, auth, MEDIA_TYPES)
    if head.status == 401 and auth is None:
        # /v2/ was open but this repository wants authentication: answer its challenge once.
        again = pick(parse_challenges(head.headers.get_list("www-authenticate")))
        if again is not None:
            auth = await _authorize(probe, again, credential, tier, lines)
            if isinstance(auth, PassResult):
                return auth
            if auth is not None:
                head = await _head(probe, auth, MEDIA_TYPES)
    return await _judge_head(probe, tier, credential, auth, head, lines)


async def _head(probe: _Probe, auth: str | None, accept: tuple[str, ...]) -> Reply:
    headers = {"Accept": ", ".join(accept)}
    if auth is not None:
        headers["Authorization"] = auth
    return await fetch(
        probe.client, "HEAD", probe.url(f"manifests/{probe.reference}"), cap=0, headers=headers
    )


async def _judge_head(
    probe: _Probe,
    tier: Tier,
    credential: Credential | None,
    auth: str | None,
    head: Reply,
    lines: _Lines,
) -> PassResult:
    status = head.status
    limits = _ratelimit(head)
    if status == 200:
        return await _pullable(probe, tier, auth, head, lines, limits)
    challenge = pick(parse_challenges(head.headers.get_list("www-authenticate")))
    error = challenge.error if challenge else None
    if status in (401, 403):
        state: PassState
        if credential is None:
            state = "refused"
        elif status == 401 and (
            error == "invalid_token" or (challenge and challenge.scheme == "basic")
        ):
            state = "credential-rejected"
        else:
            state = "denied"
        lines.add(f"HEAD manifest: {status}" + (f" {error}" if error else ""))
        return _result(tier, state, lines, status, limits)
    if status == 404:
        lines.add("HEAD manifest: 404, no manifest for this reference")
        if probe.withheld and tier == "anonymous":
            return _result(tier, "missing", lines, status, limits)
        return await _tags(probe, tier, auth, lines, limits)
    if status == 429:
        retry = head.header("retry-after")
        lines.add(
            "HEAD manifest: 429 Too Many Requests"
            + (f", Retry-After {retry[:20]}" if retry else "")
        )
        if limits[0] is not None:
            lines.add(_quota_line(limits))
        return _result(tier, "throttled", lines, status, limits)
    if status >= 500:
        lines.add(f"HEAD manifest: {status}, a server error")
        return _result(tier, "server-failing", lines, status, limits)
    if status == 407:
        lines.add("HEAD manifest: 407 Proxy Authentication Required")
        return PassResult(tier, "failed", PROXY, tuple(lines.lines), status)
    if 300 <= status < 400:
        lines.add(f"HEAD manifest: {status} redirect to {describe_location(head)} (not followed)")
    else:
        lines.add(f"HEAD manifest: unexpected {status}")
    return PassResult(tier, "failed", None, tuple(lines.lines), status)


def _result(
    tier: Tier,
    state: PassState,
    lines: _Lines,
    status: int | None,
    limits: tuple[int | None, int | None, int | None],
    *,
    content_type: str | None = None,
    digest: str | None = None,
    oci_only: bool | None = None,
) -> PassResult:
    limit, remaining, _window = limits
    return PassResult(
        tier,
        state,
        _STATE_OUTCOME[state],
        tuple(lines.lines),
        status,
        content_type=content_type,
        digest=digest,
        oci_only=oci_only,
        ratelimit_limit=limit,
        ratelimit_remaining=remaining,
    )


async def _pullable(
    probe: _Probe,
    tier: Tier,
    auth: str | None,
    head: Reply,
    lines: _Lines,
    limits: tuple[int | None, int | None, int | None],
) -> PassResult:
    content_type = (head.header("content-type") or "").partition(";")[0].strip() or None
    digest = head.header("docker-content-digest")
    described = ", ".join(
        p for p in (content_type, f"digest {short_digest(digest)}" if digest else None) if p
    )
    lines.add("HEAD manifest: 200" + (f" ({described})" if described else ""))
    oci_only = None
    if content_type in OCI_MEDIA_TYPES:
        docker_view = await _head(probe, auth, DOCKER_MEDIA_TYPES)
        oci_only = docker_view.status == 404
        if oci_only:
            lines.add(
                "HEAD manifest accepting only Docker media types: 404, so a client that does "
                "not accept OCI types gets 'manifest unknown' for this image"
            )
    if limits[0] is not None:
        lines.add(_quota_line(limits))
    return _result(
        tier,
        "pullable",
        lines,
        200,
        limits,
        content_type=content_type,
        digest=digest if digest and len(digest) < 200 else None,
        oci_only=oci_only,
    )


async def _tags(
    probe: _Probe,
    tier: Tier,
    auth: str | None,
    lines: _Lines,
    limits: tuple[int | None, int | None, int | None],
) -> PassResult:
    headers = {"Authorization": auth} if auth else {}
    reply = await fetch(
        probe.client,
        "GET",
        probe.url("tags/list"),
        cap=probe.cap,
        params=httpx.QueryParams({"n": "1"}),
        headers=headers,
    )
    message = registry_error(reply)
    if reply.status == 200:
        # The tag list itself is never shown: only that the repository exists.
        lines.add("tags/list: 200, the repository exists, so the tag or digest is missing")
        return _result(tier, "manifest-missing", lines, 404, limits)
    if reply.status == 404:
        lines.add("tags/list: 404" + (f" {message}" if message else "") + ", no such repository")
        return _result(tier, "repo-missing", lines, 404, limits)
    lines.add(
        f"tags/list: {reply.status}, so whether the repository exists cannot be told from here"
    )
    return _result(tier, "missing", lines, 404, limits)


def _ratelimit(reply: Reply) -> tuple[int | None, int | None, int | None]:
    """(limit, remaining, window seconds) from ``ratelimit-limit``/``-remaining`` headers.

    ``docker-ratelimit-source`` (the bot's egress address or account) is never read.
    """
    limit = _RATELIMIT.match(reply.header("ratelimit-limit") or "")
    remaining = _RATELIMIT.match(reply.header("ratelimit-remaining") or "")
    if not limit or not remaining:
        return None, None, None
    window = limit.group(2) or remaining.group(2)
    return int(limit.group(1)), int(remaining.group(1)), int(window) if window else None


def _quota_line(limits: tuple[int | None, int | None, int | None]) -> str:
    limit, remaining, window = limits
    per = f" per {window // 3600} h" if window and window >= 3600 else ""
    return (
        f"rate limit: {remaining} of {limit} pulls left{per}. This is the bot's own quota "
        "(its address or account), not yours"
    )
