"""Scale-out on one Redis: three ``registry-why serve`` replicas in HTTP mode behind a "load
balancer" played by the test, which also plays Slack (signed deliveries, and redeliveries of
what was not acknowledged, each possibly to another replica).

* The same events delivered to several replicas at once, or again later as Slack retries, and
  one message arriving as an event on one replica and as a shortcut on another: exactly one
  reply per message.
* One replica stopped (SIGTERM, as Kubernetes and Docker stop containers) in the middle of a
  load: it finishes what it acknowledged, Slack's redeliveries of what it refused reach the
  others, and every message still gets exactly one reply.
* ``/registry-why probe <image>`` asked at the same moment through each replica: the
  registry is probed once (the probe's cache and lock live in the shared Redis).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.bot_process import BotProcess, bot_processes
from tests.support.pastes import ECR_NO_CREDENTIALS
from tests.support.probe_servers import ScriptedRegistry, open_registry
from tests.support.redis_server import RedisServer
from tests.support.registries_toml import loopback_entry
from tests.support.slack_api import RESPONSE_URL_METHOD, SlackApi
from tests.support.slack_requests import (
    command_payload,
    event_callback,
    message_event,
    message_shortcut,
    sign,
)

REPLICAS = 3
SLACK_TIMEOUT = aiohttp.ClientTimeout(total=3)
"""Slack gives up on a delivery not acknowledged within 3 seconds, and redelivers it."""
SLACK_ATTEMPTS = 4
"""A first delivery and Slack's three retries."""


class SlackBehindBalancer:
    """Delivers signed requests to replicas as Slack (through a load balancer) would."""

    def __init__(self, session: aiohttp.ClientSession, bots: list[BotProcess]) -> None:
        self.session = session
        self.bots = bots
        self.refused = 0
        """Deliveries that got no acknowledgement (and so were delivered again)."""

    async def deliver(self, bot: BotProcess, body: str, content_type: str,
                      retry: int = 0) -> bool:
        """One delivery; True when acknowledged with 200."""
        headers = {"Content-Type": content_type, **sign(body)}
        if retry:
            headers.update({"X-Slack-Retry-Num": str(retry),
                            "X-Slack-Retry-Reason": "http_timeout"})
        try:
            async with self.session.post(f"{bot.url}/slack/events", data=body.encode(),
                                         headers=headers, timeout=SLACK_TIMEOUT) as response:
                return response.status == 200
        except (aiohttp.ClientError, TimeoutError):
            return False

    async def event(self, payload: dict[str, Any], bot: int, retry: int = 0) -> bool:
        return await self.deliver(self.bots[bot % len(self.bots)], json.dumps(payload),
                                  "application/json", retry)

    async def until_acked(self, payload: dict[str, Any], first: int) -> None:
        """Deliver, and redeliver to the next replica what was not acknowledged."""
        for attempt in range(SLACK_ATTEMPTS):
            if await self.event(payload, first + attempt, attempt):
                return
            self.refused += 1
        pytest.fail(f"event {payload['event_id']} was never acknowledged")


@pytest.fixture
def slow_registry() -> Iterator[ScriptedRegistry]:
    """A registry stand-in whose every answer takes a while, so probes overlap."""
    server = ScriptedRegistry(open_registry({})).start()
    server.delay = 0.2
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def replicas(clean_redis: RedisServer, slack_api: SlackApi, slow_registry: ScriptedRegistry,
                   tmp_path: Path) -> AsyncIterator[list[BotProcess]]:
    registries = tmp_path / "registries.toml"
    registries.write_text(loopback_entry(slow_registry.host))
    async with bot_processes(REPLICAS, slack_api.base_url, tmp_path, REDIS_URL=clean_redis.url,
                             REGISTRY_WHY_REDIS_PREFIX="scale-out",
                             REGISTRY_WHY_REGISTRIES=str(registries)) as bots:
        yield bots


async def metric(session: aiohttp.ClientSession, bot: BotProcess, name: str) -> float:
    async with session.get(f"{bot.url}/metrics") as response:
        text = await response.text()
    return sum(s.value for family in text_string_to_metric_families(text)
               for s in family.samples if s.name == name)


async def settle(session: aiohttp.ClientSession, bots: list[BotProcess]) -> None:
    """Wait until no replica has a reply in progress (read from each one's /metrics)."""
    deadline = time.monotonic() + 10
    while any([await metric(session, bot, "registry_why_listener_runs_in_progress")
               for bot in bots if bot.process.poll() is None]):
        assert time.monotonic() < deadline, "replies still in progress after 10 s"
        await asyncio.sleep(0.05)


def thread_replies(slack_api: SlackApi) -> Counter[tuple[str, str]]:
    """Thread replies posted, by (channel, thread_ts)."""
    return Counter((str(c.body["channel"]), str(c.body["thread_ts"]))
                   for c in slack_api.calls("chat.postMessage"))


def channel(index: int) -> str:
    return f"C0SCALE{index:04d}"


