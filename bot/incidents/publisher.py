"""How the tracker reaches Slack: post, update and link messages (delivery rules included)."""

from __future__ import annotations

from typing import Any, Protocol

from slack_sdk.web.async_client import AsyncWebClient

from bot.render.blocks import Message
from bot.slack.delivery import Delivery, deliver


class Publisher(Protocol):
    """Sends incident messages; every method returns None (or False) when Slack failed."""

    async def post(self, channel: str, message: Message,
                   thread_ts: str | None = None) -> str | None:
        """Post ``message``; its ts."""

    async def update(self, channel: str, ts: str, message: Message) -> bool:
        """Edit the message ``ts`` in place."""

    async def permalink(self, channel: str, ts: str) -> str | None:
        """A link to the message ``ts``."""


class SlackPublisher:
    """The Publisher on the bot's Slack Web API client."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def post(self, channel: str, message: Message,
                   thread_ts: str | None = None) -> str | None:
        extra: dict[str, Any] = {"thread_ts": thread_ts} if thread_ts else {}
        posted = await deliver("incident message", "incident", self._client.chat_postMessage(
            channel=channel, unfurl_links=False, **extra, **message.as_kwargs()))
        return None if posted is None else str(posted["ts"])

    async def update(self, channel: str, ts: str, message: Message) -> bool:
        updated = await deliver("incident card update", "incident", self._client.chat_update(
            channel=channel, ts=ts, **message.as_kwargs()), kind=Delivery.READ)
        return updated is not None

    async def permalink(self, channel: str, ts: str) -> str | None:
        found = await deliver("incident card link", "incident", self._client.chat_getPermalink(
            channel=channel, message_ts=ts), kind=Delivery.READ)
        return None if found is None else str(found.get("permalink") or "") or None
