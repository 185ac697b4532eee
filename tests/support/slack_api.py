"""A local stand-in for Slack: the Web API, response URLs and Socket Mode, on 127.0.0.1.

The bot reaches it through ``SLACK_API_URL`` (and through the ``response_url`` in the payloads
the tests send), exactly as it would reach slack.com. Every call is recorded with its method,
parsed body and raw bytes, so tests assert on what the bot *sent*, and faults (429 with
``Retry-After``, 500, slow answers) can be queued per method.

Socket Mode: ``apps.connections.open`` hands out a ``ws://`` URL to this same server; tests push
envelopes, wait for their acks and send ``disconnect`` messages the way Slack does.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import pytest
from aiohttp import WSMsgType, web

BOT_TOKEN = "xoxb-test-bot-token"
APP_TOKEN = "xapp-test-app-token"
BOT_USER_ID = "UBOT0001"
BOT_ID = "BBOT0001"
TEAM_ID = "T0000001"
APP_ID = "A0000001"
RESPONSE_URL_METHOD = "response_url"
"""The method name recorded for posts to a response URL."""


@dataclass
class Call:
    """One request the bot made to the stand-in, and what the stand-in answered."""

    method: str
    body: dict[str, Any]
    raw: bytes
    headers: dict[str, str]
    at: float
    """``time.monotonic()`` when the request arrived."""
    response: dict[str, Any] | None = None
    path: str = ""


@dataclass
class _Fault:
    status: int
    retry_after: int | None
    delay: float
    times: int


@dataclass
class _Envelope:
    envelope_id: str
    acked: asyncio.Event = field(default_factory=asyncio.Event)
    ack: dict[str, Any] | None = None


def _parse_body(raw: bytes, content_type: str, query: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = dict(query)
    if not raw:
        return body
    if "json" in content_type:
        body.update(json.loads(raw))
        return body
    for key, value in parse_qsl(raw.decode(), keep_blank_values=True):
        # The SDK form-encodes some arguments and JSON-encodes nested ones (blocks, view).
        body[key] = json.loads(value) if value[:1] in "[{" else value
    return body


class SlackApi:
    """The stand-in's state and the controls tests use."""

    def __init__(self) -> None:
        self.base_url = ""
        self._calls: list[Call] = []
        self._changed = asyncio.Condition()
        self._faults: dict[str, list[_Fault]] = {}
        self._replies: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._ts = itertools.count(1)
        self._sockets: list[web.WebSocketResponse] = []
        self._envelopes: dict[str, _Envelope] = {}
        self.connections_opened = 0

    # --- controls -----------------------------------------------------------------------

    def response_url(self, name: str = "r1") -> str:
        """A response URL that posts back here, recorded as method ``response_url``."""
        return f"{self.base_url.removesuffix('api/')}response/{name}"

    def fail(
        self, method: str, *, status: int = 500, retry_after: int | None = None, times: int = 1
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with ``status`` (429: ``ratelimited``)."""
        self._faults.setdefault(method, []).append(_Fault(status, retry_after, 0.0, times))

    def slow(self, method: str, seconds: float, *, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` normally, but only after ``seconds``."""
        self._faults.setdefault(method, []).append(_Fault(200, None, seconds, times))

    def set_replies(self, channel: str, ts: str, messages: list[dict[str, Any]]) -> None:
        """What ``conversations.replies`` returns for the thread ``(channel, ts)``."""
        self._replies[(channel, ts)] = messages

    def calls(self, method: str | None = None) -> list[Call]:
        """Recorded calls, oldest first; only those of ``method`` when given."""
        return [c for c in self._calls if method is None or c.method == method]

    def reset(self) -> None:
        """Forget the calls recorded so far (long load runs)."""
        self._calls.clear()

    def recorded_bytes(self) -> bytes:
        """Every request body received so far, concatenated (for leak checks)."""
        return b"\n".join(c.raw for c in self._calls)

    async def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Wait until at least ``count`` calls of ``method`` arrived; fail after ``timeout``."""

        def enough() -> bool:
            return len(self.calls(method)) >= count

        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(enough), timeout)
            except TimeoutError:
                got = [c.method for c in self._calls]
                pytest.fail(f"expected {count} {method} call(s) within {timeout}s; got {got}")
        return self.calls(method)

    # --- Socket Mode ----------------------------------------------------------------------

    async def wait_connections(self, count: int, timeout: float = 5.0) -> None:
        """Wait until ``count`` WebSocket connections have been opened in total."""
        async with self._changed:
            try:
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: self.connections_opened >= count), timeout
                )
            except TimeoutError:
                pytest.fail(f"expected {count} Socket Mode connection(s), got "
                            f"{self.connections_opened} within {timeout}s")

    async def push(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        retry_attempt: int = 0,
        retry_reason: str = "",
    ) -> str:
        """Send an envelope (``events_api``, ``slash_commands``, ``interactive``) to the newest
        open connection and return its envelope id."""
        if not self._sockets:
            pytest.fail("no open Socket Mode connection to push to")
        envelope_id = str(uuid.uuid4())
        self._envelopes[envelope_id] = _Envelope(envelope_id)
        await self._sockets[-1].send_json({
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": retry_attempt,
            "retry_reason": retry_reason,
        })
        return envelope_id

    async def wait_ack(self, envelope_id: str, timeout: float = 3.0) -> dict[str, Any]:
        """The ack the bot sent for an envelope; fails when none came within ``timeout``
        (Slack's own limit is 3 seconds)."""
        envelope = self._envelopes[envelope_id]
        try:
            await asyncio.wait_for(envelope.acked.wait(), timeout)
        except TimeoutError:
            pytest.fail(f"envelope {envelope_id} was not acknowledged within {timeout}s")
        assert envelope.ack is not None
        return envelope.ack

    async def disconnect(self, reason: str = "refresh_requested") -> None:
        """Tell every open connection to reconnect, as Slack does before refreshing a link."""
        for socket in list(self._sockets):
            await socket.send_json({
                "type": "disconnect", "reason": reason, "debug_info": {"host": "applink-local"},
            })

    # --- server side --------------------------------------------------------------------

    async def _record(self, method: str, request: web.Request) -> Call:
        raw = await request.read()
        call = Call(
            method=method,
            body=_parse_body(raw, request.content_type, dict(request.query)),
            raw=raw,
            headers={k.lower(): v for k, v in request.headers.items()},
            at=time.monotonic(),
            path=request.path,
        )
        async with self._changed:
            self._calls.append(call)
            self._changed.notify_all()
        return call

    async def _fault_for(self, method: str) -> web.Response | None:
        queue = self._faults.get(method)
        if not queue:
            return None
        fault = queue[0]
        fault.times -= 1
        if fault.times <= 0:
            queue.pop(0)
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if fault.status == 200:
            return None
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        error = "ratelimited" if fault.status == 429 else "internal_error"
        return web.json_response({"ok": False, "error": error}, status=fault.status,
                                 headers=headers)

    def _answer(self, call: Call) -> dict[str, Any]:
        body = call.body
        match call.method:
            case "auth.test":
                return {"ok": True, "url": "https://local.slack.invalid/", "team": "Local",
                        "user": "registry-why", "team_id": TEAM_ID, "user_id": BOT_USER_ID,
                        "bot_id": BOT_ID, "is_enterprise_install": False}
            case "chat.postMessage":
                ts = f"{1700000000 + next(self._ts)}.000100"
                return {"ok": True, "channel": body.get("channel"), "ts": ts,
                        "message": {"text": body.get("text"), "ts": ts, "bot_id": BOT_ID}}
            case "chat.postEphemeral":
                return {"ok": True, "message_ts": f"{1700000000 + next(self._ts)}.000200"}
            case "chat.update":
                return {"ok": True, "channel": body.get("channel"), "ts": body.get("ts")}
            case "chat.getPermalink":
                message = str(body.get("message_ts", "")).replace(".", "")
                return {"ok": True, "channel": body.get("channel"),
                        "permalink": f"https://local.slack.invalid/archives/"
                                     f"{body.get('channel')}/p{message}"}
            case "conversations.replies":
                messages = self._replies.get((str(body.get("channel")), str(body.get("ts"))))
                if messages is None:
                    return {"ok": False, "error": "thread_not_found"}
                return {"ok": True, "messages": messages, "has_more": False}
            case "views.publish":
                return {"ok": True, "view": {"id": "V0000001", **body.get("view", {})}}
            case "apps.connections.open":
                if call.headers.get("authorization") != f"Bearer {APP_TOKEN}":
                    return {"ok": False, "error": "invalid_auth"}
                ws = self.base_url.replace("http://", "ws://").removesuffix("api/")
                return {"ok": True, "url": f"{ws}link/?ticket={uuid.uuid4()}&app_id={APP_ID}"}
            case _:
                return {"ok": False, "error": "unknown_method"}

    async def _api(self, request: web.Request) -> web.StreamResponse:
        call = await self._record(request.match_info["method"], request)
        if (fault := await self._fault_for(call.method)) is not None:
            return fault
        call.response = self._answer(call)
        return web.json_response(call.response)

    async def _response_url(self, request: web.Request) -> web.StreamResponse:
        await self._record(RESPONSE_URL_METHOD, request)
        if (fault := await self._fault_for(RESPONSE_URL_METHOD)) is not None:
            return fault
        return web.Response(text="ok")

    async def _link(self, request: web.Request) -> web.StreamResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        async with self._changed:
            self._sockets.append(socket)
            self.connections_opened += 1
            self._changed.notify_all()
        await socket.send_json({"type": "hello", "num_connections": len(self._sockets),
                                "connection_info": {"app_id": APP_ID}})
        try:
            async for message in socket:
                if message.type == WSMsgType.TEXT:
                    self._on_ack(json.loads(message.data))
        finally:
            self._sockets.remove(socket)
        return socket

    def _on_ack(self, data: dict[str, Any]) -> None:
        envelope = self._envelopes.get(str(data.get("envelope_id")))
        if envelope is not None:
            envelope.ack = data
            envelope.acked.set()

    def application(self) -> web.Application:
        """The aiohttp application serving the stand-in."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{name}", self._response_url)
        app.router.add_get("/link/", self._link)
        return app

    async def close_sockets(self) -> None:
        for socket in list(self._sockets):
            await socket.close()


Api = TypeVar("Api", bound=SlackApi)


@asynccontextmanager
async def serving(api: Api) -> AsyncIterator[Api]:
    """Serve ``api`` on a free loopback port, its ``base_url`` (ending in ``/api/``) set, until
    the block ends; its Socket Mode connections are closed then."""
    runner = web.AppRunner(api.application(), handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    api.base_url = f"http://127.0.0.1:{runner.addresses[0][1]}/api/"
    try:
        yield api
    finally:
        await api.close_sockets()
        await runner.cleanup()


@pytest.fixture
async def slack_api() -> AsyncIterator[SlackApi]:
    """A running Slack stand-in on a free loopback port; ``base_url`` ends in ``/api/``."""
    async with serving(SlackApi()) as api:
        yield api
