"""Incident mode end to end: ``registry-why serve`` replicas on one real Redis, the Slack
stand-in, and a real ``docker-registry`` that goes down and comes back.

People in several channels paste the same outage (connection refused) through different
replicas: one card is posted in the incident channel and edited, later replies point at it,
``/registry-why status`` lists it; once the registry is back, a re-probe resolves it and every
affected thread gets exactly one resolution message. In HTTP mode (three replicas) and in
Socket Mode (two replicas, Slack choosing the connection).
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

from bot.slack.ids import ACTION_PROBE
from tests.support.bot_process import BotProcess, bot_processes
from tests.support.redis_server import RedisServer
from tests.support.registries_toml import loopback_entry
from tests.support.slack_api import APP_TOKEN, BOT_ID, RESPONSE_URL_METHOD, SlackApi
from tests.support.slack_requests import (
    block_action,
    command_payload,
    event_callback,
    message_event,
    sign,
)
from tests.support.stoppable_registry import StoppableRegistry
from tests.test_scale_out import metric

ONCALL = "C0ONCALL01"
REPORTERS = [("C0TEAMA001", "U0ALICE01"), ("C0TEAMB001", "U0BOB0001"),
             ("C0TEAMC001", "U0CAROL01"), ("C0TEAMD001", "U0DAVE001"),
             ("C0TEAME001", "U0ALICE01"), ("C0TEAMF001", "U0ERIN001")]
"""Six channels (a second paste in one channel is counted under the first answer instead)."""


def outage_paste(host: str) -> str:
    # As ``docker pull`` prints it when nothing listens on the registry's port.
    return (f"$ docker pull {host}/demo/hello:v1\n"
            f'Error response from daemon: Get "http://{host}/v2/": dial tcp {host}: '
            "connect: connection refused")


@pytest.fixture
def outage(tmp_path: Path) -> Iterator[StoppableRegistry]:
    registry = StoppableRegistry(tmp_path).start()
    registry.stop()  # the outage: connections to its port are refused
    try:
        yield registry
    finally:
        registry.stop()


@pytest.fixture(params=["http", "socket"])
async def replicas(request: pytest.FixtureRequest, clean_redis: RedisServer, slack_api: SlackApi,
                   outage: StoppableRegistry, tmp_path: Path) -> AsyncIterator[list[BotProcess]]:
    registries = tmp_path / "registries.toml"
    # Failed probes are cached for a second only, so the registry's return is seen at once.
    registries.write_text("[probe]\ncache_failure_seconds = 1.0\n\n" + loopback_entry(outage.host))
    socket = request.param == "socket"
    extra = {"SLACK_APP_TOKEN": APP_TOKEN} if socket else {}
    async with bot_processes(2 if socket else 3, slack_api.base_url, tmp_path,
                             REDIS_URL=clean_redis.url, REGISTRY_WHY_REDIS_PREFIX="incidents",
                             REGISTRY_WHY_REGISTRIES=str(registries),
                             REGISTRY_WHY_INCIDENT_CHANNEL=ONCALL,
                             REGISTRY_WHY_INCIDENT_REPROBE="1", **extra) as bots:
        if socket:
            await slack_api.wait_connections(len(bots), timeout=15)
        yield bots


class Slack:
    """Delivers to the replicas as Slack does in the replicas' mode."""

    def __init__(self, session: aiohttp.ClientSession, api: SlackApi,
                 bots: list[BotProcess], socket: bool) -> None:
        self.session, self.api, self.bots, self.socket = session, api, bots, socket

    async def event(self, payload: dict[str, Any], n: int) -> None:
        if self.socket:
            await self.api.wait_ack(await self.api.push("events_api", payload))
            return
        await self._post(n, json.dumps(payload), "application/json")

    async def command(self, payload: dict[str, str], n: int) -> None:
        if self.socket:
            await self.api.wait_ack(await self.api.push("slash_commands", payload))
            return
        await self._post(n, urlencode(payload), "application/x-www-form-urlencoded")

    async def click(self, payload: dict[str, Any], n: int) -> None:
        if self.socket:
            await self.api.wait_ack(await self.api.push("interactive", payload))
            return
        await self._post(n, urlencode({"payload": json.dumps(payload)}),
                         "application/x-www-form-urlencoded")

    async def _post(self, n: int, body: str, content_type: str) -> None:
        bot = self.bots[n % len(self.bots)]
        async with self.session.post(f"{bot.url}/slack/events", data=body.encode(),
                                     headers={"Content-Type": content_type, **sign(body)},
                                     timeout=aiohttp.ClientTimeout(total=3)) as response:
            assert response.status == 200


def probe_click(reply: dict[str, Any], ts: str, api: SlackApi) -> dict[str, Any]:
    """A click on the reply's "Probe registry" button, as Slack sends it (with the reply)."""
    [value] = [e["value"] for b in reply["blocks"] if b["type"] == "actions"
               for e in b["elements"] if e.get("action_id") == ACTION_PROBE]
    message = {"type": "message", "ts": ts, "text": reply["text"], "blocks": reply["blocks"],
               "bot_id": BOT_ID, "thread_ts": reply["thread_ts"]}
    return block_action(ACTION_PROBE, value, api.response_url(f"probe-{ts}"), message=message,
                        channel=reply["channel"], user="U0ONCALL1")


