"""A Redis that accepts connections and never answers: the probe's cache and rate limit wait
out one timeout, then leave Redis alone (as the store does) instead of waiting on every probe."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from bot.probe import Requester, probe_image
from bot.settings import Settings
from bot.slack.app import build_prober
from bot.store import open_store
from knowledge.reference import parse_reference
from tests.bot.probe.conftest import MakeConfig, Scripted
from tests.bot.probe.test_cache import listing
from tests.support.probe_servers import open_registry


@dataclass
class HangingRedis:
    """A loopback TCP server that reads everything and never replies."""

    server: asyncio.Server
    connections: int = 0
    writers: list[asyncio.StreamWriter] = field(default_factory=list)

    @property
    def url(self) -> str:
        host, port = self.server.sockets[0].getsockname()[:2]
        return f"redis://{host}:{port}/0"


@pytest.fixture
async def hanging_redis() -> AsyncIterator[HangingRedis]:
    hanging: HangingRedis

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        hanging.connections += 1
        hanging.writers.append(writer)
        while await reader.read(4096):
            pass

    hanging = HangingRedis(await asyncio.start_server(swallow, "127.0.0.1", 0))
    yield hanging
    for writer in hanging.writers:
        writer.close()
    hanging.server.close()


async def test_a_hanging_redis_costs_one_timeout_not_one_per_probe(
    hanging_redis: HangingRedis, scripted: Scripted, make_config: MakeConfig
) -> None:
    server = scripted(open_registry({}))
    config = make_config(listing(server))
    # Wired as the bot wires it: the store's connect and command timeouts, REDIS_URL's Redis.
    store = open_store(hanging_redis.url, "rw-test")
    prober = build_prober(Settings(redis_url=hanging_redis.url, redis_prefix="rw-test"), config,
                          store)
    assert prober.cache.store is store
    try:
        results = []
        for tag in ("a", "b", "c", "d", "e"):
            image = parse_reference(f"{server.host}/demo/hello:{tag}")
            results.append(await probe_image(image, config=config, cache=prober.cache,
                                             requester=Requester("U1", "C1")))
    finally:
        await store.aclose()
    # Every probe ran, counted locally and unshared ...
    assert [r.outcome for r in results] == ["repository-not-found"] * 5
    assert all(r.refused is None for r in results)
    # ... and only the first one asked Redis (one connection, which timed out); before, every
    # probe asked twice (rate limit, then cache), each waiting out the command timeout.
    assert hanging_redis.connections == 1
