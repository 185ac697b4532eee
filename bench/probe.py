"""Probe latency against the local registries, cold and cached, and coalescing under load.

Run from the project root: .venv/bin/python -m bench.probe

It starts the test registries (docker-registry, a token server, redis-server; all on
loopback) and measures:

* baseline: a bare httpx client doing what any pull check must (``GET /v2/`` and ``HEAD`` the
  manifest) on a fresh connection, with no policy, no token and no classification;
* a cold probe of an open registry, and of the token registry with two passes;
* a cached probe (the same question again);
* 100 concurrent identical probes in one process, and split over two "replicas" sharing
  Redis, counting the probes and token requests that actually reached the registry.

Every time is also given as a ratio to the baseline measured in the same run.

The token registry's time is mostly the test token server's: it writes headers and body in two
sends, so each token answer waits ~40 ms for a delayed ACK (Nagle). Real token servers do not.
"""

from __future__ import annotations

import asyncio
import ssl
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path

import httpx
from redis.asyncio import Redis

from bot.probe import ProbeCache, ProbeConfig, ProbeResult, parse_registries, probe_image
from bot.probe.outcome import MEDIA_TYPES
from bot.store import Keys, RedisStore
from knowledge.reference import parse_reference
from tests.support.oci_layout import write_oci_layout
from tests.support.redis_server import running_redis
from tests.support.registries_toml import loopback_entry, token_entry
from tests.support.registry import Registries, start_registries

RUNS = 30
CONCURRENT = 100
KEYS = Keys("bench")


def config_for(regs: Registries) -> ProbeConfig:
    """Probe configuration for the open and the token registry."""
    text = "\n".join(
        (loopback_entry(regs.plain.host), token_entry(regs, password_env="TOKEN_PASSWORD"))
    )
    assert regs.token.password is not None
    return parse_registries(
        text, source=Path("bench.toml"), environ={"TOKEN_PASSWORD": regs.token.password}
    )


async def median_ms(call: Callable[[], Awaitable[object]], runs: int = RUNS) -> float:
    """Median wall time of ``runs`` sequential calls, in milliseconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        await call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


_CONTEXT = ssl.create_default_context()


async def baseline(regs: Registries) -> None:
    # A prebuilt TLS context, as the probe has: building one costs more than the requests.
    async with httpx.AsyncClient(trust_env=False, verify=_CONTEXT) as client:
        await client.get(f"{regs.plain.url}/v2/")
        await client.head(
            f"{regs.plain.url}/v2/demo/hello/manifests/v1",
            headers={"Accept": ", ".join(MEDIA_TYPES)},
        )


def row(label: str, ms: float, base: float, note: str = "") -> None:
    print(f"{label:<52} {ms:8.2f} ms  {ms / base:7.3g}x baseline  {note}")


async def at_once(
    regs: Registries, probes: Iterable[Awaitable[ProbeResult]]
) -> tuple[float, int, list[ProbeResult]]:
    """Run ``probes`` concurrently: the wall time in ms, the token requests they made, and
    their results."""
    before = len(regs.token_server.requests)
    start = time.perf_counter()
    results = await asyncio.gather(*probes)
    wall = (time.perf_counter() - start) * 1000
    return wall, len(regs.token_server.requests) - before, results


async def run(regs: Registries, redis_url: str) -> None:
    config = config_for(regs)
    plain = parse_reference(regs.plain.image())
    token = parse_reference(regs.token.image())
    # No requester: the operator at the CLI may use the credential and has no rate limit.

    await baseline(regs)  # warm up imports, TLS contexts and the registries' caches
    await probe_image(token, config=config)

    base = await median_ms(lambda: baseline(regs))
    row("baseline: bare GET /v2/ + HEAD (fresh connection)", base, base)

    cold_plain = await median_ms(lambda: probe_image(plain, config=config))
    row("cold probe, open registry", cold_plain, base, "(no cache)")
    cold_token = await median_ms(lambda: probe_image(token, config=config))
    row("cold probe, token registry, two passes", cold_token, base, "(no cache)")

    cache = ProbeCache()
    await probe_image(plain, config=config, cache=cache)
    cached = await median_ms(lambda: probe_image(plain, config=config, cache=cache))
    row("cached probe (in process)", cached, base, f"{cold_plain / cached:.0f}x faster than cold")

    client = RedisStore(redis_url)
    shared = ProbeCache(client, keys=KEYS)
    await probe_image(plain, config=config, cache=shared)
    via_redis = await median_ms(
        lambda: probe_image(plain, config=config, cache=ProbeCache(client, keys=KEYS))
    )
    row("cached probe (another replica, via Redis)", via_redis, base)

    print()
    crowd = ProbeCache()
    wall, tokens, results = await at_once(
        regs, (probe_image(token, config=config, cache=crowd) for _ in range(CONCURRENT))
    )
    row(
        f"{CONCURRENT} concurrent identical probes, one process",
        wall,
        base,
        f"probes run: {sum(not r.cached for r in results)}, token requests: {tokens}, "
        f"served from that one probe: {sum(r.cached for r in results)}",
    )

    flush = Redis.from_url(redis_url)
    await flush.flushdb()
    await flush.aclose()
    # Each replica has its own Redis connection pool, as separate processes would.
    other = RedisStore(redis_url)
    first, second = ProbeCache(client, keys=KEYS), ProbeCache(other, keys=KEYS)
    wall, tokens, results = await at_once(
        regs,
        (
            probe_image(token, config=config, cache=replica)
            for replica in (first, second)
            for _ in range(CONCURRENT // 2)
        ),
    )
    row(
        f"{CONCURRENT} concurrent identical probes, two replicas",
        wall,
        base,
        f"probes run: {sum(not r.cached for r in results)}, token requests: {tokens}",
    )
    await client.aclose()
    await other.aclose()


def main() -> None:
    with running_redis() as redis, tempfile.TemporaryDirectory(prefix="bench-probe-") as workdir:
        layout = write_oci_layout(Path(workdir) / "layout")
        with start_registries(Path(workdir) / "registries", layout) as regs:
            asyncio.run(run(regs, redis.url))


if __name__ == "__main__":
    main()