async def test_events_delivered_to_several_replicas_are_answered_once(
    replicas: list[BotProcess], slack_api: SlackApi
) -> None:
    messages = [message_event(ECR_NO_CREDENTIALS, channel=channel(i)) for i in range(45)]
    payloads = [event_callback(m) for m in messages]
    both_ways = [message_event(ECR_NO_CREDENTIALS, channel=channel(100 + i)) for i in range(6)]

    async with aiohttp.ClientSession() as session:
        slack = SlackBehindBalancer(session, replicas)

        async def deliver(i: int) -> list[bool]:
            payload = payloads[i]
            match i % 3:
                case 0:  # a first delivery and a retry, at once, to two replicas
                    return list(await asyncio.gather(slack.event(payload, i),
                                                     slack.event(payload, i + 1, retry=1)))
                case 1:  # the same delivery reaching all three replicas at once
                    return list(await asyncio.gather(
                        *(slack.event(payload, i + n, retry=n) for n in range(REPLICAS))))
                case _:  # acknowledged, then redelivered anyway (the ack got lost on the way)
                    return [await slack.event(payload, i),
                            await slack.event(payload, i + 1, retry=1)]

        async def event_and_shortcut(i: int) -> list[bool]:
            # One message, seen as a paste by one replica and via the shortcut by another.
            message = both_ways[i]
            shortcut = {"payload": json.dumps(message_shortcut(
                {**message, "type": "message"}, slack_api.response_url(f"s{i}"),
                channel=message["channel"]))}
            return list(await asyncio.gather(
                slack.event(event_callback(message), i),
                slack.deliver(replicas[(i + 1) % REPLICAS], urlencode(shortcut),
                              "application/x-www-form-urlencoded")))

        acks = await asyncio.gather(*(deliver(i) for i in range(len(payloads))),
                                    *(event_and_shortcut(i) for i in range(len(both_ways))))
        assert all(all(a) for a in acks), "every delivery is acknowledged"
        expected = {(m["channel"], m["ts"]) for m in messages + both_ways}
        await slack_api.wait_for("chat.postMessage", len(expected), timeout=15)
        await settle(session, replicas)
        await asyncio.sleep(0.3)  # a doubled reply would arrive now
        ignored = [await metric(session, bot, "registry_why_redeliveries_ignored_total")
                   for bot in replicas]

    replies = thread_replies(slack_api)
    assert set(replies) == expected
    assert set(replies.values()) == {1}, "exactly one reply per message"
    deliveries = sum(2 if i % 3 != 1 else REPLICAS for i in range(len(payloads)))
    assert sum(ignored) == deliveries - len(payloads)  # every other delivery was ignored
    answered_by = Counter(bot.name for bot in replicas for line in bot.handled()
                          if line["replies"])
    assert set(answered_by) == {bot.name for bot in replicas}, "all replicas did work"
    # The shortcut that lost the race answered privately, or stayed quiet as a paste.
    assert len(slack_api.calls(RESPONSE_URL_METHOD)) <= len(both_ways)


async def test_a_replica_stopped_mid_load_loses_nothing_slack_would_not_redeliver(
    replicas: list[BotProcess], slack_api: SlackApi
) -> None:
    count, rate, stop_at = 90, 45.0, 30
    slack_api.slow("chat.postMessage", 0.2, times=2 * count)  # replies take a while
    stopping = replicas[0]
    payloads = [event_callback(message_event(ECR_NO_CREDENTIALS, channel=channel(i)))
                for i in range(count)]

    async with aiohttp.ClientSession() as session:
        slack = SlackBehindBalancer(session, replicas)
        started = time.monotonic()
        sent = []
        for i, payload in enumerate(payloads):
            await asyncio.sleep(max(0.0, started + i / rate - time.monotonic()))
            if i == stop_at:
                stopping.terminate()  # the balancer does not know yet: it keeps routing to it
            sent.append(asyncio.create_task(slack.until_acked(payload, i)))
        await asyncio.gather(*sent)
        await slack_api.wait_for("chat.postMessage", count, timeout=15)
        assert await asyncio.to_thread(stopping.wait, 15) == 0
        await settle(session, replicas)
        await asyncio.sleep(0.3)

    replies = thread_replies(slack_api)
    assert set(replies) == {(p["event"]["channel"], p["event"]["ts"]) for p in payloads}
    assert set(replies.values()) == {1}, "exactly one reply per message"
    assert slack.refused > 0, "the stopped replica refused deliveries, Slack redelivered them"
    stopped_log = [line["message"] for line in stopping.log_lines()]
    assert any(m.startswith("waiting up to 10 s for") for m in stopped_log), \
        "the stopped replica had replies in progress, and finished them"
    assert stopped_log[-1] == "stopped"
    assert all(line["replies"] == 1 for line in stopping.handled())
    # How many deliveries the stopping replica still took depends on when its process saw
    # SIGTERM, which a loaded machine delays; what must hold is that the others answered
    # every message it did not, and none that it did.
    by_stopped = {line["channel"] for line in stopping.handled() if line["replies"]}
    by_others = Counter(line["channel"] for bot in replicas[1:] for line in bot.handled()
                        if line["replies"])
    assert set(by_others) == {p["event"]["channel"] for p in payloads} - by_stopped, \
        "the others answered the rest"
    assert set(by_others.values()) == {1}


async def test_identical_probes_on_three_replicas_run_once(
    replicas: list[BotProcess], slack_api: SlackApi, slow_registry: ScriptedRegistry
) -> None:
    image = f"{slow_registry.host}/demo/hello:v1"
    async with aiohttp.ClientSession() as session:
        slack = SlackBehindBalancer(session, replicas)
        # Three people ask at the same moment, each through another replica.
        acks = await asyncio.gather(*(
            slack.deliver(bot, urlencode({**command_payload(
                f"probe {image}", slack_api.response_url(f"p{n}")), "user_id": f"U0ASKER{n}"}),
                "application/x-www-form-urlencoded")
            for n, bot in enumerate(replicas)))
        assert all(acks)
        # Each asker gets "probing..." and then the result.
        answers = await slack_api.wait_for(RESPONSE_URL_METHOD, 2 * REPLICAS, timeout=15)
        await settle(session, replicas)

    assert sum(1 for seen in slow_registry.requests if seen.path == "/v2/") == 1
    results = {call.path: call.body["text"] for call in answers
               if call.body.get("replace_original")}
    assert len(results) == REPLICAS
    assert len(set(results.values())) == 1  # the same finding for everyone
