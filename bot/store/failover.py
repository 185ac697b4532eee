"""Redis with a local fallback: keep answering when Redis goes down, recover when it returns.

While Redis is unreachable every operation is served from this instance's memory (so retries
are still de-duplicated within the instance, but not across replicas); while it is reachable,
memory holds only what was claimed during an outage, so it stays small. The outage is logged
once, Redis is tried again at most every ``retry_interval`` seconds, and its return is logged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TypeVar

from bot.backoff import RETRY_INTERVAL, Backoff
from bot.store.base import Store, StoreUnavailable
from bot.store.memory import MemoryStore

log = logging.getLogger(__name__)

T = TypeVar("T")


class FailoverStore(Store):
    """A primary store (Redis) backed by a local MemoryStore."""

    def __init__(
        self,
        primary: Store,
        *,
        local: MemoryStore | None = None,
        retry_interval: float = RETRY_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.primary = primary
        self.local = local if local is not None else MemoryStore()
        self._backoff = Backoff(retry_interval=retry_interval, clock=clock)

    @property
    def degraded(self) -> bool:
        """Whether answers currently come from local memory only."""
        return self._backoff.down_since is not None

    async def _either(
        self, primary: Callable[[], Awaitable[T]], local: Callable[[], Awaitable[T]]
    ) -> T:
        if not self._backoff.available():
            return await local()
        try:
            result = await primary()
        except StoreUnavailable as exc:
            if self._backoff.failed():
                log.warning("%s; answering from this instance's memory, without cross-replica "
                            "de-duplication, until it is back", exc)
            return await local()
        self._came_back()
        return result

    def _came_back(self) -> None:
        lasted = self._backoff.succeeded()
        if lasted is not None:
            log.warning("Redis is reachable again after %.0f s; shared de-duplication resumed",
                        lasted)

    async def claim(self, key: str, ttl: int) -> bool:
        # A key claimed here during an outage is not in Redis once it returns: check memory
        # first, so a late retry of an event answered during the outage is still refused.
        if await self.local.get(key) is not None:
            return False
        return await self._either(lambda: self.primary.claim(key, ttl),
                                  lambda: self.local.claim(key, ttl))

    async def release(self, key: str) -> None:
        await self.local.release(key)  # it may have been claimed here during an outage
        await self._either(lambda: self.primary.release(key), lambda: self.local.release(key))

    async def get(self, key: str) -> str | None:
        return await self._either(lambda: self.primary.get(key), lambda: self.local.get(key))

    async def put(self, key: str, value: str, ttl: int) -> None:
        await self._either(lambda: self.primary.put(key, value, ttl),
                           lambda: self.local.put(key, value, ttl))

    async def incr(self, key: str, ttl: int | None = None) -> int:
        return await self._either(lambda: self.primary.incr(key, ttl),
                                  lambda: self.local.incr(key, ttl))

    async def hincr(self, key: str, field: str, ttl: int | None = None) -> None:
        await self._either(lambda: self.primary.hincr(key, field, ttl),
                           lambda: self.local.hincr(key, field, ttl))

    async def hgetall(self, keys: Sequence[str]) -> list[dict[str, int]]:
        return await self._either(lambda: self.primary.hgetall(keys),
                                  lambda: self.local.hgetall(keys))

    async def acquire(self, key: str, owner: str, ttl: int) -> bool:
        if await self.local.get(key) is not None:
            return False
        return await self._either(lambda: self.primary.acquire(key, owner, ttl),
                                  lambda: self.local.acquire(key, owner, ttl))

    async def release_owned(self, key: str, owner: str) -> bool:
        if await self.local.release_owned(key, owner):
            return True
        return await self._either(lambda: self.primary.release_owned(key, owner),
                                  lambda: self.local.release_owned(key, owner))

    async def add_members(self, key: str, members: Sequence[str], ttl: int) -> int:
        return await self._either(lambda: self.primary.add_members(key, members, ttl),
                                  lambda: self.local.add_members(key, members, ttl))

    async def members(self, key: str) -> set[str]:
        return await self._either(lambda: self.primary.members(key),
                                  lambda: self.local.members(key))

    async def put_fields(self, key: str, fields: Mapping[str, str], ttl: int) -> None:
        await self._either(lambda: self.primary.put_fields(key, fields, ttl),
                           lambda: self.local.put_fields(key, fields, ttl))

    async def fields(self, key: str) -> dict[str, str]:
        return await self._either(lambda: self.primary.fields(key),
                                  lambda: self.local.fields(key))

    async def delete(self, keys: Sequence[str]) -> None:
        await self.local.delete(keys)
        await self._either(lambda: self.primary.delete(keys), lambda: self.local.delete(keys))

    async def ping(self) -> bool:
        up = await self.primary.ping()
        if up:
            self._came_back()
        return up

    async def aclose(self) -> None:
        await self.primary.aclose()
