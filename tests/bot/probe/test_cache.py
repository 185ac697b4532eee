"""Caching, coalescing (in one process and across replicas via a real Redis) and limits."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from bot.probe import ProbeCache, ProbeConfig, ProbeResult, Requester, probe_image
from bot.probe.cache import ProbeKey
from bot.probe.observation import Observation
from bot.probe.verdict import judge
from bot.store import Keys, RedisStore
from knowledge.reference import parse_reference
from tests.bot.probe.conftest import MakeConfig, Scripted
from tests.support.probe_servers import REGISTRY_HEADERS, Canned, ScriptedRegistry, open_registry
from tests.support.redis_server import RedisServer
from tests.support.registries_toml import loopback_entry
from tests.support.registry import Registries

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
KEYS = Keys("rw-test")


def shared_key(key: ProbeKey, keys: Keys = KEYS) -> str:
    return keys.probe_result(key.name)


def ran(results: list[ProbeResult]) -> int:
    """Probes actually run (not served from a cache or another's probe)."""
    return sum(not r.cached for r in results)


def options(**values: float) -> str:
    table = {
        "connect_timeout": 1.0,
        "tls_timeout": 1.0,
        "read_timeout": 2.0,
        "total_timeout": 5.0,
        **values,
    }
    return "[probe]\n" + "".join(f"{k} = {v}\n" for k, v in table.items())


def listing(server: ScriptedRegistry, **values: float) -> str:
    return options(**values) + loopback_entry(server.host)


def pings(server: ScriptedRegistry) -> int:
    return sum(1 for s in server.requests if s.path == "/v2/")


async def probe(
    config: ProbeConfig,
    image: str,
    cache: ProbeCache | None,
    requester: Requester | None = None,
) -> ProbeResult:
    return await probe_image(
        parse_reference(image), config=config, cache=cache, requester=requester
    )


@pytest.fixture
async def replicas(clean_redis: RedisServer) -> AsyncIterator[tuple[ProbeCache, ProbeCache]]:
    """Two processes' caches sharing one real Redis (each with its own connection pool)."""
    first, second = RedisStore(clean_redis.url), RedisStore(clean_redis.url)
    yield ProbeCache(first, keys=KEYS), ProbeCache(second, keys=KEYS)
    await first.aclose()
    await second.aclose()


async def test_identical_probes_in_flight_run_once(
    scripted: Scripted, make_config: MakeConfig
) -> None:
    server = scripted(open_registry({}))
    server.delay = 0.05
    config = make_config(listing(server))
    cache = ProbeCache()
    image = f"{server.host}/demo/hello:nope"
    results = await asyncio.gather(*(probe(config, image, cache) for _ in range(100)))
    assert pings(server) == 1
    assert ran(results) == 1
    assert {r.outcome for r in results} == {"repository-not-found"}
    assert sum(r.cached for r in results) == 99


async def test_success_is_kept_for_minutes_and_failure_for_seconds(
    scripted: Scripted, make_config: MakeConfig
) -> None:
    server = scripted(open_registry({}))
    config = make_config(listing(server, cache_ok_seconds=300, cache_failure_seconds=0.2))
    cache = ProbeCache()
    failing = f"{server.host}/demo/hello:nope"
    first = await probe(config, failing, cache)
    again = await probe(config, failing, cache)
    assert (first.cached, again.cached) == (False, True)
    await asyncio.sleep(0.3)
    later = await probe(config, failing, cache)
    assert not later.cached
    assert pings(server) == 2


async def test_cached_result_is_judged_for_each_asker(
    registry: Registries, real_config: ProbeConfig
) -> None:
    cache = ProbeCache()
    image = registry.plain.image("demo/hello:nope")
    confirmed = await probe_image(
        parse_reference(image), suspected="manifest-unknown", config=real_config, cache=cache
    )
    refuted = await probe_image(
        parse_reference(image), suspected="repository-not-found", config=real_config, cache=cache
    )
    assert (confirmed.verdict, confirmed.cached) == ("confirmed", False)
    assert (refuted.verdict, refuted.cached) == ("refuted", True)


async def test_the_credential_tier_is_part_of_the_key(
    registry: Registries, real_config: ProbeConfig
) -> None:
    cache = ProbeCache()
    image = registry.token.image()
    outsider = await probe(real_config, image, cache, Requester("U1", "CRANDOM"))
    insider = await probe(real_config, image, cache, Requester("U2", "CPLATFORM"))
    assert (outsider.tier, outsider.outcome) == ("anonymous", "pull-access-denied-or-missing")
    assert (insider.tier, insider.outcome, insider.cached) == ("credentialed", "ok", False)
    assert ran([outsider, insider]) == 2


async def test_replicas_share_one_probe_through_redis(
    scripted: Scripted,
    make_config: MakeConfig,
    replicas: tuple[ProbeCache, ProbeCache],
    clean_redis: RedisServer,
) -> None:
    server = scripted(open_registry({}))
    server.delay = 0.05
    config = make_config(listing(server))
    image = f"{server.host}/demo/hello:v2"
    first, second = replicas
    results = await asyncio.gather(
        *(probe(config, image, cache) for cache in (first, second) for _ in range(50))
    )
    assert pings(server) == 1
    assert ran(results) == 1
    assert {r.outcome for r in results} == {"repository-not-found"}
    [key] = clean_redis.key_names("rw-test:probe:*")
    assert key == shared_key(ProbeKey(server.host, "demo/hello", "v2", "anonymous"))
    assert key.startswith(f"rw-test:probe:{server.host}:demo/hello:v2:anonymous:")
    # A failure is kept for seconds, not minutes.
    assert 0 < clean_redis.ttl(key) <= 15


async def test_success_is_shared_for_minutes(
    scripted: Scripted,
    make_config: MakeConfig,
    replicas: tuple[ProbeCache, ProbeCache],
    clean_redis: RedisServer,
) -> None:
    manifest = Canned(200, {**REGISTRY_HEADERS, "Content-Type": DOCKER_MANIFEST})
    server = scripted(open_registry({("HEAD", "/v2/demo/hello/manifests/v1"): manifest}))
    config = make_config(listing(server))
    first, second = replicas
    image = f"{server.host}/demo/hello:v1"
    fresh = await probe(config, image, first)
    from_other = await probe(config, image, second)
    assert (fresh.outcome, fresh.cached) == ("ok", False)
    assert (from_other.outcome, from_other.cached) == ("ok", True)
    assert pings(server) == 1
    key = shared_key(ProbeKey(server.host, "demo/hello", "v1", "anonymous"))
    assert 60 < clean_redis.ttl(key) <= 300
    assert clean_redis.key_names("rw-test:probe:*:lock") == []


# Written by the release before pass states got names of their own ("rate-limited" became
# "throttled") and PassResult lost ratelimit_window: captured from its Observation.to_json.
BEFORE_THE_RENAME = (
    '{"outcome":"rate-limited","reached":true,"transport":null,"anonymous":{"tier":"anonymous",'
    '"state":"rate-limited","outcome":"rate-limited","evidence":["anonymous: HEAD manifest: 429 '
    'Too Many Requests"],"status":429,"content_type":null,"digest":null,"oci_only":null,'
    '"ratelimit_limit":100,"ratelimit_remaining":0,"ratelimit_window":21600},"credentialed":null,'
    '"withheld":false,"scheme":"https","operator_ca":false,"evidence":["GET /v2/: 401, token '
    'authentication"],"elapsed_ms":12}'
)


def test_an_observation_cached_before_the_state_rename_is_still_read() -> None:
    # Replicas share results for minutes, so a deploy meets values the previous release wrote.
    observation = Observation.from_json(BEFORE_THE_RENAME)
    assert observation.anonymous is not None
    assert observation.anonymous.state == "throttled"
    assert observation.anonymous.ratelimit_remaining == 0
    assert judge("rate-limited", observation, "docker.io")[0] == "confirmed"
    again = json.loads(observation.to_json())
    assert again["anonymous"]["state"] == "throttled"
    assert Observation.from_json(observation.to_json()) == observation


def test_an_unknown_pass_state_is_not_read() -> None:
    with pytest.raises(ValueError, match="not a cached probe observation"):
        Observation.from_json(BEFORE_THE_RENAME.replace('"state":"rate-limited"',
                                                        '"state":"on-fire"'))


def test_keys_of_different_images_never_collide() -> None:
    # Host ports and digests hold colons too: these two have the same parts, joined by ':'.
    digest = "sha256:" + "ab" * 32
    tag_on_a_port = parse_reference(f"localhost:5000/sha256:{digest[7:]}")
    digest_on_443 = parse_reference(f"localhost/5000@{digest}")
    keys = {
        shared_key(ProbeKey(image.host, image.repository, image.reference, "credentialed"),
                   Keys("rw"))
        for image in (tag_on_a_port, digest_on_443)
    }
    assert len(keys) == 2


async def test_a_probe_that_fails_unexpectedly_releases_its_lock(
    buggy_config: ProbeConfig,
    replicas: tuple[ProbeCache, ProbeCache],
    clean_redis: RedisServer,
) -> None:
    first, second = replicas
    image = "registry.corp.example/demo/hello:v1"
    failed = await probe(buggy_config, image, first)
    assert failed.outcome is None
    assert clean_redis.key_names("rw-test:probe:*") == []
    # The other replica does not wait for a lock nobody holds (total_timeout + 5 s).
    started = time.monotonic()
    again = await probe(buggy_config, image, second)
    assert (again.outcome, again.cached) == (None, False)
    assert time.monotonic() - started < 1


async def test_a_leader_never_releases_a_lock_it_no_longer_holds(
    scripted: Scripted,
    make_config: MakeConfig,
    replicas: tuple[ProbeCache, ProbeCache],
    clean_redis: RedisServer,
) -> None:
    server = scripted(open_registry({}))
    server.delay = 0.3
    config = make_config(listing(server))
    image = f"{server.host}/demo/hello:v3"
    lock = KEYS.probe_lock(ProbeKey(server.host, "demo/hello", "v3", "anonymous").name)
    other = Redis.from_url(clean_redis.url)
    leading = asyncio.create_task(probe(config, image, replicas[0]))
    await asyncio.sleep(0.1)
    # The leader's lock lapsed during a slow probe and another replica took it over.
    await other.set(lock, "another-replica")
    await leading
    assert await other.get(lock) == b"another-replica"
    await other.aclose()


async def test_redis_down_means_probing_without_sharing(
    scripted: Scripted, make_config: MakeConfig, clean_redis: RedisServer
) -> None:
    server = scripted(open_registry({}))
    client = RedisStore(clean_redis.url)
    clean_redis.stop()
    try:
        result = await probe(
            make_config(listing(server)),
            f"{server.host}/demo/hello:nope",
            ProbeCache(client),
            Requester("U1", "C1"),
        )
    finally:
        await client.aclose()
        clean_redis.start()
    assert result.outcome == "repository-not-found"
    assert result.refused is None


async def test_per_user_rate_limit_is_shared_across_replicas(
    scripted: Scripted, make_config: MakeConfig, replicas: tuple[ProbeCache, ProbeCache]
) -> None:
    server = scripted(open_registry({}))
    config = make_config(listing(server, user_probes_per_hour=3))
    first, second = replicas
    alice = Requester("UALICE", "C1")
    image = f"{server.host}/demo/hello:nope"
    allowed = [
        await probe(config, image, first, alice),
        await probe(config, image, second, alice),
        await probe(config, image, first, alice),
    ]
    assert all(r.refused is None for r in allowed)
    limited = await probe(config, image, second, alice)
    assert limited.refused is not None
    assert "try again in" in limited.refused
    other = await probe(config, image, second, Requester("UBOB", "C1"))
    assert other.refused is None


async def test_per_user_rate_limit_without_redis(
    scripted: Scripted, make_config: MakeConfig
) -> None:
    server = scripted(open_registry({}))
    config = make_config(listing(server, user_probes_per_hour=2))
    cache = ProbeCache()
    image = f"{server.host}/demo/hello:nope"
    outcomes = [
        (await probe(config, image, cache, Requester("U1"))).refused is None for _ in range(3)
    ]
    assert outcomes == [True, True, False]
    # The operator at the CLI (no requester) is not rate limited.
    assert (await probe(config, image, cache)).refused is None


async def test_per_host_cap(scripted: Scripted, make_config: MakeConfig) -> None:
    server = scripted(open_registry({}))
    server.delay = 0.05
    config = make_config(listing(server, max_per_host=2))
    cache = ProbeCache()
    results = await asyncio.gather(
        *(probe(config, f"{server.host}/demo/hello:t{n}", cache) for n in range(6))
    )
    assert ran(results) == 6
    assert server.peak == 2


async def test_per_user_cap(scripted: Scripted, make_config: MakeConfig) -> None:
    server = scripted(open_registry({}))
    server.delay = 0.05
    config = make_config(listing(server, max_per_host=4, max_per_user=1))
    cache = ProbeCache()
    same_user = Requester("U1", "C1")
    await asyncio.gather(
        *(probe(config, f"{server.host}/demo/a:t{n}", cache, same_user) for n in range(3))
    )
    assert server.peak == 1
    await asyncio.gather(
        *(
            probe(config, f"{server.host}/demo/b:t{n}", cache, Requester(f"U{n}", "C1"))
            for n in range(3)
        )
    )
    assert server.peak >= 2
