"""``@registry-why`` mentions: explain the text after the mention, or the thread's first message."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.render.answer import render_answer
from bot.render.blocks import Message, render_answered_above
from bot.service import Answer, Explained, ImageInfo, Service, Usage
from bot.slack.delivery import Delivery, deliver
from bot.slack.payloads import message_text, request_id, thread_of, without_mention
from handlers.deps import Deps

log = logging.getLogger(__name__)

THREAD_READ_LIMIT = 100
"""Thread messages read to find the parent and the bot's earlier answer (which comes early)."""


@dataclass(frozen=True, slots=True)
class _Thread:
    parent_text: str | None
    answered: bool
    """Whether the bot has already replied in the thread."""


async def _read_thread(client: AsyncWebClient, context: AsyncBoltContext, channel: str,
                       thread_ts: str, rid: str) -> _Thread:
    replies = await deliver("conversations.replies", rid, client.conversations_replies(
        channel=channel, ts=thread_ts, limit=THREAD_READ_LIMIT, inclusive=True),
        kind=Delivery.READ)
    messages = (replies.get("messages") if replies is not None else None) or []
    if not messages:
        return _Thread(None, answered=False)

    def by_bot(message: dict[str, Any]) -> bool:
        return ((context.bot_user_id is not None and message.get("user") == context.bot_user_id)
                or (context.bot_id is not None and message.get("bot_id") == context.bot_id))

    return _Thread(message_text(messages[0]), answered=any(map(by_bot, messages[1:])))


async def _reply(service: Service, client: AsyncWebClient, context: AsyncBoltContext,
                 event: dict[str, Any], text: str, rid: str) -> tuple[Message, Answer | None]:
    """The reply to post, and the answer it carries (None when it carries none)."""
    answer: Answer = Usage()
    if text.strip():
        answer = await service.answer(text, channel=event["channel"], user=event.get("user"),
                                      thread_ts=thread_of(event), message_ts=event["ts"])
        if isinstance(answer, Explained) and answer.named:
            return _rendered(service, answer)
    if event.get("thread_ts") and event["thread_ts"] != event["ts"]:
        # Asked in a thread without an error of its own: the error is the thread's parent.
        thread = await _read_thread(client, context, event["channel"], event["thread_ts"], rid)
        if thread.answered and not isinstance(answer, ImageInfo):
            # "thanks @registry-why" under an answer: repeating it in full is noise.
            return render_answered_above(), None
        if thread.parent_text and thread.parent_text.strip():
            from_parent = await service.answer(thread.parent_text, channel=event["channel"],
                                               user=event.get("user"),
                                               thread_ts=thread_of(event),
                                               message_ts=event["thread_ts"])
            if (isinstance(from_parent, Explained) and from_parent.named) or not text.strip():
                return _rendered(service, from_parent)
    return _rendered(service, answer)


def _rendered(service: Service, answer: Answer) -> tuple[Message, Answer]:
    return render_answer(answer, shareable=False, probe=service.probe_enabled), answer


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
        message, answer = await _reply(service, client, context, event, text, rid)
        await deliver("mention reply", rid, client.chat_postMessage(
            channel=channel, thread_ts=thread_of(event), unfurl_links=False,
            **message.as_kwargs()))
        if answer is not None:
            await service.count_shown(answer)

    app.event("app_mention")(deps.in_flight.track(on_mention))
