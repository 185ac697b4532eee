"""The store's owned locks, sets, string hashes and deletes: the same in Redis and memory,
and served from memory while Redis is down."""

from __future__ import annotations

from bot.store import FailoverStore, MemoryStore, RedisStore, Store
from tests.support.clock import FakeClock
from tests.support.redis_server import RedisServer


async def test_an_owned_lock_is_released_only_by_its_owner(store: Store) -> None:
    assert await store.acquire("t:lock", "a", 60) is True
    assert await store.acquire("t:lock", "b", 60) is False
    assert await store.release_owned("t:lock", "b") is False
    assert await store.get("t:lock") == "a"
    assert await store.release_owned("t:lock", "a") is True
    assert await store.acquire("t:lock", "b", 60) is True


async def test_sets_count_new_members(store: Store) -> None:
    assert await store.add_members("t:set", ["C1", "C2"], 60) == 2
    assert await store.add_members("t:set", ["C2", "C3"], 60) == 1
    assert await store.add_members("t:set", [], 60) == 0
    assert await store.members("t:set") == {"C1", "C2", "C3"}
    assert await store.members("t:none") == set()


async def test_string_hashes_merge_fields(store: Store) -> None:
    await store.put_fields("t:facts", {"first": "1.5", "last": "1.5"}, 60)
    await store.put_fields("t:facts", {"last": "9.25"}, 60)
    assert await store.fields("t:facts") == {"first": "1.5", "last": "9.25"}
    assert await store.fields("t:none") == {}


async def test_delete_removes_every_kind(store: Store) -> None:
    await store.put("t:a", "1", 60)
    await store.add_members("t:b", ["x"], 60)
    await store.put_fields("t:c", {"f": "v"}, 60)
    await store.hincr("t:d", "f", 60)
    await store.delete(["t:a", "t:b", "t:c", "t:d", "t:missing"])
    assert await store.get("t:a") is None
    assert await store.members("t:b") == set()
    assert await store.fields("t:c") == {}
    assert await store.hgetall(["t:d"]) == [{}]


async def test_memory_expiry_of_sets_and_hashes() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    await store.add_members("t:set", ["a"], 10)
    await store.put_fields("t:facts", {"f": "v"}, 10)
    clock.now += 11
    assert await store.members("t:set") == set()
    assert await store.fields("t:facts") == {}


async def test_failover_serves_locks_and_sets_from_memory_while_redis_is_down(
    clean_redis: RedisServer,
) -> None:
    store = FailoverStore(RedisStore(clean_redis.url))
    try:
        assert await store.acquire("t:lock", "a", 60)
        clean_redis.stop()
        assert await store.acquire("t:lock2", "a", 60) is True
        assert await store.acquire("t:lock2", "b", 60) is False
        assert await store.add_members("t:set", ["x"], 60) == 1
        assert await store.members("t:set") == {"x"}
        assert store.degraded
    finally:
        await store.aclose()
