"""Load test of the Slack front end: signed events and commands at a steady rate, over HTTP.

Run from the project root (needs redis-server): .venv/bin/python -m bench.slack_load
Options: --rates 50,200 --duration 30 (seconds per rate).

The bot runs as ``registry-why serve`` would (its own process, HTTP mode, with Redis), talking
to the local Slack stand-in from the tests. Requests are fired open-loop (on schedule, not
waiting for answers), half Events API messages with a registry error (each in its own channel,
so each deserves a reply), half ``/registry-why`` commands. For each rate it prints the ack
latency (p50/p99/max), the same for a baseline measured in the same run (unsigned ``GET
/healthz`` at the same rate, i.e. the server's floor), replies lost or doubled, and the bot's
resident memory at the start and end of the phase. Target on a 2-core machine: p99 ack under
100 ms at 200/s, no lost or doubled replies, memory flat.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp

from bench.report import percentile, print_header
from tests.support.bot_process import ROOT, bot_env, rss_kib
from tests.support.pastes import ECR_NO_CREDENTIALS
from tests.support.ports import free_port
from tests.support.redis_server import RedisServer, running_redis
from tests.support.slack_api import RESPONSE_URL_METHOD, SlackApi, serving
from tests.support.slack_requests import (
    command_payload,
    event_callback,
    message_event,
    sign,
)

BASELINE_SHARE = 1 / 3
"""The baseline phase runs for this share of each rate's duration."""
SETTLE_TIMEOUT = 30.0


@dataclass
class Phase:
    rate: int
    sent: int
    latencies: list[float]
    baseline: list[float]
    lost: int
    doubled: int
    failed: int
    rss_start: int
    rss_end: int


