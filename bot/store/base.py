"""The small storage interface the bot needs, whatever holds the data.

Values are short strings and integers: message timestamps, counters, markers. Never pasted
text or credentials: callers store hashes and derived facts only. Every key either has a TTL
or is a counter meant to last (feedback totals).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence

from bot.errors import RegistryWhyError


class StoreUnavailable(RegistryWhyError):
    """The backing service (Redis) cannot be reached; the message says which and why."""


class Store(ABC):
    """Key/value operations with TTLs, counters, hash counters, sets, hashes and owned locks."""

    @property
    def degraded(self) -> bool:
        """Whether this store is serving from a local fallback because its backend is down
        (only a store with a fallback ever is)."""
        return False

    @abstractmethod
    async def claim(self, key: str, ttl: int) -> bool:
        """Create ``key`` for ``ttl`` seconds unless it exists; True only for the first caller."""

    @abstractmethod
    async def release(self, key: str) -> None:
        """Delete ``key`` (a claim whose work failed), so the next caller can claim it."""

    @abstractmethod
    async def get(self, key: str) -> str | None:
        """The value of ``key``, or None when missing or expired."""

    @abstractmethod
    async def put(self, key: str, value: str, ttl: int) -> None:
        """Set ``key`` to ``value`` for ``ttl`` seconds."""

    @abstractmethod
    async def incr(self, key: str, ttl: int | None = None) -> int:
        """Add one to a counter and return it; a new counter expires after ``ttl`` seconds
        (counted from its creation, so it measures a fixed window)."""

    @abstractmethod
    async def hincr(self, key: str, field: str, ttl: int | None = None) -> None:
        """Add one to ``field`` of the hash ``key``; ``ttl`` (re)sets the hash's expiry."""

    @abstractmethod
    async def hgetall(self, keys: Sequence[str]) -> list[dict[str, int]]:
        """The integer fields of each hash in ``keys`` (empty dicts for missing ones)."""

    @abstractmethod
    async def acquire(self, key: str, owner: str, ttl: int) -> bool:
        """Take the lock ``key`` for ``owner`` for ``ttl`` seconds unless someone holds it."""

    @abstractmethod
    async def release_owned(self, key: str, owner: str) -> bool:
        """Drop the lock ``key`` only if ``owner`` still holds it (compare and delete)."""

    @abstractmethod
    async def add_members(self, key: str, members: Sequence[str], ttl: int) -> int:
        """Add ``members`` to the set ``key`` ((re)setting its expiry); how many were new."""

    @abstractmethod
    async def members(self, key: str) -> set[str]:
        """The members of the set ``key`` (empty when missing)."""

    @abstractmethod
    async def put_fields(self, key: str, fields: Mapping[str, str], ttl: int) -> None:
        """Set string ``fields`` of the hash ``key``, (re)setting its expiry."""

    @abstractmethod
    async def fields(self, key: str) -> dict[str, str]:
        """Every field of the hash ``key`` as strings (empty when missing)."""

    @abstractmethod
    async def delete(self, keys: Sequence[str]) -> None:
        """Delete ``keys`` (missing ones are ignored)."""

    @abstractmethod
    async def ping(self) -> bool:
        """Whether the backing service answers right now."""

    async def aclose(self) -> None:  # noqa: B027 (optional hook: most stores hold nothing)
        """Release connections."""
