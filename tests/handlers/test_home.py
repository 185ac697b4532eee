"""App Home: usage, what the bot knows, and what it saw recently."""

from __future__ import annotations

from tests.support.pastes import DOCKER_HUB_RATE_LIMIT, ECR_NO_CREDENTIALS
from tests.support.slack_api import SlackApi
from tests.support.slack_requests import USER, event_callback, message_event, running_bot


async def test_home_tab_shows_recent_causes(slack_api: SlackApi) -> None:
    async with running_bot(slack_api) as bot:
        for text in (DOCKER_HUB_RATE_LIMIT, ECR_NO_CREDENTIALS):
            await bot.event(event_callback(message_event(text)))
        await slack_api.wait_for("chat.postMessage", 2)
        await bot.event(event_callback({"type": "app_home_opened", "user": USER,
                                        "channel": "D0HOME", "tab": "home"}))
        [published] = await slack_api.wait_for("views.publish")
        assert published.body["user_id"] == USER
        view = published.body["view"]
        assert view["type"] == "home"
        text = str(view["blocks"])
        assert "(`rate-limited`): 1" in text
        assert "(`no-basic-auth-credentials`): 1" in text
        assert "Causes I know" in text


async def test_messages_tab_is_ignored(slack_api: SlackApi) -> None:
    async with running_bot(slack_api) as bot:
        await bot.event(event_callback({"type": "app_home_opened", "user": USER,
                                        "channel": "D0HOME", "tab": "messages"}))
        await bot.event(event_callback({"type": "app_home_opened", "user": "U0OTHER",
                                        "channel": "D0HOME", "tab": "home"}))
        [published] = await slack_api.wait_for("views.publish")
        await bot.settle()
        assert published.body["user_id"] == "U0OTHER"
        assert len(slack_api.calls("views.publish")) == 1
