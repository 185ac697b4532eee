"""Serving the bot: HTTP mode or Socket Mode, with ``/healthz`` and ``/readyz`` either way.

HTTP mode (no ``SLACK_APP_TOKEN``) serves Slack's events, commands and interactivity at
``/slack/events`` on ``PORT``. Socket Mode connects out to Slack instead (no public URL), and
still serves the health endpoints and ``/metrics`` on ``PORT`` for orchestrators. The health
endpoints answer from the start: Slack is reached in the background (``auth.test``, then the
Socket Mode connection, retried with a backoff), and ``/readyz`` says how far that got::

    serve(load_settings())                # blocking, for ``registry-why serve``
    bot = await start(settings, port=0)   # non-blocking, for tests: bot.port, bot.stop()

Every request from Slack, in either mode, opens a record (``bot.observe``) that becomes one
JSON log line once handled. On SIGTERM the bot stops taking requests (the listening socket, or
the Socket Mode connection, is closed: Slack redelivers what was not acknowledged), lets the
replies in progress finish for up to ``DRAIN_TIMEOUT`` seconds, cancels what is left, and exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import re
import signal
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from aiohttp import ClientError, web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.socket_mode.async_internals import send_async_response
from slack_bolt.adapter.socket_mode.internals import build_headers
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest

from bot import metrics, observe
from bot.logs import configure_logging, settings_secrets
from bot.settings import Settings, SettingsError
from bot.slack.app import Runtime, build_runtime

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
DRAIN_TIMEOUT = 10.0
"""Seconds a stopping bot waits for replies already being worked on."""
ANSWER_TIMEOUT = 5.0
"""Seconds a stopping HTTP server waits for requests it is answering (acks take under 3 s)."""
SOCKET_RETRY_FIRST = 1.0
SOCKET_RETRY_MAX = 60.0
"""Longest wait (seconds) between two attempts to open the Socket Mode connection."""
SOCKET_ATTEMPT_TIMEOUT = 20.0
"""Longest one attempt may take: the SDK retries a WebSocket that will not open endlessly."""
READY_CHECK_TIMEOUT = 1.5
"""Longest ``/readyz`` waits for Slack or Redis: it answers within 2 s, and says why not ready."""


_COUNT = re.compile(r"[0-9]{1,12}")
"""A header number (timestamp, retry count) as Slack writes one: a few ASCII digits."""


def _redelivery(headers: Mapping[str, Sequence[str]]) -> int:
    values = headers.get("x-slack-retry-num") or ["0"]
    return int(values[0]) if _COUNT.fullmatch(values[0]) else 0


def _signed_by_slack(verifier: SignatureVerifier | None, body: str,
                     headers: Mapping[str, str]) -> bool:
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    return (verifier is not None and _COUNT.fullmatch(timestamp) is not None
            and verifier.is_valid(body, timestamp, headers.get("X-Slack-Signature")))


class ObservedSocketModeHandler(AsyncSocketModeHandler):
    """Bolt's Socket Mode handler, opening each envelope's request record and timing its ack."""

    def __init__(self, runtime: Runtime, *, app_token: str) -> None:
        super().__init__(runtime.app, app_token=app_token,
                         web_client=runtime.client)
        self.runtime = runtime

    async def handle(  # type: ignore[override]
        self, client: SocketModeClient, req: SocketModeRequest
    ) -> None:
        """Dispatch one envelope to the app and acknowledge it (as Bolt's own handler does)."""
        started = time.time()
        with observe.receiving(req.payload, mode="socket",
                               redelivery=req.retry_attempt or 0) as record:
            response = await self.runtime.dispatch(AsyncBoltRequest(
                mode="socket_mode", body=req.payload, headers=build_headers(req)))
            try:
                await send_async_response(client, req, response, started)
            finally:
                observe.answered(record, response.status)


def _reason(exc: BaseException) -> str:
    # Slack's error code, or the kind of failure: a WebSocket error's text carries its URL,
    # whose ticket is a credential for that connection.
    if isinstance(exc, SlackApiError) and exc.response is not None:
        return str(exc.response.get("error") or "error")
    return type(exc).__name__


class SocketModeLink:
    """The Socket Mode connection, opened in the background: attempts back off from
    ``SOCKET_RETRY_FIRST`` to ``SOCKET_RETRY_MAX`` seconds until one succeeds (a revoked app
    token is fixed in Slack, not here), and ``state`` says why it is not connected yet. Once
    connected, the SDK keeps the connection up itself."""

    def __init__(self, handler: AsyncSocketModeHandler) -> None:
        self.handler = handler
        self._problem = "connecting"
        self._connected_once = False

    async def state(self) -> str:
        """``ok``, ``disconnected``, or why it has not connected yet."""
        if await self.handler.client.is_connected():
            return "ok"
        return "disconnected" if self._connected_once else self._problem

    async def connect(self) -> None:
        """Try until connected (cancel to give up)."""
        client = self.handler.client
        wait = SOCKET_RETRY_FIRST
        for attempt in itertools.count(1):
            try:
                async with asyncio.timeout(SOCKET_ATTEMPT_TIMEOUT):
                    # The URL is asked for here, not by the SDK's connect(), which would keep
                    # asking forever without a backoff when Slack refuses the app token.
                    opened = await client.web_client.apps_connections_open(
                        app_token=client.app_token)
                    client.wss_uri = opened["url"]
                    await self.handler.connect_async()  # type: ignore[no-untyped-call]
            except (SlackApiError, ClientError, OSError, TimeoutError) as exc:
                self._problem = f"connecting: attempt {attempt} failed ({_reason(exc)})"
                log.error("Socket Mode connection failed (attempt %d: %s); retrying in %.0f s",
                          attempt, _reason(exc), wait)
                await asyncio.sleep(wait)
                wait = min(wait * 2, SOCKET_RETRY_MAX)
            else:
                self._connected_once = True
                log.info("Socket Mode connected")
                return

    async def close(self) -> None:
        """Close the connection cleanly, so Slack sends what comes next to other replicas."""
        await self.handler.close_async()  # type: ignore[no-untyped-call]


class Health:
    """Liveness and readiness. Ready means the bot can answer: Slack accepted our token and, in
    Socket Mode, the connection is up. Redis down only degrades answers (each replica answers
    from its own memory), so it is reported but never makes the bot unready."""

    def __init__(self, runtime: Runtime, socket: SocketModeLink | None) -> None:
        self._runtime = runtime
        self._socket = socket
        self.slack_ok = False
        self._slack_problem = "auth.test not tried yet"
        self._auth: asyncio.Task[None] | None = None
        self._auth_started = 0.0

    async def _auth_test(self) -> None:
        try:
            result = await self._runtime.client.auth_test()
        except (SlackApiError, ClientError, OSError, TimeoutError) as exc:
            self._slack_problem = f"auth.test failed ({_reason(exc)})"
            log.error("Slack auth.test failed: %s", exc)
            return
        self.slack_ok = True
        log.info("connected to Slack team %s as %s", result.get("team"), result.get("user"))

    async def check_slack(self, wait: float | None = None) -> str:
        """``ok`` once ``auth.test`` has passed, else why not. One call at a time: a check
        finds the call in progress, or starts the next one, and waits for it at most ``wait``
        seconds (the call goes on in the background)."""
        if self.slack_ok:
            return "ok"
        if self._auth is None or self._auth.done():
            self._auth_started = time.monotonic()
            self._auth = asyncio.create_task(self._auth_test(), name="auth.test")
        done, _ = await asyncio.wait({self._auth}, timeout=wait)
        if self.slack_ok:
            return "ok"
        if not done:
            waited = time.monotonic() - self._auth_started
            return f"auth.test: no answer from Slack after {waited:.1f} s"
        return self._slack_problem

    async def _redis_state(self) -> str:
        try:
            async with asyncio.timeout(READY_CHECK_TIMEOUT):
                answers = await self._runtime.service.ready()
        except TimeoutError:
            return f"degraded: no answer within {READY_CHECK_TIMEOUT:g} s"
        return "ok" if answers else "degraded: unavailable"

    async def readiness(self) -> tuple[bool, dict[str, str]]:
        """Whether the bot can answer, and each check's state: ``ok`` or what is wrong (each
        check waits at most ``READY_CHECK_TIMEOUT`` seconds)."""
        checks: dict[str, str] = {}
        if self._runtime.settings.redis_url is None:
            checks["slack"] = await self.check_slack(READY_CHECK_TIMEOUT)
        else:
            checks["slack"], checks["redis"] = await asyncio.gather(
                self.check_slack(READY_CHECK_TIMEOUT), self._redis_state())
        if self._socket is not None:
            checks["socket_mode"] = await self._socket.state()
        ready = all(state == "ok" for name, state in checks.items() if name != "redis")
        return ready, checks

    async def close(self) -> None:
        """Stop an ``auth.test`` call still waiting for Slack."""
        if self._auth is not None:
            self._auth.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._auth


def web_application(runtime: Runtime, health: Health, *, slack_events: bool) -> web.Application:
    """The aiohttp application: health endpoints, and Slack's endpoint in HTTP mode."""

    secret = runtime.settings.slack_signing_secret
    verifier = SignatureVerifier(secret.get_secret_value()) if secret is not None else None

    def refused(status: int, error: str) -> web.Response:
        with observe.receiving({}, mode="http", redelivery=0) as record:
            observe.answered(record, status)
        return web.json_response({"error": error}, status=status)

    async def events(request: web.Request) -> web.Response:
        # The signature is checked before anything parses the body: Bolt parses it (and looks
        # inside it) before its own check, so anyone's malformed request would end in a 500.
        try:
            body = (await request.read()).decode("utf-8")
        except UnicodeDecodeError:
            return refused(400, "the body is not UTF-8")
        if not _signed_by_slack(verifier, body, request.headers):
            return refused(401, "invalid request")
        try:
            bolt_request = await to_bolt_request(request)
        except (ValueError, RecursionError):  # not the JSON it says it is
            return refused(400, "the body is not a Slack request")
        with observe.receiving(bolt_request.body, mode="http",
                               redelivery=_redelivery(bolt_request.headers)) as record:
            response = await runtime.dispatch(bolt_request)
            observe.answered(record, response.status)
        return await to_aiohttp_response(response)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(request: web.Request) -> web.Response:
        ready, checks = await health.readiness()
        return web.json_response({"ready": ready, **checks}, status=200 if ready else 503)

    async def metrics_page(request: web.Request) -> web.Response:
        body, content_type = metrics.exposition(request.headers.get("Accept", ""))
        return web.Response(body=body, headers={"Content-Type": content_type})

    application = web.Application()
    if slack_events:
        application.router.add_post(EVENTS_PATH, events)
    application.router.add_get("/healthz", healthz)
    application.router.add_get("/readyz", readyz)
    application.router.add_get("/metrics", metrics_page)
    return application


@dataclass
class RunningBot:
    """A started bot: its runtime, the port it listens on, and how to stop it."""

    runtime: Runtime
    health: Health
    port: int
    _runner: web.AppRunner
    _socket: SocketModeLink | None
    _reaching_slack: asyncio.Task[None]
    _watching_incidents: asyncio.Task[None]
    _unwatch_metrics: Callable[[], None]

    async def stop(self, drain_timeout: float = DRAIN_TIMEOUT) -> None:
        """Stop taking requests, let replies in progress finish (for up to ``drain_timeout``
        seconds, then cancel them), release connections."""
        in_flight = self.runtime.in_flight
        for task in (self._reaching_slack, self._watching_incidents):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.health.close()
        if self._socket is not None:
            await self._socket.close()
            log.info("Socket Mode connection closed")
        await self._runner.cleanup()
        if in_flight.running:
            log.info("waiting up to %.0f s for %d replies in progress", drain_timeout,
                     in_flight.running)
        if not await in_flight.wait_idle(drain_timeout):
            log.error("%d replies still in progress after %.0f s; cancelling them (lost)",
                      in_flight.running, drain_timeout)
            await in_flight.cancel()
        await self.runtime.aclose()
        self._unwatch_metrics()


async def start(
    settings: Settings, *, runtime: Runtime | None = None, host: str | None = None,
    port: int | None = None,
) -> RunningBot:
    """Start serving without blocking; ``port=0`` picks a free port (see ``RunningBot.port``)."""
    runtime = runtime or build_runtime(settings)
    socket = None
    if settings.slack_app_token is not None:
        socket = SocketModeLink(ObservedSocketModeHandler(
            runtime, app_token=settings.slack_app_token.get_secret_value()))
    health = Health(runtime, socket)
    await runtime.service.warm_up()
    store = runtime.store
    unwatch = metrics.watch(degraded=lambda: store.degraded, in_flight=runtime.in_flight)
    runner = web.AppRunner(web_application(runtime, health, slack_events=socket is None),
                           handle_signals=False, access_log=None,
                           shutdown_timeout=ANSWER_TIMEOUT)
    await runner.setup()
    await _listen(runner, host or settings.host, settings.port if port is None else port)
    bound = runner.addresses[0][1]
    mode = "Socket Mode" if socket else f"HTTP mode ({EVENTS_PATH})"
    log.info("registry-why serving in %s; health on port %d", mode, bound)
    reaching = asyncio.create_task(_reach_slack(health, socket), name="reach-slack")
    watching = asyncio.create_task(runtime.service.incidents.watch(), name="incidents")
    return RunningBot(runtime, health, bound, runner, socket, reaching, watching, unwatch)


async def _reach_slack(health: Health, socket: SocketModeLink | None) -> None:
    # Early word in the log on the bot token; /readyz keeps checking until it passes.
    await health.check_slack()
    if socket is not None:
        await socket.connect()


async def _listen(runner: web.AppRunner, host: str, port: int) -> None:
    """Listen on ``host:port``; a host that does not resolve or a port taken is a settings
    problem, reported as one (not as a traceback)."""
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        await runner.cleanup()
        raise SettingsError(
            f"REGISTRY_WHY_HOST / PORT: cannot listen on {host}:{port}: {exc.strerror or exc}"
            " (use an address of this machine, such as 0.0.0.0, and a free port)") from None


async def _serve(settings: Settings) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stopping.set)
    starting = asyncio.create_task(start(settings))
    stop_asked = asyncio.create_task(stopping.wait())
    await asyncio.wait({starting, stop_asked}, return_when=asyncio.FIRST_COMPLETED)
    if not starting.done():
        # Stopped while loading the knowledge base: nothing was served yet.
        starting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await starting
        log.info("stopped before serving")
        return
    bot = starting.result()
    try:
        await stop_asked
    finally:
        log.info("stopping: no new requests from now on")
        await bot.stop()
        log.info("stopped")


def serve(settings: Settings) -> None:
    """Run the bot until SIGINT/SIGTERM (``registry-why serve``); raises SettingsError when a
    token the chosen mode needs is missing."""
    settings.require_slack()
    configure_logging(secrets=settings_secrets(settings))
    asyncio.run(_serve(settings))
