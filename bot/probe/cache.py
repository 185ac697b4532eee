"""Probe results shared between askers: cached briefly, and identical probes run once.

Thirty people pasting the same incident error should cause one probe, across replicas. A
result is kept per (host, repository, reference, credential tier): minutes when the image was
pullable, seconds otherwise (a failure should be re-checked soon). In one process, identical
probes in flight wait for the first. Across replicas, the shared store holds the results and
an owned lock: the replica that takes the lock probes, the others poll for its result for a
bounded time. The store being down never stops a probe: it only loses the sharing (the store's
own failover and back-off mean a Redis that hangs costs one timeout, not one per probe).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.probe.limits import ProbeLimiter
from bot.probe.observation import Observation, Tier
from bot.probe.profiles import ProbeOptions
from bot.probe.states import OK
from bot.store.base import Store, StoreUnavailable
from bot.store.keys import Keys

log = logging.getLogger(__name__)

POLL_INTERVAL = 0.05
"""Seconds between looks at the shared store while another replica probes."""


@dataclass(frozen=True, slots=True)
class ProbeKey:
    """What makes two probes identical."""

    host: str
    repository: str
    reference: str
    tier: Tier

    @property
    def name(self) -> str:
        """``<host>:<repository>:<reference>:<tier>:<hash of the four>``, for the store's key.

        The readable part alone is ambiguous (ports and digests hold colons:
        ``localhost:5000/sha256:<hex>`` and ``localhost/5000@sha256:<hex>`` read the same), and
        one image's credentialed result must never be served for another's: the hash of the
        exact parts keeps the keys apart.
        """
        parts = [self.host, self.repository, self.reference, self.tier]
        exact = hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:32]
        return f"{':'.join(parts)}:{exact}"


class ProbeCache:
    """Cached observations, in-flight coalescing, and the limiter probes share.

    Create one per process (per event loop) and pass it to every ``probe_image`` call;
    ``store`` (shared between replicas) is optional.
    """

    def __init__(self, store: Store | None = None, *, keys: Keys | None = None) -> None:
        self.store = store
        self.keys = keys or Keys("registry-why")
        self._local: dict[ProbeKey, tuple[Observation, float]] = {}
        self._inflight: dict[ProbeKey, asyncio.Future[Observation]] = {}
        self._limiter: ProbeLimiter | None = None

    def limiter(self, options: ProbeOptions) -> ProbeLimiter:
        """The process-wide limiter (built on first use from ``options``)."""
        if self._limiter is None:
            self._limiter = ProbeLimiter(options, self.store, self.keys)
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

    async def _resolve(
        self,
        key: ProbeKey,
        probe: Callable[[], Awaitable[Observation]],
        options: ProbeOptions,
    ) -> tuple[Observation, bool]:
        if self.store is None:
            return await probe(), False
        store = self.store
        result_key = self.keys.probe_result(key.name)
        lock_key = self.keys.probe_lock(key.name)
        token = uuid.uuid4().hex
        try:
            found = await self._read(store, result_key)
            if found is not None:
                return found, True
            leader = await store.acquire(lock_key, token, math.ceil(options.total_timeout + 5))
        except StoreUnavailable as exc:
            log.info("probe cache: probing without sharing: %s", exc)
            return await probe(), False
        if leader:
            try:
                observation = await probe()
                await self._publish(store, result_key, observation, options)
            finally:
                # Also when the probe failed: the others would wait for a result that never comes.
                await self._unlock(store, lock_key, token)
            return observation, False
        found = await self._wait_for(store, result_key, lock_key, options.total_timeout + 5)
        if found is not None:
            return found, True
        return await probe(), False

    async def _publish(
        self, store: Store, result_key: str, observation: Observation, options: ProbeOptions
    ) -> None:
        ttl = _ttl(observation, options)
        if ttl <= 0:
            return
        try:
            await store.put(result_key, observation.to_json(), math.ceil(ttl))
        except StoreUnavailable as exc:
            log.info("probe cache: could not share a result: %s", exc)

    async def _unlock(self, store: Store, lock_key: str, token: str) -> None:
        # Only our own lock: after a slow probe outlived it, the lock may be another replica's.
        try:
            await store.release_owned(lock_key, token)
        except StoreUnavailable as exc:
            log.info("probe cache: could not release a probe lock: %s", exc)

    async def _wait_for(
        self, store: Store, result_key: str, lock_key: str, budget: float
    ) -> Observation | None:
        """Poll for another replica's result until it appears, its lock goes, or time is up."""
        deadline = time.monotonic() + budget
        while time.monotonic() < deadline:
            await asyncio.sleep(POLL_INTERVAL)
            try:
                found = await self._read(store, result_key)
                if found is not None:
                    return found
                if await store.get(lock_key) is None:
                    # The other replica finished without sharing (or died): probe ourselves.
                    return await self._read(store, result_key)
            except StoreUnavailable as exc:
                log.info("probe cache: the store went away while waiting: %s", exc)
                return None
        return None

    @staticmethod
    async def _read(store: Store, key: str) -> Observation | None:
        raw = await store.get(key)
        if raw is None:
            return None
        try:
            return Observation.from_json(raw)
        except ValueError:
            log.warning("probe cache: ignoring an unreadable cached result at %s", key)
            return None


def limiter_of(cache: ProbeCache | None, options: ProbeOptions) -> ProbeLimiter:
    """The limiter a probe runs under: the process-wide one of its cache, or, for a one-off
    probe with no cache (the CLI), one of its own."""
    if cache is not None:
        return cache.limiter(options)
    return ProbeLimiter(options, None, Keys("registry-why"))


async def observe_through(
    cache: ProbeCache | None,
    key: ProbeKey,
    probe: Callable[[], Awaitable[Observation]],
    options: ProbeOptions,
) -> tuple[Observation, bool]:
    """The observation for ``key`` and whether it came from someone else's probe: through the
    cache, or, for a one-off probe with no cache (the CLI), by probing now."""
    if cache is None:
        return await probe(), False
    return await cache.get_or_probe(key, probe, options=options)


def _ttl(observation: Observation, options: ProbeOptions) -> float:
    if observation.outcome == OK:
        return options.cache_ok_seconds
    return options.cache_failure_seconds
