"""JSON log lines without secrets: the formatter, and ``registry-why serve`` fed secret-laden
pastes through every Slack surface, with every byte it logged scanned for the secrets."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from bot.logs import JsonFormatter, Masker, configure_logging
from bot.observe import FIELDS
from bot.settings import load_settings
from bot.slack.app import build_runtime
from tests.support.bot_process import bot_processes
from tests.support.pastes import ECR_NO_CREDENTIALS, GITHUB_TOKEN, WITH_SECRET
from tests.support.redis_server import RedisServer
from tests.support.slack_api import BOT_TOKEN, BOT_USER_ID, RESPONSE_URL_METHOD, SlackApi
from tests.support.slack_requests import (
    SIGNING_SECRET,
    command_payload,
    event_callback,
    mention_event,
    message_event,
    message_shortcut,
    new_ts,
    running_bot,
    sign,
)

AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq8h2kLmN3"
URL_PASSWORD = "S3cr3tPassw0rdX9q"
LOGIN_PASSWORD = "hunter2-very-secret-77"
SLACK_TOKEN = "xoxb-2841-9937-Zq7RkLmNoPqRsTuVwXyZab"
JWT = ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjaS1ib3QiLCJleHAiOjQxMDI0NDQ4MDB9"
       ".c2lnbmF0dXJlLXZhbHVlLWZvci10ZXN0cw")
DOCKER_PAT = "dckr_pat_Xq9Lm2Np4Rs6Tu8Vw0Yz1Ab3Cd"
CHAT_PASSWORD = "Tr0ub4dor-and-3-horses"
REDIS_PASSWORD = "redis-pass-Kq93mZx7"

PASTES = {
    "message": WITH_SECRET,
    "command": (f"aws_secret_access_key = {AWS_SECRET}\n$ docker pull "
                f"https://deploy:{URL_PASSWORD}@registry.example.com/v2/app/manifests/1\n"
                + ECR_NO_CREDENTIALS),
    "mention": f"<@{BOT_USER_ID}> docker login -p {LOGIN_PASSWORD} ghcr.io\n"
               "Error response from daemon: Get \"https://ghcr.io/v2/\": denied: denied",
    "shortcut": f"SLACK_BOT_TOKEN={SLACK_TOKEN}\nAuthorization: Bearer {JWT}\n"
                + ECR_NO_CREDENTIALS,
    "chat": f"fyi my password={CHAT_PASSWORD} works again, and {DOCKER_PAT} is the new pat",
}
SECRETS = [GITHUB_TOKEN, AWS_SECRET, URL_PASSWORD, LOGIN_PASSWORD, SLACK_TOKEN, JWT,
           DOCKER_PAT, CHAT_PASSWORD, REDIS_PASSWORD, BOT_TOKEN, SIGNING_SECRET]


def test_formatter_writes_one_masked_json_object_per_record() -> None:
    mask = Masker()
    mask.hide(SIGNING_SECRET)
    record = logging.LogRecord("bot.x", logging.ERROR, __file__, 1,
                               "call failed for %s with\n%s", (GITHUB_TOKEN, SIGNING_SECRET),
                               None)
    setattr(record, FIELDS, {"channel": "C1", "note": f"token={CHAT_PASSWORD}", "replies": 2})
    try:
        raise RuntimeError(f"boom {JWT}")
    except RuntimeError:
        record.exc_info = sys.exc_info()
    line = JsonFormatter(mask).format(record)

    assert "\n" not in line
    entry = json.loads(line)
    assert (entry["level"], entry["logger"], entry["channel"], entry["replies"]) == (
        "error", "bot.x", "C1", 2)
    assert entry["time"].endswith("Z")
    assert "[REDACTED github-token]" in entry["message"]
    assert "[REDACTED setting]" in entry["message"]
    assert "RuntimeError" in entry["error"]
    for secret in (GITHUB_TOKEN, SIGNING_SECRET, CHAT_PASSWORD, JWT):
        assert secret not in line


def test_configure_logging_leaves_an_existing_setup_alone() -> None:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = io.StringIO()
    try:
        if not handlers:
            root.addHandler(logging.NullHandler())
        assert configure_logging(stream=stream) is False
        assert configure_logging(level=logging.DEBUG, stream=stream, force=True) is True
        logging.getLogger("bot.test").debug("visible %s", GITHUB_TOKEN)
        logging.getLogger("slack_sdk.web").debug("request body with %s", GITHUB_TOKEN)
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)
    [line] = stream.getvalue().splitlines()  # the library's DEBUG line is not written
    assert json.loads(line)["message"] == "visible [REDACTED github-token]"


def test_http_client_request_lines_are_not_logged() -> None:
    # httpx logs every request's URL at INFO; the probe's token requests name its account.
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = io.StringIO()
    try:
        configure_logging(stream=stream, force=True)
        logging.getLogger("httpx").info(
            "HTTP Request: GET https://auth.example/token?account=robot%24puller \"200 OK\"")
        logging.getLogger("httpcore.connection").info("connect_tcp.started host=auth.example")
        logging.getLogger("httpx").warning("a warning is still written")
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)
    [line] = stream.getvalue().splitlines()
    assert json.loads(line)["message"] == "a warning is still written"


def test_registry_passwords_are_masked_once_loaded(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    password = "registry-pass-Vq83nXc1"
    path = tmp_path / "registries.toml"
    path.write_text('[[registry]]\nhost = "reg.example.com"\nusername = "robot"\n'
                    'password_env = "RW_TEST_REGISTRY_PASSWORD"\nprobe_scopes = ["team/*"]\n')
    monkeypatch.setenv("REGISTRY_WHY_REGISTRIES", str(path))
    monkeypatch.setenv("RW_TEST_REGISTRY_PASSWORD", password)
    # As the bot loads them at start: the runtime hands them to the log's masker.
    assert build_runtime(load_settings(slack_bot_token="xoxb-test",
                                       slack_signing_secret="s")).prober is not None
    record = logging.LogRecord("bot.x", logging.ERROR, __file__, 1, "login with %s failed",
                               (password,), None)
    line = JsonFormatter().format(record)
    assert password not in line
    assert "[REDACTED setting]" in line


async def test_served_bot_never_logs_a_secret(slack_api: SlackApi, tmp_path: Path,
                                              clean_redis: RedisServer) -> None:
    # Redis without a password accepts one given in the URL: the URL is a secret all the same.
    redis_url = f"redis://:{REDIS_PASSWORD}@127.0.0.1:{clean_redis.port}/0"
    slack_api.fail("chat.postMessage", status=500, times=3)  # one reply lost, and logged
    async with bot_processes(1, slack_api.base_url, tmp_path, REDIS_URL=redis_url) as [bot]:
        requests = _requests(slack_api)
        async with aiohttp.ClientSession() as session:
            for sent, (body, content_type, expected) in enumerate(requests, 1):
                headers = {"Content-Type": content_type, **(sign(body) if expected == 200
                                                           else {})}
                async with session.post(f"{bot.url}/slack/events", data=body.encode(),
                                        headers=headers) as response:
                    assert response.status == expected
                if sent == 1:  # its reply fails three times: lost, logged (alone, to be sure)
                    await _wait_for_lines(bot.handled, 1)
        await slack_api.wait_for("chat.postMessage", 6)  # 3 failed, then 3 thread replies
        await slack_api.wait_for(RESPONSE_URL_METHOD)
        await _wait_for_lines(bot.handled, len(requests))
        bot.terminate()
        assert bot.wait() == 0
        output = bot.log_path.read_bytes()
        lines = bot.log_lines()  # every line is JSON

    for secret in SECRETS:
        assert secret.encode() not in output, f"secret {secret[:6]}... reached the log"
        assert secret[4:-4].encode() not in output, f"part of {secret[:6]}... reached the log"
    handled = [line for line in lines if line["message"] == "request handled"]
    assert len(handled) == len(requests)
    assert sorted(line["status"] for line in handled) == [200] * 6 + [401]
    assert [line["lost"] for line in handled].count(1) == 1
    assert any(line["level"] == "error" and "reply lost" in line["message"] for line in lines)
    assert not any(line["logger"].startswith("slack_bolt") and "body" in line["message"]
                   for line in lines)  # Bolt's note quoting the rejected request's body


def _requests(slack_api: SlackApi) -> list[tuple[str, str, int]]:
    """(body, content type, expected status) for each surface, each carrying secrets."""
    form = "application/x-www-form-urlencoded"
    shortcut_message = {"type": "message", "user": "U0OTHER", "ts": new_ts(),
                        "text": PASTES["shortcut"]}
    forged = event_callback(message_event(PASTES["message"]), event_id=f"Ev{GITHUB_TOKEN}")
    return [
        (json.dumps(event_callback(message_event(ECR_NO_CREDENTIALS, channel="C0OTHER"))),
         "application/json", 200),
        (json.dumps(event_callback(message_event(PASTES["message"]))), "application/json", 200),
        (json.dumps(event_callback(message_event(PASTES["chat"]))), "application/json", 200),
        (json.dumps(event_callback(mention_event(PASTES["mention"]))), "application/json", 200),
        (urlencode(command_payload(PASTES["command"], slack_api.response_url("s1"))), form,
         200),
        (urlencode({"payload": json.dumps(message_shortcut(
            shortcut_message, slack_api.response_url("s2")))}), form, 200),
        (json.dumps(forged), "application/json", 401),  # unsigned: rejected, still logged
    ]


async def _wait_for_lines(read: Callable[[], list[Any]], count: int,
                          timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while len(read()) < count:
        if time.monotonic() > deadline:
            pytest.fail(f"expected {count} 'request handled' lines, got {len(read())}")
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("url", [
    "https://hooks.slack.com/commands/T0TEAM/1234567890/qWeRtY1234567890AbCdEfGh",
    "https://hooks.slack.com/actions/T0TEAM/1234567890/qWeRtY1234567890AbCdEfGh",
    "http://127.0.0.1:8080/response/qWeRtY1234567890AbCdEfGh",
])
def test_response_urls_are_masked(url: str) -> None:
    # As the Slack SDK logs a response_url post it is about to retry.
    masked = Masker()(f"A retry handler found: RateLimitRetry for POST {url} - rate_limited")
    assert "qWeRtY" not in masked
    assert "[REDACTED response_url]" in masked


async def test_a_retried_response_url_post_is_logged_without_its_url(
    slack_api: SlackApi,
) -> None:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = io.StringIO()
    try:
        configure_logging(stream=stream, force=True)
        async with running_bot(slack_api) as bot:
            slack_api.fail(RESPONSE_URL_METHOD, status=429, retry_after=0)
            url = slack_api.response_url("qWeRtY1234567890AbCdEfGh")
            await bot.command(command_payload(ECR_NO_CREDENTIALS, url))
            await slack_api.wait_for(RESPONSE_URL_METHOD, 2)
            await bot.settle()
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)
    # The stand-in's own access log (not the bot's: it logs no access lines) is left out.
    lines = [line for line in stream.getvalue().splitlines()
             if json.loads(line)["logger"] != "aiohttp.access"]
    assert any("RateLimitRetry" in line for line in lines)  # the SDK logged the retried post
    assert all("qWeRtY" not in line for line in lines)
