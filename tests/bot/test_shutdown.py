"""Graceful shutdown: on SIGTERM ``registry-why serve`` takes no new work, finishes the replies
in progress (within a bound), closes Socket Mode cleanly, and exits 0."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from pathlib import Path
from typing import cast

import aiohttp
import pytest
from aiohttp import web

from bot.observe import EVENTS_LOGGER, FIELDS
from bot.slack.app import build_runtime
from bot.slack.server import start
from tests.support.bot_process import BotProcess, bot_processes
from tests.support.pastes import ECR_NO_CREDENTIALS
from tests.support.slack_api import APP_TOKEN, SlackApi, serving
from tests.support.slack_requests import bot_settings, event_callback, message_event, sign

SLOW_REPLY = 2.0
"""Seconds the Slack stand-in takes to answer the reply being worked on at SIGTERM."""


class ClosingSlackApi(SlackApi):
    """The stand-in, also recording how each Socket Mode connection was closed."""

    def __init__(self) -> None:
        super().__init__()
        self.close_codes: list[int | None] = []

    async def _link(self, request: web.Request) -> web.StreamResponse:
        link = cast(web.WebSocketResponse, await super()._link(request))
        self.close_codes.append(link.close_code)
        return link


def refuses_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return False
    except OSError:
        return True


async def exit_status(bot: BotProcess, timeout: float) -> int:
    return await asyncio.to_thread(bot.wait, timeout)


async def test_sigterm_in_http_mode_finishes_the_reply_and_refuses_new_work(
    slack_api: SlackApi, tmp_path: Path
) -> None:
    slack_api.slow("chat.postMessage", SLOW_REPLY)
    async with bot_processes(1, slack_api.base_url, tmp_path) as [bot]:
        body = json.dumps(event_callback(message_event(ECR_NO_CREDENTIALS)))
        async with aiohttp.ClientSession() as session, session.post(
                f"{bot.url}/slack/events", data=body.encode(),
                headers={"Content-Type": "application/json", **sign(body)}) as response:
            assert response.status == 200  # acked: from here on the reply is ours to finish
        await slack_api.wait_for("chat.postMessage")  # the reply is on its way, slowly
        stopped_at = time.monotonic()
        bot.terminate()

        deadline = stopped_at + SLOW_REPLY / 2
        while not refuses_connections(bot.port):
            assert time.monotonic() < deadline, "still accepting connections after SIGTERM"
            await asyncio.sleep(0.02)
        assert bot.process.poll() is None  # ...while it still finishes the reply

        assert await exit_status(bot, 15) == 0
        took = time.monotonic() - stopped_at
        [handled] = bot.handled()
    assert SLOW_REPLY * 0.5 < took < SLOW_REPLY + 5
    assert (handled["replies"], handled["lost"]) == (1, 0)
    messages = [line["message"] for line in bot.log_lines()]
    assert "waiting up to 10 s for 1 replies in progress" in messages
    assert messages[-1] == "stopped"


async def test_sigterm_in_socket_mode_closes_the_connection_cleanly(tmp_path: Path) -> None:
    async with serving(ClosingSlackApi()) as api:
        api.slow("chat.postMessage", SLOW_REPLY)
        async with bot_processes(1, api.base_url, tmp_path, SLACK_APP_TOKEN=APP_TOKEN) as [bot]:
            await api.wait_connections(1)
            envelope = await api.push(
                "events_api", event_callback(message_event(ECR_NO_CREDENTIALS)))
            await api.wait_ack(envelope)
            await api.wait_for("chat.postMessage")
            bot.terminate()
            assert await exit_status(bot, 15) == 0
            [handled] = bot.handled()
            messages = [line["message"] for line in bot.log_lines()]
        assert api.close_codes == [aiohttp.WSCloseCode.OK]  # closed by the bot, not dropped
        assert (handled["mode"], handled["replies"], handled["lost"]) == ("socket", 1, 0)
        assert messages.index("Socket Mode connection closed") < messages.index(
            "request handled")  # closed first: no new envelopes while the reply finishes


async def test_sigterm_while_socket_mode_cannot_connect(
    slack_api: SlackApi, tmp_path: Path
) -> None:
    # The stand-in refuses this app token: Socket Mode keeps retrying in the background.
    async with bot_processes(1, slack_api.base_url, tmp_path,
                             SLACK_APP_TOKEN="xapp-1-A0-1-revoked") as [bot]:
        await slack_api.wait_for("apps.connections.open")
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{bot.url}/healthz") as response:
                assert response.status == 200
            async with session.get(f"{bot.url}/readyz") as response:
                assert response.status == 503
        bot.terminate()
        assert await exit_status(bot, 5) == 0
        messages = [line["message"] for line in bot.log_lines()]
    assert messages[-1] == "stopped"


async def test_replies_still_running_after_the_bound_are_cancelled(
    slack_api: SlackApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    slack_api.slow("chat.postMessage", SLOW_REPLY)
    settings = bot_settings(slack_api)
    running = await start(settings, runtime=build_runtime(settings), port=0)
    try:
        body = json.dumps(event_callback(message_event(ECR_NO_CREDENTIALS)))
        async with aiohttp.ClientSession() as session, session.post(
                f"http://127.0.0.1:{running.port}/slack/events", data=body.encode(),
                headers={"Content-Type": "application/json", **sign(body)}) as response:
            assert response.status == 200
        await slack_api.wait_for("chat.postMessage")
        assert running.runtime.in_flight.running == 1
    finally:
        started = time.monotonic()
        await running.stop(drain_timeout=0.3)
    assert time.monotonic() - started < SLOW_REPLY * 0.75  # did not wait for the reply
    assert running.runtime.in_flight.running == 0
    assert "1 replies still in progress after 0 s; cancelling them (lost)" in caplog.messages
    [record] = [getattr(r, FIELDS) for r in caplog.records if r.name == EVENTS_LOGGER]
    assert (record["outcome"], record["replies"]) == ("failed: CancelledError", 0)


@pytest.fixture(autouse=True)
def _no_stray_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # The in-process bot's Slack client reads proxy variables; the stand-in is on loopback.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
