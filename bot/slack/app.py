"""Building the Bolt app, and the runtime it sits on, from settings.

No import-time side effects. Everything comes from Settings or is injected (tests give their
own Slack client, store or probe configuration); the one environment read is the registries
file's ``password_env`` variables, when ``build_runtime`` loads the probe configuration::

    runtime = build_runtime(settings)          # client, store, service, app, prober
    await runtime.dispatch(request)            # what the server does per request
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

import handlers
from bot import logs
from bot.incidents.publisher import SlackPublisher
from bot.incidents.tracker import IncidentTracker
from bot.probe import ProbeCache, ProbeConfig
from bot.probe_requests import Prober
from bot.service import Service
from bot.settings import Settings, load_probe_config
from bot.slack.delivery import retry_handlers
from bot.slack.in_flight import InFlight
from bot.store import Keys, Store, open_store

log = logging.getLogger(__name__)

SLACK_TIMEOUT = 10
"""Seconds to wait for one Slack API answer (retries come on top)."""
CLAIMED_EVENT = "registry_why_claimed_event"
"""Context key: the event id this request claimed, to confirm once it is acknowledged."""


@dataclass
class Runtime:
    """Everything one running bot holds."""

    settings: Settings
    client: AsyncWebClient
    store: Store
    service: Service
    app: AsyncApp
    in_flight: InFlight
    prober: Prober | None = None
    """The registry probe, when enabled (``REGISTRY_WHY_PROBE`` / ``REGISTRY_WHY_REGISTRIES``)."""

    async def dispatch(self, request: AsyncBoltRequest) -> BoltResponse:
        """Run one request from Slack through the app and return its acknowledgement.

        An event claimed by this request is confirmed only when it was acknowledged (status
        below 400): otherwise just the lease is left, and Slack's redelivery is handled.
        """
        response = await self.app.async_dispatch(request)
        event_id = request.context.get(CLAIMED_EVENT)
        if isinstance(event_id, str) and response.status < 400:
            await self.service.acked(event_id)
        return response

    async def aclose(self) -> None:
        """Release the store's connections (the probe cache shares them)."""
        await self.service.incidents.aclose()
        await self.store.aclose()


def build_client(settings: Settings) -> AsyncWebClient:
    """A Slack Web API client on ``SLACK_API_URL`` with the bot's retry rules."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return AsyncWebClient(token=token, base_url=settings.slack_api_url, timeout=SLACK_TIMEOUT,
                          retry_handlers=retry_handlers())


class _TokenFromSettings(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and warns that it is unused when a client is given;
    the client was built from that very token (through Settings), so the warning misleads."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


_BOLT_APP_LOGGER = logging.getLogger("slack_bolt.AsyncApp")
if not any(isinstance(f, _TokenFromSettings) for f in _BOLT_APP_LOGGER.filters):
    _BOLT_APP_LOGGER.addFilter(_TokenFromSettings())


def _dedupe_events(service: Service) -> Callable[..., Awaitable[BoltResponse]]:
    async def dedupe_events(
        body: dict[str, Any], context: AsyncBoltContext,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse:
        # Slack redelivers an event (same event_id) when an ack was late or lost; every
        # replica shares the store, so only the first delivery anywhere is handled.
        event_id = body.get("event_id")
        if not isinstance(event_id, str):
            return await next()
        if not await service.first_delivery(event_id):
            log.info("event %s already handled; ignoring the redelivery", event_id)
            return BoltResponse(status=200, body="")
        # Bolt's next() only lets the listeners run after this returns: the claim is
        # confirmed by Runtime.dispatch, which sees the acknowledgement.
        context[CLAIMED_EVENT] = event_id
        return await next()

    return dedupe_events


def build_prober(settings: Settings, config: ProbeConfig, store: Store) -> Prober:
    """The probe with this process's cache in the shared ``store``, so identical probes from
    every replica are coalesced into one (and counted against one rate limit)."""
    return Prober(config, ProbeCache(store, keys=Keys(settings.redis_prefix)))


def create_app(
    settings: Settings, service: Service, client: AsyncWebClient, in_flight: InFlight,
    prober: Prober | None = None,
) -> AsyncApp:
    """The Bolt app with every listener registered and event de-duplication in front."""
    secret = settings.slack_signing_secret
    app = AsyncApp(
        name="registry-why",
        client=client,
        # Socket Mode requests are not signed; HTTP mode always has a secret (require_slack).
        signing_secret=secret.get_secret_value() if secret else "",
        request_verification_enabled=secret is not None,
    )
    app.middleware(_dedupe_events(service))
    handlers.register(app, handlers.Deps(service=service, in_flight=in_flight, prober=prober))
    return app


def build_runtime(
    settings: Settings, *, client: AsyncWebClient | None = None, store: Store | None = None,
    probe_config: ProbeConfig | None = None,
) -> Runtime:
    """Client, store, service, probe and app for ``settings``; ``client``/``store`` override
    the defaults (a Slack stand-in, a store shared between two app instances in tests), and
    ``probe_config`` enables the probe with that configuration instead of the registries file.

    Raises SettingsError when the probe is enabled and its registries file cannot be used.
    """
    if probe_config is None:
        probe_config = load_probe_config(settings)
    if probe_config is not None:
        logs.hide(*probe_config.secrets())
    client = client or build_client(settings)
    if store is None:
        url = settings.redis_url.get_secret_value() if settings.redis_url else None
        store = open_store(url, settings.redis_prefix)
    prober = build_prober(settings, probe_config, store) if probe_config is not None else None
    incidents = IncidentTracker(settings, store, publisher=SlackPublisher(client),
                                prober=prober)
    if prober is not None:
        prober.listeners.append(incidents.probed)
    service = Service(settings, store, probe_enabled=prober is not None, incidents=incidents)
    in_flight = InFlight()
    app = create_app(settings, service, client, in_flight, prober)
    return Runtime(settings, client, store, service, app, in_flight, prober)
