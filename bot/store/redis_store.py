"""The Redis store (``redis.asyncio``): shared by every replica behind one Redis.

Each operation is one round trip (a pipeline where two commands must go together). Every Redis
failure surfaces as StoreUnavailable so the caller can degrade instead of failing: not only lost
connections and timeouts, but also error replies such as READONLY (a replica after a failover),
OOM, NOPERM or MISCONF, which leave Redis up yet unable to keep the bot's state. Timeouts are
short because every answer waits on them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from bot.store.base import Store, StoreUnavailable

CONNECT_TIMEOUT = 1.0
COMMAND_TIMEOUT = 1.0
MAX_CONNECTIONS = 256
"""Connections one replica opens to Redis at most."""
READY_TTL = 10
"""Seconds the readiness marker lives: it only proves that a write was accepted."""
_OUTAGE_ERRORS = (RedisError, OSError)
_RELEASE_OWNED = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
"""Deletes a lock only for the owner that took it (a lock that expired and was taken by
another replica must not be dropped by the first one's late release)."""


def describe_url(url: str) -> str:
    """The URL without its password, fit for logs."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return f"unix://{parts.path}"
    return f"{parts.scheme}://{parts.hostname}:{parts.port or 6379}{parts.path}"


class RedisStore(Store):
    """A Store on one Redis database."""

    def __init__(self, url: str, *, ready_key: str = "registry-why:ready") -> None:
        self.where = describe_url(url)
        self._ready_key = ready_key
        # One quick retry covers a pooled connection that died with a restarted server;
        # more (with backoff) would only delay the fallback while Redis is really down, and
        # a timeout is not retried: a Redis that hangs should cost one timeout, not two.
        # A burst (hundreds of pastes at once) needs more connections than the pool holds:
        # callers wait for a free one (up to a command's timeout) instead of failing over to
        # memory, which would lose the cross-replica guarantees for nothing.
        self._redis = Redis.from_pool(BlockingConnectionPool.from_url(
            url,
            decode_responses=True,
            socket_connect_timeout=CONNECT_TIMEOUT,
            socket_timeout=COMMAND_TIMEOUT,
            retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
            max_connections=MAX_CONNECTIONS,
            timeout=COMMAND_TIMEOUT,
        ))

    def _unavailable(self, exc: Exception) -> StoreUnavailable:
        return StoreUnavailable(f"Redis at {self.where} is unreachable or unusable: {exc}")

    async def claim(self, key: str, ttl: int) -> bool:
        try:
            return bool(await self._redis.set(key, "1", nx=True, ex=ttl))
        except _OUTAGE_ERRORS as exc:
            raise self._unavailable(exc) from exc

    async def release(self, key: str) -> None:
        try:
            await self._redis.delete(key)
        except _OUTAGE_ERRORS as exc:
            raise self._unavailable(exc) from exc

    async def get(self, key: str) -> str | None:
        try:
            value = await self._redis.get(key)
        except _OUTAGE_ERRORS as exc:
            raise self._unavailable(exc) from exc
        return None if value is None else str(value)

    async def put(self, key: str, value: str, ttl: int) -> None:
        try:
            await self._redis.set(key, value, ex=ttl)
        except _OUTAGE_ERRORS as exc:
            raise self._unavailable(exc) from exc

    async def incr(self, key: str, ttl: int | None = None) -> int:
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                if ttl is not None:
                    # SET NX EX then INCR keeps the first TTL: a fixed window from the first hit
                    # (EXPIRE NX would need Redis 7).
                    pipe.set(key, 0, nx=True, ex=ttl)
                pipe.incr(key)
                results = await pipe.execute()
        except _OUTAGE_ERRORS as exc:
            raise self._unavailable(exc) from exc
        return int(results[-1])

    async def hincr(self, key: str, field: str, ttl: int | None = None) -> None:
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hincrby(key, field, 1)
                if ttl is not None:
                    pipe.expire(key, ttl)
                await pipe.execute()
        except _OUTAGE_ERRORS as exc:
            raise self._unavailable(exc) from exc

    async def hgetall(self, keys: Sequence[str]) -> list[dict[str, int]]:
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.hgetall(key)
                results = await pipe.execute()
        except _OUTAGE_ERRORS as exc:
            raise self._unavailable(exc) from exc
        return [{str(k): int(v) for k, v in r.items()} for r in results]

    async def acquire(self, key: str, owner: str, ttl: int) -> bool:
        try:
            return bool(await self._redis.set(key, owner, nx=True, ex=ttl))
        except _OUTAGE_ERRORS as exc:
            raise self._unavailable(exc) from exc

    async def release_owned(self, key: str, owner: str) -> bool:
        try:
            return bool(await self._redis.eval(_RELEASE_OWNED, 1, key, owner))
        except _OUTAGE_ERRORS as exc:
            raise self._unavailable(exc) from exc

    async def add_members(self, key: str, members: Sequence[str], ttl: int) -> int:
        if not members:
            return 0
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.sadd(key, *members)
                pipe.expire(key, ttl)
                results = await pipe.execute()
        except _OUTAGE_ERRORS as exc:
            raise self._unavailable(exc) from exc
        return int(results[0])

    async def members(self, key: str) -> set[str]:
        try:
            return {str(m) for m in await self._redis.smembers(key)}
        except _OUTAGE_ERRORS as exc:
            raise self._unavailable(exc) from exc

    async def put_fields(self, key: str, fields: Mapping[str, str], ttl: int) -> None:
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hset(key, mapping=dict(fields.items()))
                pipe.expire(key, ttl)
                await pipe.execute()
        except _OUTAGE_ERRORS as exc:
            raise self._unavailable(exc) from exc

    async def fields(self, key: str) -> dict[str, str]:
        try:
            found = await self._redis.hgetall(key)
        except _OUTAGE_ERRORS as exc:
            raise self._unavailable(exc) from exc
        return {str(k): str(v) for k, v in found.items()}

    async def delete(self, keys: Sequence[str]) -> None:
        if not keys:
            return
        try:
            await self._redis.delete(*keys)
        except _OUTAGE_ERRORS as exc:
            raise self._unavailable(exc) from exc

    async def ping(self) -> bool:
        """Whether Redis accepts a write: a read-only replica or a full Redis answers PING
        but cannot keep the bot's state, so readiness writes a short-lived marker instead."""
        try:
            return bool(await self._redis.set(self._ready_key, "1", ex=READY_TTL))
        except _OUTAGE_ERRORS:
            return False

    async def aclose(self) -> None:
        await self._redis.aclose()
