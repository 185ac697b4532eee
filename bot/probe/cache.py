"""Probe results shared between askers: cached briefly, and identical probes run once.

Thirty people pasting the same incident error should cause one probe, across replicas. A
result is kept per (host, repository, reference, credential tier): minutes when the image was
pullable, seconds otherwise (a failure should be re-checked soon). In one process, identical
probes in flight wait for the first. Across replicas, Redis holds the results and a lock: the
replica that takes the lock (``SET NX PX``) probes, the others poll for its result for a
bounded time. Redis being down never stops a probe: it only loses the sharing. Once a Redis
call has failed, the cache and the rate limit leave Redis alone for a while (``bot.backoff``,
as the store does), so a Redis that hangs costs one timeout, not one per probe.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.backoff import Backoff
from bot.probe.config import ProbeOptions
from bot.probe.limits import ProbeLimiter
from bot.probe.observation import Observation, Tier

log = logging.getLogger(__name__)

POLL_INTERVAL = 0.05
"""Seconds between looks at Redis while another replica probes."""
_RELEASE_OWN_LOCK = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
"""Delete a lock only if it still holds the token its taker set (atomically, in Redis)."""


@dataclass(frozen=True, slots=True)
class ProbeKey:
    """What makes two probes identical."""

    host: str
    repository: str
    reference: str
    tier: Tier

    def redis_key(self, prefix: str) -> str:
        """``<prefix>:probe:<host>:<repository>:<reference>:<tier>:<hash of the four>``.

        The readable part alone is ambiguous (ports and digests hold colons:
        ``localhost:5000/sha256:<hex>`` and ``localhost/5000@sha256:<hex>`` read the same), and
        one image's credentialed result must never be served for another's: the hash of the
        exact parts keeps the keys apart.
        """
        parts = [self.host, self.repository, self.reference, self.tier]
        exact = hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:32]
        return f"{prefix}:probe:{':'.join(parts)}:{exact}"


class ProbeCache:
    """Cached observations, in-flight coalescing, and the limiter probes share.

    Create one per process (per event loop) and pass it to every ``probe_image`` call;
    ``redis`` is optional.
    """

    def __init__(self, redis: Redis | None = None, *, prefix: str = "registry-why") -> None:
        self.redis = redis
        self.prefix = prefix
        self.backoff = Backoff()
        """Shared with the limiter: both call the same Redis."""
        self._local: dict[ProbeKey, tuple[Observation, float]] = {}
        self._inflight: dict[ProbeKey, asyncio.Future[Observation]] = {}
        self._limiter: ProbeLimiter | None = None
        self.probes_run = 0
        """Probes this process actually ran (not served from cache or another's probe)."""

    def limiter(self, options: ProbeOptions) -> ProbeLimiter:
        """The process-wide limiter (built on first use from ``options``)."""
        if self._limiter is None:
            self._limiter = ProbeLimiter(options, self.redis, self.prefix, self.backoff)
        return self._limiter

    async def get_or_probe(
        self,
        key: ProbeKey,
        probe: Callable[[], Awaitable[Observation]],
        *,
        options: ProbeOptions,
    ) -> tuple[Observation, bool]:
        """The observation for ``key`` and whether it came from someone else's probe."""
        cached = self._local.get(key)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0], True
        running = self._inflight.get(key)
        if running is not None:
            try:
                return await asyncio.shield(running), True
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise
                # The probe we waited for was cancelled, not us: run it ourselves.
                return await self.get_or_probe(key, probe, options=options)
        future: asyncio.Future[Observation] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            observation, shared = await self._resolve(key, probe, options)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            # The waiters (if any) re-raise it; mark it seen so an unawaited future stays quiet.
            future.exception()
            raise
        finally:
            del self._inflight[key]
        future.set_result(observation)
        ttl = _ttl(observation, options)
        if ttl > 0:
            self._local[key] = (observation, time.monotonic() + ttl)
        self._evict()
        return observation, shared

    def _evict(self) -> None:
        now = time.monotonic()
        for stale in [k for k, (_, expires) in self._local.items() if expires <= now]:
            del self._local[stale]

    async def _run(self, probe: Callable[[], Awaitable[Observation]]) -> Observation:
        self.probes_run += 1
        return await probe()

    async def _resolve(
        self,
        key: ProbeKey,
        probe: Callable[[], Awaitable[Observation]],
        options: ProbeOptions,
    ) -> tuple[Observation, bool]:
        if self.redis is None or not self.backoff.available():
            return await self._run(probe), False
        redis = self.redis
        result_key = key.redis_key(self.prefix)
        lock_key = f"{result_key}:lock"
        token = uuid.uuid4().hex
        try:
            found = await _read(redis, result_key)
            if found is not None:
                return found, True
            leader = await redis.set(
                lock_key, token, nx=True, px=int((options.total_timeout + 5) * 1000)
            )
        except (RedisError, OSError) as exc:
            self._redis_failed("Redis unavailable, probing without sharing", exc)
            return await self._run(probe), False
        lasted = self.backoff.succeeded()
        if lasted is not None:
            log.warning("probe cache: Redis reachable again after %.0f s; sharing resumed", lasted)
        if leader:
            try:
                observation = await self._run(probe)
                await self._publish(redis, result_key, observation, options)
            finally:
                # Also when the probe failed: the others would wait for a result that never comes.
                await self._unlock(redis, lock_key, token)
            return observation, False
        found = await self._wait_for(redis, result_key, lock_key, options.total_timeout + 5)
        if found is not None:
            return found, True
        return await self._run(probe), False

    async def _publish(
        self, redis: Redis, result_key: str, observation: Observation, options: ProbeOptions
    ) -> None:
        ttl = _ttl(observation, options)
        if ttl <= 0:
            return
        try:
            await redis.set(result_key, observation.to_json(), px=int(ttl * 1000))
        except (RedisError, OSError) as exc:
            self._redis_failed("could not share a result through Redis", exc)

    async def _unlock(self, redis: Redis, lock_key: str, token: str) -> None:
        # Only our own lock: after a slow probe outlived it, the lock may be another replica's.
        try:
            await redis.eval(_RELEASE_OWN_LOCK, 1, lock_key, token)
        except (RedisError, OSError) as exc:
            self._redis_failed("could not release a probe lock in Redis", exc)

    async def _wait_for(
        self, redis: Redis, result_key: str, lock_key: str, budget: float
    ) -> Observation | None:
        """Poll for another replica's result until it appears, its lock goes, or time is up."""
        deadline = time.monotonic() + budget
        while time.monotonic() < deadline:
            await asyncio.sleep(POLL_INTERVAL)
            try:
                found = await _read(redis, result_key)
                if found is not None:
                    return found
                if not await redis.exists(lock_key):
                    # The other replica finished without sharing (or died): probe ourselves.
                    return await _read(redis, result_key)
            except (RedisError, OSError) as exc:
                self._redis_failed("Redis went away while waiting", exc)
                return None
        return None

    def _redis_failed(self, what: str, exc: Exception) -> None:
        # Logged once per outage: while it lasts, probes do not call Redis (self.backoff).
        if self.backoff.failed():
            log.warning("probe cache: %s: %s", what, exc)


async def _read(redis: Redis, key: str) -> Observation | None:
    raw = await redis.get(key)
    if raw is None:
        return None
    try:
        return Observation.from_json(raw)
    except ValueError:
        log.warning("probe cache: ignoring an unreadable cached result at %s", key)
        return None


def _ttl(observation: Observation, options: ProbeOptions) -> float:
    if observation.outcome == "ok":
        return options.cache_ok_seconds
    return options.cache_failure_seconds
