"""The in-process store: one instance's memory, with TTLs and a size bound.

Serves a single bot instance when no Redis is configured, and stands in for Redis while Redis
is down. Expired keys are dropped as new ones arrive, and the number of keys is capped (oldest
dropped first) so memory stays flat under load.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from bot.store.base import Store

DEFAULT_MAX_KEYS = 200_000


class _Fields(dict[str, str]):
    """A hash of strings (``put_fields``), told apart from a hash of counters (``hincr``)."""


@dataclass(slots=True)
class _Item:
    value: str | int | dict[str, int] | _Fields | set[str]
    expires: float | None


class MemoryStore(Store):
    """A Store in a dict; ``clock`` is injectable for tests of expiry."""

    def __init__(
        self, *, max_keys: int = DEFAULT_MAX_KEYS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._items: dict[str, _Item] = {}
        self._expiries: list[tuple[float, str]] = []
        self._max_keys = max_keys
        self._clock = clock

    def __len__(self) -> int:
        return len(self._items)

    def _live(self, key: str) -> _Item | None:
        item = self._items.get(key)
        if item is not None and item.expires is not None and item.expires <= self._clock():
            del self._items[key]
            return None
        return item

    def _set(self, key: str, item: _Item) -> None:
        self._prune()
        self._items.pop(key, None)  # re-insert so dict order tracks recency for eviction
        self._items[key] = item
        if item.expires is not None:
            heapq.heappush(self._expiries, (item.expires, key))
        while len(self._items) > self._max_keys:
            del self._items[next(iter(self._items))]

    def _prune(self) -> None:
        now = self._clock()
        while self._expiries and self._expiries[0][0] <= now:
            expires, key = heapq.heappop(self._expiries)
            item = self._items.get(key)
            # The heap may hold stale entries for keys since re-set with a later expiry.
            if item is not None and item.expires == expires:
                del self._items[key]
        if len(self._expiries) > 2 * self._max_keys:
            self._expiries = [(e, k) for e, k in self._expiries
                              if (i := self._items.get(k)) is not None and i.expires == e]
            heapq.heapify(self._expiries)

    def _expiry(self, ttl: int | None) -> float | None:
        return None if ttl is None else self._clock() + ttl

    async def claim(self, key: str, ttl: int) -> bool:
        if self._live(key) is not None:
            return False
        self._set(key, _Item("1", self._expiry(ttl)))
        return True

    async def release(self, key: str) -> None:
        self._items.pop(key, None)

    async def get(self, key: str) -> str | None:
        item = self._live(key)
        # A counter reads as its number, as Redis's GET answers it.
        return None if item is None or isinstance(item.value, dict) else str(item.value)

    async def put(self, key: str, value: str, ttl: int) -> None:
        self._set(key, _Item(value, self._expiry(ttl)))

    async def incr(self, key: str, ttl: int | None = None) -> int:
        item = self._live(key)
        if item is None or not isinstance(item.value, int):
            self._set(key, _Item(1, self._expiry(ttl)))
            return 1
        item.value += 1
        return item.value

    async def hincr(self, key: str, field: str, ttl: int | None = None) -> None:
        item = self._live(key)
        counts = _counts(item)
        if item is None or counts is None:
            counts = {}
            item = _Item(counts, None)
        counts[field] = counts.get(field, 0) + 1
        item.expires = self._expiry(ttl)
        self._set(key, item)

    async def hgetall(self, keys: Sequence[str]) -> list[dict[str, int]]:
        result = []
        for key in keys:
            result.append(dict(_counts(self._live(key)) or {}))
        return result

    async def acquire(self, key: str, owner: str, ttl: int) -> bool:
        if self._live(key) is not None:
            return False
        self._set(key, _Item(owner, self._expiry(ttl)))
        return True

    async def release_owned(self, key: str, owner: str) -> bool:
        item = self._live(key)
        if item is None or item.value != owner:
            return False
        del self._items[key]
        return True

    async def add_members(self, key: str, members: Sequence[str], ttl: int) -> int:
        item = self._live(key)
        current: set[str] = item.value if item and isinstance(item.value, set) else set()
        new = len(set(members) - current)
        self._set(key, _Item(current | set(members), self._expiry(ttl)))
        return new

    async def members(self, key: str) -> set[str]:
        item = self._live(key)
        return set(item.value) if item and isinstance(item.value, set) else set()

    async def put_fields(self, key: str, fields: Mapping[str, str], ttl: int) -> None:
        item = self._live(key)
        current = item.value if item and isinstance(item.value, _Fields) else _Fields()
        self._set(key, _Item(_Fields({**current, **fields}), self._expiry(ttl)))

    async def fields(self, key: str) -> dict[str, str]:
        item = self._live(key)
        return dict(item.value) if item and isinstance(item.value, _Fields) else {}

    async def delete(self, keys: Sequence[str]) -> None:
        for key in keys:
            self._items.pop(key, None)

    async def ping(self) -> bool:
        return True


def _counts(item: _Item | None) -> dict[str, int] | None:
    value = None if item is None else item.value
    return value if isinstance(value, dict) and not isinstance(value, _Fields) else None
