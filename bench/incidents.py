"""Incident mode under a burst: 500 pasted outage reports across 50 channels at once.

Run from the project root (needs redis-server): .venv/bin/python -m bench.incidents
Options: --reports 500 --channels 50 --replicas 3. A third run spreads the same reports over
15 s, so the card is edited while they arrive (the edits must stay seconds apart).

Three ``registry-why serve`` replicas (HTTP mode) share one real Redis and talk to the local
Slack stand-in from the tests. Every report (``connection refused`` from one registry, from 25
people) is delivered at once, round robin across the replicas. Checked: exactly one incident
card, its last edit showing the exact report and channel counts, and the Slack API calls against
Slack's limits: chat.update at most about one per second per message, chat.postMessage about
one per second per channel (bursts allowed). The baseline, measured in the same run, is the same
burst with incident mode off (no incident channel): the ratio is what incident mode costs in
time to drain the burst and in Slack calls.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import aiohttp

from tests.support.bot_process import BotProcess, bot_processes
from tests.support.redis_server import RedisServer, running_redis
from tests.support.slack_api import Call, SlackApi, serving
from tests.support.slack_requests import event_callback, message_event, sign

ONCALL = "C0BENCHONCALL"
HOST = "127.0.0.1:9"
"""Nothing listens on the discard port here: the pasted outage names it, nothing calls it."""
PASTE = (f"$ docker pull {HOST}/team/app:1.0\n"
         f'Error response from daemon: Get "http://{HOST}/v2/": dial tcp {HOST}: '
         "connect: connection refused")
CARD_INTERVAL_LIMIT = 1.0
"""Slack's chat.update guidance: about one edit per second per message."""


@dataclass(frozen=True)
class Phase:
    name: str
    drained_s: float
    calls: Counter[str]
    cards: int
    card_updates: int
    card_min_gap_s: float
    final_card: str
    busiest_update_per_s: int
    busiest_post_per_channel_s: int


def busiest_second(times: list[float]) -> int:
    """The most calls within any one-second span."""
    times = sorted(times)
    best, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] > 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def analyse(name: str, calls: list[Call], drained: float) -> Phase:
    updates: dict[tuple[str, str], list[float]] = defaultdict(list)
    posts: dict[str, list[float]] = defaultdict(list)
    for call in calls:
        if call.method == "chat.update":
            updates[(str(call.body["channel"]), str(call.body["ts"]))].append(call.at)
        elif call.method == "chat.postMessage":
            posts[str(call.body["channel"])].append(call.at)
    card_posts = [c for c in calls if c.method == "chat.postMessage"
                  and c.body.get("channel") == ONCALL]
    card_edits = sorted(c.at for c in calls if c.method == "chat.update"
                        and c.body.get("channel") == ONCALL)
    gaps = [b - a for a, b in pairwise(card_edits)]
    final = [c for c in calls if c.method == "chat.update" and c.body.get("channel") == ONCALL]
    return Phase(
        name=name, drained_s=drained, calls=Counter(c.method for c in calls),
        cards=len(card_posts), card_updates=len(card_edits),
        card_min_gap_s=min(gaps) if gaps else float("nan"),
        final_card=str(final[-1].body["text"]) if final else "",
        busiest_update_per_s=max((busiest_second(t) for t in updates.values()), default=0),
        busiest_post_per_channel_s=max((busiest_second(t) for t in posts.values()), default=0),
    )


async def burst(bots: list[BotProcess], slack: SlackApi, reports: int, channels: int,
                over: float) -> float:
    """Deliver every report at once (bounded concurrency), or evenly over ``over`` seconds;
    seconds until Slack hears nothing more."""
    payloads = [json.dumps(event_callback(message_event(
        PASTE, channel=f"C0BENCH{n % channels:04d}", user=f"U0BENCH{n % 25:03d}")))
        for n in range(reports)]
    limit = asyncio.Semaphore(64)
    started = time.monotonic()
    async with aiohttp.ClientSession() as session:
        async def deliver(n: int, body: str) -> None:
            await asyncio.sleep(max(0.0, started + n * over / reports - time.monotonic()))
            async with limit:
                bot = bots[n % len(bots)]
                async with session.post(f"{bot.url}/slack/events", data=body.encode(),
                                        headers={"Content-Type": "application/json",
                                                 **sign(body)}) as response:
                    assert response.status == 200, response.status

        await asyncio.gather(*(deliver(n, body) for n, body in enumerate(payloads)))
        # Drained: nothing sent to Slack for a few seconds (card edits come every 3 s).
        last = len(slack.calls())
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < 4.0:
            await asyncio.sleep(0.2)
            if len(slack.calls()) != last:
                last, quiet_since = len(slack.calls()), time.monotonic()
    return quiet_since - started


async def run(name: str, redis: RedisServer, reports: int, channels: int, replicas: int,
              incident: bool, over: float = 0.0) -> Phase:
    redis.flushall()
    extra = {"REGISTRY_WHY_INCIDENT_CHANNEL": ONCALL} if incident else {}
    async with serving(SlackApi()) as slack:
        logs = Path(tempfile.mkdtemp(prefix="bench-incidents-"))
        async with bot_processes(replicas, slack.base_url, logs, REDIS_URL=redis.url,
                                 REGISTRY_WHY_REDIS_PREFIX="bench-incidents", **extra) as bots:
            drained = await burst(bots, slack, reports, channels, over)
        print(f"[{name}] bot logs in {logs}")
        return analyse(name, slack.calls(), drained)


def report(phases: list[Phase], reports: int, channels: int) -> None:
    base, mode, spread = phases
    print(f"{reports} reports across {channels} channels, {len(phases)} runs\n")
    for phase in phases:
        print(f"[{phase.name}] drained in {phase.drained_s:.1f} s; Slack calls: "
              + ", ".join(f"{m} {n}" for m, n in sorted(phase.calls.items())))
        print(f"  busiest chat.update per message: {phase.busiest_update_per_s}/s; busiest "
              f"chat.postMessage per channel: {phase.busiest_post_per_channel_s}/s")
    for phase in (mode, spread):
        print(f"\n[{phase.name}] incident cards posted: {phase.cards} (want 1); card edits: "
              f"{phase.card_updates}, closest two {phase.card_min_gap_s:.2f} s apart "
              f"(limit ~{CARD_INTERVAL_LIMIT:.0f} s)")
        print(f"  final card: {phase.final_card}")
        exact = (f"{reports} reports" in phase.final_card
                 and f"{channels} channels" in phase.final_card)
        print(f"  exact counts on the card: {'yes' if exact else 'NO'}")
    print(f"ratio to baseline: drain time x{mode.drained_s / base.drained_s:.2f}, Slack calls "
          f"x{sum(mode.calls.values()) / max(1, sum(base.calls.values())):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=500)
    parser.add_argument("--channels", type=int, default=50)
    parser.add_argument("--replicas", type=int, default=3)
    args = parser.parse_args()

    async def both() -> list[Phase]:
        with running_redis() as redis:
            return [await run(name, redis, args.reports, args.channels, args.replicas, on, over)
                    for name, on, over in (("baseline: incident mode off", False, 0.0),
                                           ("incident mode on", True, 0.0),
                                           ("incident mode on, spread over 15 s", True, 15.0))]

    report(asyncio.run(both()), args.reports, args.channels)


if __name__ == "__main__":
    main()
