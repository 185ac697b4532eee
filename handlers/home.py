"""App Home: how to use the bot, what it knows, and what it saw recently."""

from __future__ import annotations

from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.render.blocks import render_home
from bot.slack_retry import deliver
from handlers.answers import request_id
from handlers.deps import Deps


def register(app: AsyncApp, deps: Deps) -> None:
    """Publish the Home tab whenever someone opens it."""

    async def on_home_opened(event: dict[str, Any], body: dict[str, Any],
                             client: AsyncWebClient) -> None:
        if event.get("tab") != "home":
            return
        entries, stats = await deps.service.home()
        await deliver("App Home", request_id(body), client.views_publish(
            user_id=event["user"], view=render_home(entries, stats)))

    app.event("app_home_opened")(deps.in_flight.track(on_home_opened))
