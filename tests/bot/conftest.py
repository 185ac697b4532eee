"""The store under test, once in memory and once in a real redis-server, for every store test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.store import MemoryStore, RedisStore, Store
from tests.support.redis_server import RedisServer


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[Store]:
    if request.param == "memory":
        yield MemoryStore()
        return
    server: RedisServer = request.getfixturevalue("clean_redis")
    redis = RedisStore(server.url)
    try:
        yield redis
    finally:
        await redis.aclose()
