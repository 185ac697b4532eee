"""How many probes run at once (in total, per registry, per person) and how often one may ask.

Caps queue a probe rather than fail it; the per-user rate limit refuses, because a stream of
probes from one person is how a registry gets enumerated through the bot. With Redis the rate
is counted across replicas; without it (or while it is down, backing off as ``bot.backoff``
says) each process counts alone.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.backoff import Backoff
from bot.probe.config import ProbeOptions

log = logging.getLogger(__name__)

WINDOW_SECONDS = 3600


class _KeyedSlots:
    """A semaphore per key, created on demand and dropped when nobody holds or waits on it."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._slots: dict[str, tuple[asyncio.Semaphore, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        semaphore, users = self._slots.get(key, (asyncio.Semaphore(self._size), 0))
        self._slots[key] = (semaphore, users + 1)
        try:
            async with semaphore:
                yield
        finally:
            semaphore, users = self._slots[key]
            if users <= 1:
                del self._slots[key]
            else:
                self._slots[key] = (semaphore, users - 1)


class ProbeLimiter:
    """Concurrency caps and the per-user rate limit for one process (shared with Redis)."""

    def __init__(self, options: ProbeOptions, redis: Redis | None, prefix: str,
                 backoff: Backoff | None = None) -> None:
        self._global = asyncio.Semaphore(options.max_concurrent)
        self._hosts = _KeyedSlots(options.max_per_host)
        self._users = _KeyedSlots(options.max_per_user)
        self._rate = options.user_probes_per_hour
        self._redis = redis
        self._backoff = backoff or Backoff()
        self._prefix = prefix
        self._recent: dict[str, deque[float]] = {}

    @asynccontextmanager
    async def slot(self, host: str, user: str | None) -> AsyncIterator[None]:
        """Wait for a free slot for ``user`` (if any), then for ``host``, then globally."""
        async with AsyncExitStack() as stack:
            if user is not None:
                await stack.enter_async_context(self._users.hold(user))
            await stack.enter_async_context(self._hosts.hold(host))
            await stack.enter_async_context(self._global)
            yield

    async def admit(self, user: str) -> float | None:
        """Count one probe request by ``user``; None if allowed, else seconds until allowed."""
        if self._redis is not None and self._backoff.available():
            try:
                wait = await self._admit_shared(self._redis, user)
            except (RedisError, OSError) as exc:
                if self._backoff.failed():
                    log.warning("probe rate limit: Redis unavailable, counting locally: %s", exc)
            else:
                lasted = self._backoff.succeeded()
                if lasted is not None:
                    log.warning("probe rate limit: Redis reachable again after %.0f s; counting "
                                "across replicas again", lasted)
                return wait
        return self._admit_local(user)

    async def _admit_shared(self, redis: Redis, user: str) -> float | None:
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        key = f"{self._prefix}:probe-rate:{user}:{window}"
        count = await redis.incr(key)
        if count == 1:
            await redis.expire(key, WINDOW_SECONDS + 60)
        if count > self._rate:
            return (window + 1) * WINDOW_SECONDS - now
        return None

    def _admit_local(self, user: str) -> float | None:
        now = time.monotonic()
        recent = self._recent.setdefault(user, deque())
        while recent and recent[0] <= now - WINDOW_SECONDS:
            recent.popleft()
        if len(recent) >= self._rate:
            return recent[0] + WINDOW_SECONDS - now
        recent.append(now)
        return None
