"""Where the bot keeps its shared state: Redis when configured, this process otherwise.

``open_store(settings)`` picks the implementation; everything else talks to the Store interface.
"""

from __future__ import annotations

from bot.settings import Settings
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


def open_store(settings: Settings) -> Store:
    """Redis (with a local fallback for outages) when ``REDIS_URL`` is set, else memory."""
    if settings.redis_url is None:
        return MemoryStore()
    keys = Keys(settings.redis_prefix)
    return FailoverStore(RedisStore(settings.redis_url.get_secret_value(),
                                    ready_key=keys.ready()))
