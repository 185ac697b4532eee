"""Where the bot keeps its shared state: Redis when configured, this process otherwise.

``open_store(redis_url, prefix)`` picks the implementation; everything else talks to the Store
interface. Only ``bot.store.redis_store`` talks to Redis.
"""

from __future__ import annotations

from bot.store.base import Store, StoreUnavailable
from bot.store.failover import FailoverStore
from bot.store.keys import Keys
from bot.store.memory import MemoryStore
from bot.store.redis_store import RedisStore

__all__ = [
    "FailoverStore",
    "Keys",
    "MemoryStore",
    "RedisStore",
    "Store",
    "StoreUnavailable",
    "open_store",
]


def open_store(redis_url: str | None, prefix: str) -> Store:
    """Redis (with a local fallback for outages) when ``redis_url`` is set, else memory."""
    if redis_url is None:
        return MemoryStore()
    return FailoverStore(RedisStore(redis_url, ready_key=Keys(prefix).ready()))
