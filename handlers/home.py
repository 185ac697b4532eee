"""App Home: how to use the bot, what it knows, and what it saw recently."""

from __future__ import annotations

from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.render.blocks import MAX_HOME_BLOCKS, render_home
from bot.render.incident_blocks import board_blocks
from bot.slack.delivery import deliver
from bot.slack.payloads import request_id
from handlers.deps import Deps


def register(app: AsyncApp, deps: Deps) -> None:
    """Publish the Home tab whenever someone opens it."""

    async def on_home_opened(event: dict[str, Any], body: dict[str, Any],
                             client: AsyncWebClient) -> None:
        if event.get("tab") != "home":
            return
        entries, stats = await deps.service.home()
        view = render_home(entries, stats)
        # The status board first: during an incident it is what people open Home for.
        board = board_blocks(await deps.service.incidents.board())
        view["blocks"] = [*board, {"type": "divider"}, *view["blocks"]][:MAX_HOME_BLOCKS]
        await deliver("App Home", request_id(body), client.views_publish(
            user_id=event["user"], view=view))

    app.event("app_home_opened")(deps.in_flight.track(on_home_opened))
