"""Serving the bot: HTTP mode or Socket Mode, with ``/healthz`` and ``/readyz`` either way.

HTTP mode (no ``SLACK_APP_TOKEN``) serves Slack's events, commands and interactivity at
``/slack/events`` on ``PORT``. Socket Mode connects out to Slack instead (no public URL), and
still serves the health endpoints on ``PORT`` for orchestrators::

    serve(load_settings())                # blocking, for ``registry-why serve``
    bot = await start(settings, port=0)   # non-blocking, for tests: bot.port, bot.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass

from aiohttp import ClientError, web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.errors import SlackApiError

from bot.app import Runtime, build_runtime
from bot.settings import Settings

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
DRAIN_TIMEOUT = 10.0
"""Seconds a stopping bot waits for replies already being worked on."""


class Health:
    """Liveness and readiness: Slack accepted our token, the store answers, Socket Mode is
    connected (in that mode)."""

    def __init__(self, runtime: Runtime, socket: AsyncSocketModeHandler | None) -> None:
        self._runtime = runtime
        self._socket = socket
        self.slack_ok = False

    async def check_slack(self) -> bool:
        """Call ``auth.test`` until it has passed once."""
        if not self.slack_ok:
            try:
                result = await self._runtime.client.auth_test()
            except (SlackApiError, ClientError, OSError, TimeoutError) as exc:
                log.error("Slack auth.test failed: %s", exc)
                return False
            self.slack_ok = True
            log.info("connected to Slack team %s as %s", result.get("team"), result.get("user"))
        return True

    async def readiness(self) -> dict[str, str]:
        """Each check's state: ``ok`` or what is wrong."""
        checks = {"slack": "ok" if await self.check_slack() else "auth.test failed"}
        if self._runtime.settings.redis_url is not None:
            checks["redis"] = "ok" if await self._runtime.service.ready() else "unreachable"
        if self._socket is not None:
            connected = await self._socket.client.is_connected()
            checks["socket_mode"] = "ok" if connected else "disconnected"
        return checks


def web_application(runtime: Runtime, health: Health, *, slack_events: bool) -> web.Application:
    """The aiohttp application: health endpoints, and Slack's endpoint in HTTP mode."""

    async def events(request: web.Request) -> web.Response:
        response = await runtime.app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(request: web.Request) -> web.Response:
        checks = await health.readiness()
        ready = all(state == "ok" for state in checks.values())
        return web.json_response({"ready": ready, **checks}, status=200 if ready else 503)

    application = web.Application()
    if slack_events:
        application.router.add_post(EVENTS_PATH, events)
    application.router.add_get("/healthz", healthz)
    application.router.add_get("/readyz", readyz)
    return application


@dataclass
class RunningBot:
    """A started bot: its runtime, the port it listens on, and how to stop it."""

    runtime: Runtime
    health: Health
    port: int
    _runner: web.AppRunner
    _socket: AsyncSocketModeHandler | None

    async def stop(self) -> None:
        """Stop taking requests, let replies in progress finish, release connections."""
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
        await self._runner.cleanup()
        if not await self.runtime.in_flight.wait_idle(DRAIN_TIMEOUT):
            log.error("stopped with %d replies still in progress", self.runtime.in_flight.running)
        await self.runtime.aclose()


async def start(
    settings: Settings, *, runtime: Runtime | None = None, host: str | None = None,
    port: int | None = None,
) -> RunningBot:
    """Start serving without blocking; ``port=0`` picks a free port (see ``RunningBot.port``)."""
    runtime = runtime or build_runtime(settings)
    socket = None
    if settings.slack_app_token is not None:
        socket = AsyncSocketModeHandler(
            runtime.app, app_token=settings.slack_app_token.get_secret_value(),
            web_client=runtime.client)
    health = Health(runtime, socket)
    await runtime.service.warm_up()
    await health.check_slack()
    if socket is not None:
        await socket.connect_async()  # type: ignore[no-untyped-call]
        log.info("Socket Mode connected")
    runner = web.AppRunner(web_application(runtime, health, slack_events=socket is None),
                           handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host or settings.host, settings.port if port is None else port)
    await site.start()
    bound = runner.addresses[0][1]
    mode = "Socket Mode" if socket else f"HTTP mode ({EVENTS_PATH})"
    log.info("registry-why serving in %s; health on port %d", mode, bound)
    return RunningBot(runtime, health, bound, runner, socket)


async def _serve(settings: Settings) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stopping.set)
    bot = await start(settings)
    try:
        await stopping.wait()
    finally:
        log.info("stopping")
        await bot.stop()


def serve(settings: Settings) -> None:
    """Run the bot until SIGINT/SIGTERM (``registry-why serve``); raises SettingsError when a
    token the chosen mode needs is missing."""
    settings.require_slack()
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(_serve(settings))