async def fire(rate: int, duration: float,
               request: Callable[[int], Coroutine[Any, Any, float | None]]
               ) -> list[float | None]:
    """Start ``request(i)`` on schedule, ``rate`` per second, without waiting for answers."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    tasks: list[asyncio.Task[float | None]] = []
    for i in range(int(rate * duration)):
        delay = start + i / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(request(i)))
    return list(await asyncio.gather(*tasks))


class Load:
    """The load generator, talking to the bot at ``url``."""

    def __init__(self, url: str, slack: SlackApi, session: aiohttp.ClientSession) -> None:
        self.url = url
        self.slack = slack
        self.session = session

    async def _timed(self, method: str, path: str, body: bytes | None = None,
                     headers: dict[str, str] | None = None) -> float | None:
        started = time.perf_counter()
        async with self.session.request(method, f"{self.url}{path}", data=body,
                                        headers=headers) as response:
            await response.read()
            ok = response.status == 200
        return time.perf_counter() - started if ok else None

    async def slack_request(self, phase: int, i: int) -> float | None:
        if i % 2 == 0:
            event = message_event(ECR_NO_CREDENTIALS, channel=f"CL{phase}X{i:07d}")
            body, kind = json.dumps(event_callback(event)), "application/json"
        else:
            fields = command_payload(ECR_NO_CREDENTIALS,
                                     self.slack.response_url(f"p{phase}-{i}"))
            body, kind = urlencode(fields), "application/x-www-form-urlencoded"
        headers = {"Content-Type": kind, **sign(body)}
        return await self._timed("POST", "/slack/events", body.encode(), headers)

    async def healthz(self, i: int) -> float | None:
        return await self._timed("GET", "/healthz")


async def wait_replies(slack: SlackApi, expected: int) -> None:
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while time.monotonic() < deadline:
        if len(slack.calls("chat.postMessage")) + len(slack.calls(RESPONSE_URL_METHOD)) \
                >= expected:
            await asyncio.sleep(1.0)  # late duplicates would show up now
            return
        await asyncio.sleep(0.2)


def count_replies(slack: SlackApi, sent: int) -> tuple[int, int]:
    """(lost, doubled) replies: events answered by thread, commands by response URL."""
    per_target: Counter[str] = Counter()
    for call in slack.calls("chat.postMessage"):
        per_target[f"{call.body['channel']}/{call.body.get('thread_ts')}"] += 1
    for call in slack.calls(RESPONSE_URL_METHOD):
        per_target[call.path] += 1
    replies = sum(per_target.values())
    unique = len(per_target)
    return max(0, sent - unique), replies - unique


async def run_phase(index: int, rate: int, duration: float, load: Load, slack: SlackApi,
                    pid: int) -> Phase:
    slack.reset()
    rss_start = rss_kib(pid)
    baseline = await fire(rate, duration * BASELINE_SHARE, load.healthz)
    results = await fire(rate, duration, lambda i: load.slack_request(index, i))
    await wait_replies(slack, len(results))
    lost, doubled = count_replies(slack, len(results))
    return Phase(
        rate=rate, sent=len(results),
        latencies=[r for r in results if r is not None],
        baseline=[b for b in baseline if b is not None],
        lost=lost, doubled=doubled, failed=sum(r is None for r in results),
        rss_start=rss_start, rss_end=rss_kib(pid),
    )


def print_table(phases: list[Phase]) -> None:
    print_header([("rate/s", 6), ("sent", 6), ("ack p50", 8), ("ack p99", 8), ("ack max", 8),
                  ("base p50", 8), ("base p99", 8), ("p99/base", 8), ("failed", 6), ("lost", 5),
                  ("doubled", 7), ("rss start", 9), ("rss end", 8)])
    for p in phases:
        p50, p99 = percentile(p.latencies, 0.5), percentile(p.latencies, 0.99)
        b50, b99 = percentile(p.baseline, 0.5), percentile(p.baseline, 0.99)
        print(f"{p.rate:>6} {p.sent:>6} {p50 * 1000:>6.1f}ms {p99 * 1000:>6.1f}ms "
              f"{max(p.latencies, default=0) * 1000:>6.1f}ms {b50 * 1000:>6.1f}ms "
              f"{b99 * 1000:>6.1f}ms {p99 / b99 if b99 else float('nan'):>8.1f} "
              f"{p.failed:>6} {p.lost:>5} {p.doubled:>7} {p.rss_start / 1024:>7.1f}MB "
              f"{p.rss_end / 1024:>6.1f}MB")
    worst = max(percentile(p.latencies, 0.99) for p in phases)
    clean = all(p.lost == 0 and p.doubled == 0 and p.failed == 0 for p in phases)
    mean = statistics.fmean(len(p.latencies) for p in phases)
    print(f"\nworst p99 ack {worst * 1000:.1f} ms (target < 100 ms); "
          f"{'no' if clean else 'SOME'} lost/doubled/failed; mean acks per phase {mean:.0f}")


def start_bot(api_url: str, redis_url: str, port: int) -> subprocess.Popen[bytes]:
    env = bot_env(api_url, REDIS_URL=redis_url, PORT=str(port),
                  REGISTRY_WHY_REDIS_PREFIX="bench")
    code = ("import logging; logging.basicConfig(level=logging.WARNING); "
            "from bot.slack.server import serve; from bot.settings import load_settings; "
            "serve(load_settings())")
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env)


async def wait_healthy(session: aiohttp.ClientSession, url: str,
                       bot: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if bot.poll() is not None:
            raise SystemExit(f"the bot exited with status {bot.returncode}")
        try:
            async with session.get(f"{url}/healthz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise SystemExit("the bot did not answer /healthz within 30 s")


async def main_async(rates: list[int], duration: float, redis: RedisServer) -> None:
    async with serving(SlackApi()) as slack:
        port = free_port()
        bot = start_bot(slack.base_url, redis.url, port)
        url = f"http://127.0.0.1:{port}"
        try:
            connector = aiohttp.TCPConnector(limit=0)
            async with aiohttp.ClientSession(connector=connector) as session:
                await wait_healthy(session, url, bot)
                load = Load(url, slack, session)
                phases = []
                for index, rate in enumerate(rates):
                    print(f"rate {rate}/s for {duration:.0f} s (+ baseline)...", flush=True)
                    phases.append(await run_phase(index, rate, duration, load, slack, bot.pid))
            print()
            print_table(phases)
        finally:
            bot.terminate()
            bot.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="50,200",
                        help="requests per second, comma-separated (default 50,200)")
    parser.add_argument("--duration", type=float, default=30.0,
                        help="seconds per rate (default 30)")
    args = parser.parse_args()
    rates = [int(r) for r in args.rates.split(",") if r.strip()]
    with running_redis() as redis:
        asyncio.run(main_async(rates, args.duration, redis))


if __name__ == "__main__":
    main()
