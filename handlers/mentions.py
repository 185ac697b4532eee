"""``@registry-why`` mentions: explain the text after the mention, or the thread's first message."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.render.answer import render_answer
from bot.render.blocks import render_answered_above
from bot.service import AnsweredAbove, ThreadView
from bot.slack.delivery import Delivery, deliver
from bot.slack.payloads import message_text, request_id, thread_of, without_mention
from handlers.deps import Deps

log = logging.getLogger(__name__)

THREAD_READ_LIMIT = 100
"""Thread messages read to find the parent and the bot's earlier answer (which comes early)."""


async def _read_thread(client: AsyncWebClient, context: AsyncBoltContext, channel: str,
                       thread_ts: str, rid: str) -> ThreadView:
    replies = await deliver("conversations.replies", rid, client.conversations_replies(
        channel=channel, ts=thread_ts, limit=THREAD_READ_LIMIT, inclusive=True),
        kind=Delivery.READ)
    messages = (replies.get("messages") if replies is not None else None) or []
    if not messages:
        return ThreadView(None, answered=False)

    def by_bot(message: dict[str, Any]) -> bool:
        return ((context.bot_user_id is not None and message.get("user") == context.bot_user_id)
                or (context.bot_id is not None and message.get("bot_id") == context.bot_id))

    return ThreadView(message_text(messages[0]), answered=any(map(by_bot, messages[1:])))


def register(app: AsyncApp, deps: Deps) -> None:
    """Listen for mentions of the bot."""
    service = deps.service

    async def on_mention(
        event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext,
        client: AsyncWebClient,
    ) -> None:
        if event.get("bot_id"):
            return
        channel, ts, thread_ts = event["channel"], event["ts"], event.get("thread_ts")
        rid = request_id(body)

        async def read_thread() -> ThreadView:
            assert thread_ts is not None
            return await _read_thread(client, context, channel, thread_ts, rid)

        reply = await service.answer_mention(
            without_mention(event.get("text") or "", context.bot_user_id), channel=channel,
            ts=ts, thread_ts=thread_ts, user=event.get("user"), read_thread=read_thread)
        if reply is None:
            log.info("%s: message %s already answered", rid, ts)
            return
        message = (render_answered_above() if isinstance(reply, AnsweredAbove)
                   else render_answer(reply, shareable=False, probe=service.probe_enabled))
        await deliver("mention reply", rid, client.chat_postMessage(
            channel=channel, thread_ts=thread_of(event), unfurl_links=False,
            **message.as_kwargs()))
        if not isinstance(reply, AnsweredAbove):
            await service.count_shown(reply)

    app.event("app_mention")(deps.in_flight.track(on_mention))
