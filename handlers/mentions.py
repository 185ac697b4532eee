"""``@registry-why`` mentions: explain the text after the mention, or the thread's first message."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.service import Answer, Explained, Service, Usage
from bot.slack_retry import deliver
from bot.slack_text import message_text
from handlers.answers import render_answer, request_id, thread_of, without_mention
from handlers.deps import Deps

log = logging.getLogger(__name__)


async def _thread_parent_text(client: AsyncWebClient, channel: str, thread_ts: str,
                              rid: str) -> str | None:
    replies = await deliver("conversations.replies", rid, client.conversations_replies(
        channel=channel, ts=thread_ts, limit=1, inclusive=True))
    messages = replies.get("messages") if replies is not None else None
    if not messages:
        return None
    return message_text(messages[0])


async def _answer(service: Service, client: AsyncWebClient, event: dict[str, Any],
                  text: str, rid: str) -> Answer:
    answer: Answer = Usage()
    if text.strip():
        answer = await service.answer(text)
        if isinstance(answer, Explained) and answer.named:
            return answer
    if event.get("thread_ts") and event["thread_ts"] != event["ts"]:
        # Asked in a thread without an error of its own: the error is the thread's parent.
        parent = await _thread_parent_text(client, event["channel"], event["thread_ts"], rid)
        if parent and parent.strip():
            from_parent = await service.answer(parent)
            if (isinstance(from_parent, Explained) and from_parent.named) or not text.strip():
                return from_parent
    return answer


def register(app: AsyncApp, deps: Deps) -> None:
    """Listen for mentions of the bot."""
    service = deps.service

    async def on_mention(
        event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext,
        client: AsyncWebClient,
    ) -> None:
        if event.get("bot_id"):
            return
        channel, ts = event["channel"], event["ts"]
        rid = request_id(body)
        if not await service.claim_message(channel, ts):
            log.info("%s: message %s already answered", rid, ts)
            return
        text = without_mention(event.get("text") or "", context.bot_user_id)
        answer = await _answer(service, client, event, text, rid)
        message = render_answer(answer, shareable=False, probe=service.probe_enabled)
        await deliver("mention reply", rid, client.chat_postMessage(
            channel=channel, thread_ts=thread_of(event), unfurl_links=False,
            **message.as_kwargs()))
        await service.count_shown(answer)

    app.event("app_mention")(deps.in_flight.track(on_mention))
