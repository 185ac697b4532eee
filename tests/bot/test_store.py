"""The store: the same behaviour from Redis and from memory; Redis outages degrade, then heal."""

from __future__ import annotations

import logging

import pytest

from bot.store import FailoverStore, MemoryStore, RedisStore, Store
from tests.support.clock import FakeClock
from tests.support.redis_server import RedisServer


async def test_claim_is_true_once(store: Store) -> None:
    assert await store.claim("t:event:Ev1", 60) is True
    assert await store.claim("t:event:Ev1", 60) is False
    assert await store.claim("t:event:Ev2", 60) is True


async def test_put_get(store: Store) -> None:
    assert await store.get("t:k") is None
    await store.put("t:k", "1700000000.000100", 60)
    assert await store.get("t:k") == "1700000000.000100"


async def test_incr_counts_within_one_window(store: Store) -> None:
    assert [await store.incr("t:repeat", 60) for _ in range(3)] == [1, 2, 3]


async def test_hash_counters(store: Store) -> None:
    for field in ("a", "b", "a"):
        await store.hincr("t:h1", field, 60)
    await store.hincr("t:h2", "c")
    assert await store.hgetall(["t:h1", "t:h2", "t:missing"]) == [{"a": 2, "b": 1}, {"c": 1}, {}]


async def test_ping(store: Store) -> None:
    assert await store.ping() is True


async def test_redis_keys_get_the_ttls_asked_for(clean_redis: RedisServer) -> None:
    store = RedisStore(clean_redis.url)
    try:
        await store.claim("t:event:Ev1", 3600)
        await store.incr("t:repeat", 1800)
        await store.incr("t:repeat", 1800)
        await store.hincr("t:stats", "x", 90000)
        await store.hincr("t:feedback", "x")
    finally:
        await store.aclose()
    assert 3590 < clean_redis.ttl("t:event:Ev1") <= 3600
    assert 1790 < clean_redis.ttl("t:repeat") <= 1800  # the window is not extended by hits
    assert 89990 < clean_redis.ttl("t:stats") <= 90000
    assert clean_redis.ttl("t:feedback") == -1  # lasting counter


async def test_memory_entries_expire() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    await store.claim("t:a", 10)
    await store.incr("t:n", 10)
    await store.put("t:v", "x", 10)
    clock.now += 10
    assert await store.claim("t:a", 10) is True
    assert await store.incr("t:n", 10) == 1
    assert await store.get("t:v") is None


async def test_memory_stays_bounded() -> None:
    clock = FakeClock()
    store = MemoryStore(max_keys=100, clock=clock)
    for n in range(1000):
        await store.claim(f"t:event:{n}", 3600)
    assert len(store) == 100
    assert await store.claim("t:event:999", 3600) is False  # the newest are kept
    clock.now += 3600
    await store.claim("t:event:new", 3600)  # expired keys are dropped as new ones arrive
    assert len(store) == 1


async def test_failover_degrades_once_and_recovers(
    clean_redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.store.failover")
    clock = FakeClock()
    store = FailoverStore(RedisStore(clean_redis.url), retry_interval=5, clock=clock)
    try:
        assert await store.claim("t:event:before", 60) is True
        clean_redis.stop()

        # Down: answers come from memory, and the outage is logged once.
        assert await store.claim("t:event:during", 60) is True
        assert await store.claim("t:event:during", 60) is False
        assert await store.incr("t:n", 60) == 1
        assert await store.ping() is False
        assert store.degraded
        clock.now += 6
        assert await store.claim("t:event:during2", 60) is True  # retried Redis, still down
        outage_logs = [r for r in caplog.records if "unreachable" in r.getMessage()]
        assert len(outage_logs) == 1
        assert clean_redis.url.split("//")[1].split("/")[0] in outage_logs[0].getMessage()

        clean_redis.start()
        clock.now += 6
        assert await store.claim("t:event:after", 60) is True
        assert not store.degraded
        assert "t:event:after" in clean_redis.key_names()
        # A claim made locally during the outage still holds after recovery.
        assert await store.claim("t:event:during", 60) is False
        assert any("reachable again" in r.getMessage() for r in caplog.records)
    finally:
        await store.aclose()


async def test_failover_shares_claims_between_instances(clean_redis: RedisServer) -> None:
    first = FailoverStore(RedisStore(clean_redis.url))
    second = FailoverStore(RedisStore(clean_redis.url))
    try:
        assert await first.claim("t:seen:C1:1.1", 60) is True
        assert await second.claim("t:seen:C1:1.1", 60) is False
        await first.put("t:v", "x", 60)
        assert await second.get("t:v") == "x"
        assert len(first.local) == len(second.local) == 0  # memory is for outages only
    finally:
        await first.aclose()
        await second.aclose()
