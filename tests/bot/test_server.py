"""The server for real: HTTP mode on a loopback port with signed requests, Socket Mode against a
local stand-in, health endpoints, and ``serve`` as ``registry-why serve`` runs it."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis

from bot.settings import SettingsError, load_settings
from bot.slack.app import build_runtime
from bot.slack.server import SOCKET_RETRY_FIRST, RunningBot, serve, start
from tests.support.pastes import DOCKER_HUB_RATE_LIMIT, ECR_NO_CREDENTIALS
from tests.support.ports import free_port
from tests.support.redis_server import RedisServer
from tests.support.slack_api import APP_TOKEN, BOT_TOKEN, RESPONSE_URL_METHOD, SlackApi
from tests.support.slack_requests import (
    SIGNING_SECRET,
    bot_settings,
    command_payload,
    event_callback,
    message_event,
    running_bot,
    sign,
)

ROOT = Path(__file__).resolve().parents[2]


async def test_signed_event_is_acked_and_answered(slack_api: SlackApi) -> None:
    async with running_bot(slack_api) as bot:
        started = time.monotonic()
        status = await bot.event(event_callback(message_event(ECR_NO_CREDENTIALS)))
        assert status == 200
        assert time.monotonic() - started < 1.0
        posted = await slack_api.wait_for("chat.postMessage")
        assert posted[0].headers["authorization"] == f"Bearer {BOT_TOKEN}"


@pytest.mark.parametrize(
    ("how", "kwargs", "age"),
    [
        pytest.param("unsigned", {"signed": False}, 0, id="unsigned"),
        pytest.param("wrong secret", {"secret": "not-the-signing-secret"}, 0,
                     id="wrong-signature"),
        pytest.param("stale", {}, 301, id="older-than-5-min"),
        pytest.param("future", {}, -301, id="newer-than-5-min"),
    ],
)
async def test_requests_not_signed_by_slack_are_rejected(
    slack_api: SlackApi, how: str, kwargs: dict[str, Any], age: int
) -> None:
    async with running_bot(slack_api) as bot:
        body = json.dumps(event_callback(message_event(ECR_NO_CREDENTIALS)))
        if age:
            kwargs = {"timestamp": int(time.time()) - age}
        status, _ = await bot.post(body, "application/json", **kwargs)
        assert status == 401, how
        # The same request, properly signed, is accepted: only the signature differed.
        ok, _ = await bot.post(body, "application/json")
        assert ok == 200
        await slack_api.wait_for("chat.postMessage")
        await bot.settle()
        assert len(slack_api.calls("chat.postMessage")) == 1


async def test_tampered_body_is_rejected(slack_api: SlackApi) -> None:
    async with running_bot(slack_api) as bot:
        body = json.dumps(event_callback(message_event(ECR_NO_CREDENTIALS)))
        headers = sign(body)
        tampered = body.replace("C0INCIDENT", "C0ELSEWHERE")
        async with bot.session.post(f"{bot.url}/slack/events", data=tampered.encode(),
                                    headers={"Content-Type": "application/json", **headers}) as r:
            assert r.status == 401
        await bot.settle()
        assert slack_api.calls("chat.postMessage") == []


async def test_url_verification_challenge(slack_api: SlackApi) -> None:
    async with running_bot(slack_api) as bot:
        body = json.dumps({"token": "t", "challenge": "c-123", "type": "url_verification"})
        status, text = await bot.post(body, "application/json")
        assert (status, json.loads(text)) == (200, {"challenge": "c-123"})


async def test_health_and_readiness(slack_api: SlackApi, clean_redis: RedisServer) -> None:
    async with running_bot(slack_api, redis_url=clean_redis.url) as bot:
        assert await bot.get("/healthz") == (200, {"status": "ok"})
        assert await bot.get("/readyz") == (200, {"ready": True, "slack": "ok", "redis": "ok"})
        clean_redis.stop()
        # The bot still answers (from this replica's memory): ready, with Redis degraded, so
        # a Redis blip does not take every replica out of the Service.
        assert await bot.get("/readyz") == (
            200, {"ready": True, "slack": "ok", "redis": "degraded: unavailable"})
        clean_redis.start()
        assert await bot.get("/readyz") == (200, {"ready": True, "slack": "ok", "redis": "ok"})


def _read_only(server: RedisServer) -> Iterator[None]:
    # A replica of a primary that is gone, as after a failover the bot was not told about.
    client = redis.Redis(port=server.port)
    client.replicaof("127.0.0.1", str(free_port()))
    try:
        yield
    finally:
        client.replicaof("NO", "ONE")
        client.close()


def _out_of_memory(server: RedisServer) -> Iterator[None]:
    client = redis.Redis(port=server.port)
    client.config_set("maxmemory", "1")
    try:
        yield
    finally:
        client.config_set("maxmemory", "0")
        client.close()


@pytest.mark.parametrize("fault", [_read_only, _out_of_memory], ids=["read-only", "oom"])
async def test_redis_refusing_writes_still_gets_answers_and_is_degraded(
    slack_api: SlackApi, clean_redis: RedisServer,
    fault: Callable[[RedisServer], Iterator[None]],
) -> None:
    with contextmanager(fault)(clean_redis):
        async with running_bot(slack_api, redis_url=clean_redis.url) as bot:
            status, body = await bot.get("/readyz")
            # PING alone would pass.
            assert (status, body["redis"]) == (200, "degraded: unavailable")
            event = event_callback(message_event(ECR_NO_CREDENTIALS))
            for retry in range(3):
                assert await bot.event(event, retry_num=retry) == 200
            assert await bot.command(command_payload(ECR_NO_CREDENTIALS,
                                                     slack_api.response_url())) == 200
            await slack_api.wait_for(RESPONSE_URL_METHOD)
            await bot.settle()
            assert len(slack_api.calls("chat.postMessage")) == 1  # retries still de-duplicated


async def test_not_ready_until_slack_accepts_the_token(slack_api: SlackApi) -> None:
    # Each auth.test is one call and two retries: the one at startup, and (depending on
    # timing) the one the first readiness check starts, fail.
    slack_api.fail("auth.test", status=500, times=6)
    async with running_bot(slack_api) as bot:
        status, body = await bot.get("/readyz")
        assert (status, body) == (503, {"ready": False,
                                        "slack": "auth.test failed (internal_error)"})
        for _ in range(2):  # auth.test is tried again on each check, and passes
            status, body = await bot.get("/readyz")
            if status == 200:
                break
        assert (status, body) == (200, {"ready": True, "slack": "ok"})


@asynccontextmanager
async def silent_slack() -> AsyncIterator[str]:
    """A Slack API base URL on loopback that accepts connections, reads, and never replies."""
    connections: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        while await reader.read(65536):
            pass

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/api/"
    finally:
        server.close()
        for writer in connections:
            writer.close()


@pytest.mark.parametrize("socket_mode", [False, True], ids=["http", "socket"])
async def test_readyz_answers_in_time_and_says_why_when_slack_never_replies(
    slack_api: SlackApi, clean_redis: RedisServer, socket_mode: bool,
) -> None:
    async with silent_slack() as url:
        settings = bot_settings(slack_api, slack_api_url=url, redis_url=clean_redis.url,
                                slack_app_token=APP_TOKEN if socket_mode else None)
        running = await start(settings, runtime=build_runtime(settings), port=0)
        try:
            async with aiohttp.ClientSession() as session:
                for _ in range(2):  # the first check, and one that finds the call in progress
                    started = time.monotonic()
                    async with session.get(f"http://127.0.0.1:{running.port}/readyz") as resp:
                        status, body = resp.status, await resp.json()
                    assert time.monotonic() - started < 2.0
                    assert status == 503
                    assert re.fullmatch(r"auth\.test: no answer from Slack after \d+\.\d s",
                                        body["slack"]), body
                    assert body["redis"] == "ok"
                    if socket_mode:
                        assert body["socket_mode"].startswith("connecting")
        finally:
            await asyncio.wait_for(running.stop(), 5)


def test_serve_refuses_to_start_without_tokens() -> None:
    with pytest.raises(SettingsError, match="SLACK_BOT_TOKEN"):
        serve(load_settings(slack_bot_token=None, slack_signing_secret=None,
                            slack_app_token=None))


# --- Socket Mode --------------------------------------------------------------------------


@asynccontextmanager
async def socket_mode_bot(slack_api: SlackApi) -> AsyncIterator[RunningBot]:
    settings = bot_settings(slack_api, slack_app_token=APP_TOKEN, slack_signing_secret=None)
    running = await start(settings, runtime=build_runtime(settings), port=0)
    try:
        yield running
    finally:
        await running.stop()


async def test_socket_mode_acks_and_answers(slack_api: SlackApi) -> None:
    async with socket_mode_bot(slack_api) as running:
        await slack_api.wait_connections(1)
        opened = slack_api.calls("apps.connections.open")
        assert opened[0].headers["authorization"] == f"Bearer {APP_TOKEN}"

        envelope = await slack_api.push(
            "events_api", event_callback(message_event(DOCKER_HUB_RATE_LIMIT)))
        assert (await slack_api.wait_ack(envelope))["envelope_id"] == envelope
        posted = await slack_api.wait_for("chat.postMessage")
        assert posted[0].body["thread_ts"]

        command = await slack_api.push("slash_commands", command_payload(
            ECR_NO_CREDENTIALS, slack_api.response_url("cmd")))
        await slack_api.wait_ack(command)
        answer = await slack_api.wait_for(RESPONSE_URL_METHOD)
        assert answer[0].body["response_type"] == "ephemeral"

        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{running.port}"
            async with session.get(f"{url}/readyz") as response:
                assert await response.json() == {"ready": True, "slack": "ok",
                                                 "socket_mode": "ok"}
            async with session.post(f"{url}/slack/events", data=b"{}") as response:
                assert response.status in (404, 405)  # no HTTP endpoint in Socket Mode


async def test_socket_mode_reconnects_when_slack_asks(slack_api: SlackApi) -> None:
    async with socket_mode_bot(slack_api):
        await slack_api.wait_connections(1)
        await slack_api.disconnect("refresh_requested")
        await slack_api.wait_connections(2)
        assert len(slack_api.calls("apps.connections.open")) == 2
        envelope = await slack_api.push(
            "events_api", event_callback(message_event(ECR_NO_CREDENTIALS)))
        await slack_api.wait_ack(envelope)
        await slack_api.wait_for("chat.postMessage")


async def test_socket_mode_redelivery_is_acked_but_answered_once(slack_api: SlackApi) -> None:
    async with socket_mode_bot(slack_api) as running:
        await slack_api.wait_connections(1)
        payload = event_callback(message_event(ECR_NO_CREDENTIALS))
        first = await slack_api.push("events_api", payload)
        again = await slack_api.push("events_api", payload, retry_attempt=1,
                                     retry_reason="timeout")
        await slack_api.wait_ack(first)
        await slack_api.wait_ack(again)
        await slack_api.wait_for("chat.postMessage")
        assert await running.runtime.in_flight.wait_idle(5)
        assert len(slack_api.calls("chat.postMessage")) == 1


async def test_socket_mode_refused_app_token_keeps_health_up_and_retries(
    slack_api: SlackApi,
) -> None:
    settings = bot_settings(slack_api, slack_app_token="xapp-1-A0-1-revoked",
                            slack_signing_secret=None)
    # Before the health server was started first, start() never returned here.
    running = await asyncio.wait_for(start(settings, runtime=build_runtime(settings), port=0), 5)
    try:
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{running.port}"
            async with session.get(f"{url}/healthz") as response:
                assert response.status == 200
            await slack_api.wait_for("apps.connections.open", 2)  # tried again, after a wait
            opened = slack_api.calls("apps.connections.open")
            assert opened[1].at - opened[0].at >= SOCKET_RETRY_FIRST * 0.9
            async with session.get(f"{url}/readyz") as response:
                assert response.status == 503
                state = (await response.json())["socket_mode"]
                assert re.fullmatch(r"connecting: attempt \d+ failed \(invalid_auth\)", state)
    finally:
        await asyncio.wait_for(running.stop(), 5)  # stops while still trying to connect


# --- registry-why serve -------------------------------------------------------------------


def test_serve_runs_until_sigterm(slack_api_sync_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "REDIS_"))}
    env.update(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
               SLACK_API_URL=slack_api_sync_url, PORT="0", REGISTRY_WHY_HOST="127.0.0.1",
               PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]))
    code = ("from bot.slack.server import serve; from bot.settings import load_settings; "
            "serve(load_settings())")
    process = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env,
                               stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        deadline = time.monotonic() + 20
        line = ""
        while "serving in HTTP mode" not in line:
            assert time.monotonic() < deadline, "serve did not start"
            line = process.stderr.readline()
            assert line or process.poll() is None, "serve exited early"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


@pytest.fixture
def slack_api_sync_url() -> str:
    """A base URL that refuses connections: enough for ``serve`` to start (not ready)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/"


async def test_a_host_that_does_not_resolve_is_a_settings_error(slack_api: SlackApi) -> None:
    settings = bot_settings(slack_api, host="my-host.invalid")
    with pytest.raises(SettingsError, match=r"REGISTRY_WHY_HOST.*my-host\.invalid"):
        await start(settings, port=0)


async def test_signing_secret_pasted_with_a_newline_still_verifies(slack_api: SlackApi) -> None:
    async with running_bot(slack_api, slack_signing_secret=SIGNING_SECRET + "\n") as bot:
        assert await bot.event(event_callback(message_event(ECR_NO_CREDENTIALS))) == 200
        await slack_api.wait_for("chat.postMessage")
