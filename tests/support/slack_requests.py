"""Requests as Slack sends them (signed exactly like Slack signs), and a bot served for real.

``running_bot`` starts the bot's HTTP server on a free loopback port, wired to the Slack
stand-in; tests then post signed events, commands and button clicks to it over HTTP.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp

from bot.settings import Settings
from bot.slack.app import Runtime, build_runtime
from bot.slack.server import RunningBot, start
from bot.store import Store
from tests.support.slack_api import APP_ID, BOT_TOKEN, BOT_USER_ID, TEAM_ID, SlackApi

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
USER = "U0PERSON1"
CHANNEL = "C0INCIDENT"
_ts = itertools.count(1)


def new_ts() -> str:
    """A fresh, unique message timestamp."""
    return f"{int(time.time())}.{next(_ts):06d}"


def sign(body: str | bytes, secret: str = SIGNING_SECRET,
         timestamp: int | None = None) -> dict[str, str]:
    """Slack's request signature headers: ``v0=`` HMAC-SHA256 over ``v0:timestamp:body``."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    raw = body.encode() if isinstance(body, str) else body
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + raw, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def message_event(text: str, *, channel: str = CHANNEL, ts: str | None = None,
                  user: str | None = USER, **extra: Any) -> dict[str, Any]:
    """A ``message`` event as the Events API delivers it."""
    event = {"type": "message", "channel": channel, "ts": ts or new_ts(), "text": text,
             "channel_type": "channel", **extra}
    if user is not None:
        event["user"] = user
    return event


def mention_event(text: str, *, channel: str = CHANNEL, ts: str | None = None,
                  **extra: Any) -> dict[str, Any]:
    """An ``app_mention`` event; ``text`` should contain ``<@BOT_USER_ID>``."""
    return {"type": "app_mention", "channel": channel, "ts": ts or new_ts(), "text": text,
            "user": USER, **extra}


def event_callback(event: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    """The Events API envelope around an event."""
    return {
        "token": "legacy-verification-token", "team_id": TEAM_ID, "api_app_id": APP_ID,
        "type": "event_callback", "event": event,
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
    }


def command_payload(text: str, response_url: str, *, channel: str = CHANNEL) -> dict[str, str]:
    """The fields of a ``/registry-why`` slash command."""
    return {
        "token": "legacy-verification-token", "team_id": TEAM_ID, "team_domain": "local",
        "channel_id": channel, "channel_name": "incident", "user_id": USER,
        "user_name": "person", "command": "/registry-why", "text": text,
        "api_app_id": APP_ID, "response_url": response_url,
        "trigger_id": f"trig.{uuid.uuid4().hex[:8]}",
    }


def block_action(action_id: str, value: str, response_url: str, *,
                 message: dict[str, Any] | None = None, channel: str = CHANNEL,
                 user: str = USER) -> dict[str, Any]:
    """A ``block_actions`` payload for a click on a button; no ``message`` means the button
    was on an ephemeral message."""
    container: dict[str, Any] = {"type": "message", "channel_id": channel,
                                 "is_ephemeral": message is None,
                                 "message_ts": message["ts"] if message else new_ts()}
    payload: dict[str, Any] = {
        "type": "block_actions", "team": {"id": TEAM_ID}, "user": {"id": user},
        "api_app_id": APP_ID, "token": "legacy-verification-token", "container": container,
        "trigger_id": f"trig.{uuid.uuid4().hex[:8]}", "channel": {"id": channel},
        "response_url": response_url,
        "actions": [{"type": "button", "action_id": action_id, "block_id": "b",
                     "value": value, "action_ts": str(time.time())}],
    }
    if message is not None:
        payload["message"] = message
    return payload


def message_shortcut(message: dict[str, Any], response_url: str, *,
                     channel: str = CHANNEL) -> dict[str, Any]:
    """A ``message_action`` payload for the "Explain registry error" shortcut."""
    return {
        "type": "message_action", "callback_id": "explain_registry_error",
        "team": {"id": TEAM_ID}, "user": {"id": USER}, "channel": {"id": channel},
        "message": message, "message_ts": message["ts"], "response_url": response_url,
        "trigger_id": f"trig.{uuid.uuid4().hex[:8]}", "token": "legacy-verification-token",
        "action_ts": str(time.time()),
    }


def bot_settings(slack_api: SlackApi, **overrides: Any) -> Settings:
    """Settings for a bot talking to the stand-in, independent of the environment."""
    values: dict[str, Any] = {
        "slack_bot_token": BOT_TOKEN, "slack_signing_secret": SIGNING_SECRET,
        "slack_app_token": None, "slack_api_url": slack_api.base_url, "redis_url": None,
        "redis_prefix": "rw-test", "host": "127.0.0.1", "port": 0, "auto_reply": True,
        "confidence_threshold": 0.8, "repeat_window": 1800, "channels": {},
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class BotUnderTest:
    """A bot served over HTTP on loopback, and ways to talk to it as Slack does."""

    running: RunningBot
    url: str
    session: aiohttp.ClientSession

    @property
    def runtime(self) -> Runtime:
        return self.running.runtime

    async def post(self, body: str, content_type: str, *, signed: bool = True,
                   secret: str = SIGNING_SECRET, timestamp: int | None = None,
                   headers: dict[str, str] | None = None) -> tuple[int, str]:
        """POST a raw body to ``/slack/events``; returns status and response text."""
        all_headers = {"Content-Type": content_type, **(headers or {})}
        if signed:
            all_headers.update(sign(body, secret, timestamp))
        async with self.session.post(f"{self.url}/slack/events", data=body.encode(),
                                     headers=all_headers) as response:
            return response.status, await response.text()

    async def event(self, payload: dict[str, Any], *, retry_num: int = 0) -> int:
        """Deliver an Events API payload (a retry when ``retry_num`` > 0)."""
        headers = ({"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
                   if retry_num else {})
        status, _ = await self.post(json.dumps(payload), "application/json", headers=headers)
        return status

    async def command(self, fields: dict[str, str]) -> int:
        """Deliver a slash command."""
        status, _ = await self.post(urlencode(fields), "application/x-www-form-urlencoded")
        return status

    async def interact(self, payload: dict[str, Any]) -> int:
        """Deliver an interactivity payload (button click, shortcut)."""
        body = urlencode({"payload": json.dumps(payload)})
        status, _ = await self.post(body, "application/x-www-form-urlencoded")
        return status

    async def settle(self, timeout: float = 5.0) -> None:
        """Wait until every listener run started so far has finished."""
        assert await self.runtime.in_flight.wait_idle(timeout), "listeners still running"

    async def get(self, path: str) -> tuple[int, dict[str, Any]]:
        async with self.session.get(f"{self.url}{path}") as response:
            return response.status, await response.json()


@asynccontextmanager
async def running_bot(slack_api: SlackApi, *, store: Store | None = None,
                      **overrides: Any) -> AsyncIterator[BotUnderTest]:
    """Serve a bot on a free loopback port; ``overrides`` adjust its Settings."""
    settings = bot_settings(slack_api, **overrides)
    running = await start(settings, runtime=build_runtime(settings, store=store), port=0)
    try:
        async with aiohttp.ClientSession() as session:
            yield BotUnderTest(running, f"http://127.0.0.1:{running.port}", session)
    finally:
        await running.stop()
