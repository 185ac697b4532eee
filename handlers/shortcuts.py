"""The "Explain registry error" message shortcut: explain any message, on demand."""

from __future__ import annotations

from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.render.answer import render_answer
from bot.slack.delivery import Delivery, deliver, respond_ephemeral
from bot.slack.ids import SHORTCUT_CALLBACK
from bot.slack.payloads import message_text, request_id, thread_of
from handlers.deps import Deps


def register(app: AsyncApp, deps: Deps) -> None:
    """Listen for the message shortcut."""
    service = deps.service

    async def on_shortcut(ack: AsyncAck, shortcut: dict[str, Any],
                          client: AsyncWebClient) -> None:
        await ack()
        rid = request_id(shortcut)
        message, channel = shortcut["message"], shortcut["channel"]["id"]
        plan = await service.answer_shortcut(
            message_text(message), channel=channel,
            user=(shortcut.get("user") or {}).get("id"), message_ts=message.get("ts"))
        if plan.in_thread:
            reply = render_answer(plan.answer, shareable=False, probe=service.probe_enabled)
            posted = await deliver("shortcut thread reply", rid, client.chat_postMessage(
                channel=channel, thread_ts=thread_of(message), unfurl_links=False,
                **reply.as_kwargs()), kind=Delivery.WITH_FALLBACK)
            if posted is not None:
                await service.count_shown(plan.answer)
                return
        private = render_answer(plan.answer, shareable=False, probe=service.probe_enabled)
        await respond_ephemeral(shortcut["response_url"], private, rid)
        await service.count_shown(plan.answer)

    app.message_shortcut(SHORTCUT_CALLBACK)(deps.in_flight.track(on_shortcut))