def probe_line(api: SlackApi, press: dict[str, Any], after: int = 0) -> str:
    """The verdict line of the latest probe result edited into the pressed reply ("" if none)."""
    ts = press["message"]["ts"]
    for call in reversed(api.calls("chat.update")[after:]):
        if call.body.get("ts") != ts:
            continue
        for block in call.body.get("blocks") or []:
            text = (block.get("text") or {}).get("text", "")
            if text.startswith("*Registry probe*") and "\n" in text:
                return str(text.split("\n")[1])
    return ""


def posted(api: SlackApi, channel: str | None = None) -> list[dict[str, Any]]:
    return [c.body for c in api.calls("chat.postMessage")
            if channel is None or c.body.get("channel") == channel]


async def until(what: str, check: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what} within {timeout} s"
        await asyncio.sleep(0.1)


async def test_an_outage_becomes_one_incident_that_resolves_when_the_registry_returns(
        replicas: list[BotProcess], slack_api: SlackApi, outage: StoppableRegistry,
        request: pytest.FixtureRequest) -> None:
    socket = "socket" in request.node.callspec.id
    host = outage.host
    messages = [message_event(outage_paste(host), channel=c, user=u) for c, u in REPORTERS]
    async with aiohttp.ClientSession() as session:
        slack = Slack(session, slack_api, replicas, socket)
        # The first three arrive one after the other; the third opens the incident.
        for n, message in enumerate(messages[:3]):
            await slack.event(event_callback(message), n)
            await until("the reply", lambda n=n: len(posted(slack_api)) >= n + 1)
        await until("the card", lambda: len(posted(slack_api, ONCALL)) == 1)
        for n, message in enumerate(messages[3:], 3):
            await slack.event(event_callback(message), n)
        threads = {(m["channel"], m["ts"]) for m in messages}
        await until("every reply", lambda: {(p["channel"], p.get("thread_ts"))
                                            for p in posted(slack_api)} >= threads)

        card = posted(slack_api, ONCALL)
        assert len(card) == 1, "one card"
        assert host in card[0]["text"]
        later = [p for p in posted(slack_api) if (p["channel"], p.get("thread_ts"))
                 in {(m["channel"], m["ts"]) for m in messages[3:]}]
        assert len(later) == 3
        for reply in later:
            first = reply["text"].splitlines()[0]
            assert first.startswith(f"Part of an open incident on {host}: "), first
            assert f"archives/{ONCALL}/p" in first
        # The card is edited (at most every few seconds) to the exact counts.
        await until("the card to show six reports", lambda: any(
            "6 reports" in c.body["text"] and "6 channels" in c.body["text"]
            for c in slack_api.calls("chat.update")))

        await slack.command({**command_payload("status", slack_api.response_url("st")),
                             "user_id": "U0ONCALL1"}, 0)
        await until("the status board", lambda: bool(slack_api.calls(RESPONSE_URL_METHOD)))
        board = slack_api.calls(RESPONSE_URL_METHOD)[0].body
        assert board["response_type"] == "ephemeral"
        assert host in json.dumps(board["blocks"])
        assert "1 open incident" in board["text"]

        # Still down: the re-probes (every second) see it and resolve nothing, and the probe
        # button on an ordinary reply shows it failing.
        reply = next(c for c in slack_api.calls("chat.postMessage")
                     if c.body["channel"] == REPORTERS[0][0])
        press = probe_click(reply.body, str((reply.response or {})["ts"]), slack_api)
        await slack.click(press, 1)
        await until("the probe result in the reply", lambda: probe_line(slack_api, press))
        assert probe_line(slack_api, press).startswith(":x: "), probe_line(slack_api, press)
        await asyncio.sleep(1.5)
        assert not any(p["text"].startswith("Resolved") for p in posted(slack_api))
        outage.start()
        await until("the resolution", lambda: sum(
            p["text"].startswith("Resolved") for p in posted(slack_api)) >= len(threads))
        await asyncio.sleep(2.5)  # a doubled resolution would arrive now
        # The same button pressed again after the fix: ❌ becomes ✅ in place.
        updates_before = len(slack_api.calls("chat.update"))
        await slack.click(probe_click(reply.body, str((reply.response or {})["ts"]), slack_api),
                          2)
        await until("the new probe result", lambda: probe_line(
            slack_api, press, after=updates_before).startswith(":white_check_mark: "))
        opened = [await metric(session, bot, "registry_why_incidents_opened_total")
                  for bot in replicas]
        resolved_count = [await metric(session, bot, "registry_why_incidents_resolved_total")
                          for bot in replicas]
        still_open = [await metric(session, bot, "registry_why_incidents_open")
                      for bot in replicas]

    resolved = Counter((p["channel"], p["thread_ts"]) for p in posted(slack_api)
                       if p["text"].startswith("Resolved"))
    assert set(resolved) == threads
    assert set(resolved.values()) == {1}, "one resolution message per thread"
    assert all(f"{host} answers again (probe at " in p["text"] for p in posted(slack_api)
               if p["text"].startswith("Resolved"))
    assert len(posted(slack_api, ONCALL)) == 1, "still one card"
    assert (sum(opened), sum(resolved_count)) == (1, 1), "opened once, resolved once"
    assert still_open == [0] * len(replicas)
    final = [c.body for c in slack_api.calls("chat.update")
             if c.body["channel"] == ONCALL][-1]
    assert final["text"].startswith(f"Incident resolved on {host}")
    assert ":white_check_mark:" in json.dumps(final["blocks"])
