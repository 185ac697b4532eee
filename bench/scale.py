"""Scale-out bench: throughput and ack latency with 1, 2 and 3 replicas sharing one Redis.

Run from the project root (needs redis-server): .venv/bin/python -m bench.scale
Options: --replicas 1,2,3 --duration 10 (seconds per phase) --concurrency 16

Each phase starts that many ``registry-why serve`` processes (HTTP mode, Redis, JSON logs on, as
deployed) and the Slack stand-in from the tests, then drives them closed-loop: ``concurrency``
workers each send a signed Events API message carrying a registry error (each in its own
channel, so each deserves a thread reply), wait for the ack, and send the next, spread
round-robin over the replicas (a load balancer). It prints, per phase: acks per second and ack
latency (p50/p99), each with its ratio to the 1-replica phase of the same run (the baseline);
the replies posted per second; and per replica what a deployment is sized from: CPU
milliseconds per event (user + system, the reply's work included) and resident memory.

Everything (load generator, stand-in, Redis, replicas) shares this machine's cores, so
throughput stops growing once they are busy; CPU ms per event does not depend on that, and
``cores needed = events per second x CPU ms per event / 1000``. The harness's own CPU share is
printed so the limit is visible.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import redis

from bench.report import percentile, print_header
from tests.support.bot_process import BotProcess, bot_processes
from tests.support.pastes import ECR_NO_CREDENTIALS
from tests.support.redis_server import RedisServer, running_redis
from tests.support.slack_api import SlackApi, serving
from tests.support.slack_requests import event_callback, message_event, sign

WARMUP_REQUESTS = 20
REPLY_TIMEOUT = 60.0


@dataclass
class Phase:
    replicas: int
    seconds: float
    latencies: list[float]
    failed: int
    replies: int
    reply_seconds: float
    cpu: list[float]
    """CPU seconds each replica used during the phase."""
    rss_kib: list[int]
    harness_cpu: float
    redis_cpu: float
    per_replica_events: list[int] = field(default_factory=list)

    @property
    def events(self) -> int:
        return len(self.latencies)

    @property
    def throughput(self) -> float:
        return self.events / self.seconds

    def ack(self, q: float) -> float:
        return percentile(self.latencies, q)

    @property
    def cpu_ms_per_event(self) -> float:
        return 1000 * sum(self.cpu) / self.events if self.events else float("nan")


class Driver:
    """Closed-loop load over the replicas, as a load balancer spreads it."""

    def __init__(self, session: aiohttp.ClientSession, bots: list[BotProcess],
                 tag: str) -> None:
        self.session = session
        self.bots = bots
        self.tag = tag
        self.sent = 0
        self.per_replica = [0] * len(bots)

    async def one(self) -> float | None:
        index = self.sent
        self.sent += 1
        replica = index % len(self.bots)
        event = message_event(ECR_NO_CREDENTIALS, channel=f"C{self.tag}X{index:07d}")
        body = json.dumps(event_callback(event))
        headers = {"Content-Type": "application/json", **sign(body)}
        started = time.perf_counter()
        try:
            async with self.session.post(f"{self.bots[replica].url}/slack/events",
                                         data=body.encode(), headers=headers) as response:
                await response.read()
                ok = response.status == 200
        except aiohttp.ClientError:
            ok = False
        if not ok:
            return None
        self.per_replica[replica] += 1
        return time.perf_counter() - started

    async def run(self, concurrency: int, duration: float) -> tuple[list[float], int]:
        deadline = time.monotonic() + duration
        latencies: list[float] = []
        failed = 0

        async def worker() -> None:
            nonlocal failed
            while time.monotonic() < deadline:
                result = await self.one()
                if result is None:
                    failed += 1
                else:
                    latencies.append(result)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return latencies, failed


async def wait_replies(slack: SlackApi, expected: int) -> float:
    started = time.monotonic()
    while len(slack.calls("chat.postMessage")) < expected:
        if time.monotonic() - started > REPLY_TIMEOUT:
            raise SystemExit(f"only {len(slack.calls('chat.postMessage'))} of {expected} "
                             f"replies after {REPLY_TIMEOUT:.0f} s")
        await asyncio.sleep(0.05)
    return time.monotonic() - started


def redis_cpu(client: redis.Redis) -> float:
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


async def run_phase(replicas: int, args: argparse.Namespace, slack: SlackApi,
                    redis_server: RedisServer, log_dir: Path) -> Phase:
    redis_client = redis.Redis.from_url(redis_server.url)
    async with bot_processes(replicas, slack.base_url, log_dir, REDIS_URL=redis_server.url,
                             REGISTRY_WHY_REDIS_PREFIX=f"bench-scale-{replicas}") as bots:
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as session:
            warm = Driver(session, bots, f"W{replicas}")
            await asyncio.gather(*(warm.one() for _ in range(WARMUP_REQUESTS)))
            await wait_replies(slack, WARMUP_REQUESTS)
            slack.reset()

            driver = Driver(session, bots, f"B{replicas}")
            cpu_before = [bot.cpu_seconds() for bot in bots]
            harness_before, redis_before = time.process_time(), redis_cpu(redis_client)
            started = time.monotonic()
            latencies, failed = await driver.run(args.concurrency, args.duration)
            seconds = time.monotonic() - started
            drain = await wait_replies(slack, len(latencies))
            cpu = [bot.cpu_seconds() - before for bot, before in zip(bots, cpu_before,
                                                                     strict=True)]
            harness = time.process_time() - harness_before
            redis_used = redis_cpu(redis_client) - redis_before
            rss = [bot.rss_kib() for bot in bots]
            slack.reset()
    redis_client.close()
    return Phase(replicas=replicas, seconds=seconds, latencies=latencies, failed=failed,
                 replies=len(latencies), reply_seconds=seconds + drain, cpu=cpu, rss_kib=rss,
                 harness_cpu=harness, redis_cpu=redis_used,
                 per_replica_events=driver.per_replica)


def print_table(phases: list[Phase], cores: int) -> None:
    base = phases[0]
    print_header([("replicas", 8), ("events", 7), ("acks/s", 8), ("x base", 6), ("ack p50", 8),
                  ("ack p99", 8), ("x base", 6), ("replies/s", 9), ("failed", 6),
                  ("cpu ms/event", 12), ("rss MB/replica", 14)])
    for p in phases:
        print(f"{p.replicas:>8} {p.events:>7} {p.throughput:>8.0f} "
              f"{p.throughput / base.throughput:>6.2f} {p.ack(0.5) * 1000:>6.1f}ms "
              f"{p.ack(0.99) * 1000:>6.1f}ms {p.ack(0.99) / base.ack(0.99):>6.2f} "
              f"{p.replies / p.reply_seconds:>9.0f} {p.failed:>6} "
              f"{p.cpu_ms_per_event:>12.2f} "
              f"{statistics.fmean(p.rss_kib) / 1024:>14.1f}")
    print()
    print("per replica (CPU ms per event it acknowledged, resident memory):")
    for p in phases:
        cells = ", ".join(
            f"{1000 * cpu / events if events else float('nan'):.2f} ms x {events} events, "
            f"{rss / 1024:.0f} MB"
            for cpu, events, rss in zip(p.cpu, p.per_replica_events, p.rss_kib, strict=True))
        print(f"  {p.replicas} replica(s): {cells}")
    print()
    print(f"machine: {cores} cores shared by everything. Harness CPU (load generator + Slack "
          "stand-in) and Redis CPU per phase:")
    for p in phases:
        busy = (sum(p.cpu) + p.harness_cpu + p.redis_cpu) / p.seconds
        print(f"  {p.replicas} replica(s): replicas {sum(p.cpu) / p.seconds:.2f} cores, harness "
              f"{p.harness_cpu / p.seconds:.2f}, redis {p.redis_cpu / p.seconds:.2f} "
              f"(total {busy:.2f} of {cores})")
    worst = max(phases, key=lambda p: p.cpu_ms_per_event)
    print(f"\nsizing: one replica handles about {1000 / worst.cpu_ms_per_event:.0f} events/s "
          f"per core ({worst.cpu_ms_per_event:.2f} CPU ms/event, worst phase); memory "
          f"{max(max(p.rss_kib) for p in phases) / 1024:.0f} MB per replica at most.")


async def main_async(args: argparse.Namespace, redis_server: RedisServer) -> None:
    phases = []
    async with serving(SlackApi()) as slack:
        with tempfile.TemporaryDirectory(prefix="bench-scale-") as log_dir:
            for replicas in args.replicas:
                print(f"{replicas} replica(s): {args.duration:.0f} s at concurrency "
                      f"{args.concurrency}...", flush=True)
                phases.append(await run_phase(replicas, args, slack, redis_server,
                                              Path(log_dir)))
    print()
    print_table(phases, os.cpu_count() or 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--replicas", default="1,2,3",
                        help="replica counts, comma-separated; the first is the baseline")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per phase")
    parser.add_argument("--concurrency", type=int, default=16,
                        help="requests in flight at once (closed loop)")
    args = parser.parse_args()
    args.replicas = [int(n) for n in args.replicas.split(",") if n.strip()]
    with running_redis() as redis_server:
        asyncio.run(main_async(args, redis_server))


if __name__ == "__main__":
    main()
