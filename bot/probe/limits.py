"""How many probes run at once (in total, per registry, per person) and how often one may ask.

Caps queue a probe rather than fail it; the per-user rate limit refuses, because a stream of
probes from one person is how a registry gets enumerated through the bot. The rate is counted
in the shared store, so across replicas with Redis; while Redis is down (the store's failover),
or without a shared store, each process counts alone.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from bot.probe.profiles import ProbeOptions
from bot.store.base import Store, StoreUnavailable
from bot.store.keys import Keys
from bot.store.memory import MemoryStore

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
    """Concurrency caps for one process and the per-user rate limit (in the shared store)."""

    def __init__(self, options: ProbeOptions, store: Store | None, keys: Keys) -> None:
        self._global = asyncio.Semaphore(options.max_concurrent)
        self._hosts = _KeyedSlots(options.max_per_host)
        self._users = _KeyedSlots(options.max_per_user)
        self._rate = options.user_probes_per_hour
        self._store = store if store is not None else MemoryStore()
        self._local = MemoryStore()
        self._keys = keys

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
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        key = self._keys.probe_rate(user, window)
        try:
            count = await self._store.incr(key, WINDOW_SECONDS + 60)
        except StoreUnavailable as exc:
            log.info("probe rate limit: counting in this process: %s", exc)
            count = await self._local.incr(key, WINDOW_SECONDS + 60)
        if count > self._rate:
            return (window + 1) * WINDOW_SECONDS - now
        return None
