"""Errors pasted in channels: a reply in the message's thread when the bot is sure, else nothing."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.render.blocks import render_diagnosis, render_repeat_counter
from bot.render.incident_blocks import with_note
from bot.service import Quiet, Repeat, Reply, Service
from bot.slack.delivery import deliver
from bot.slack.payloads import is_paste, request_id, thread_of
from handlers.deps import Deps

log = logging.getLogger(__name__)

def register(app: AsyncApp, deps: Deps) -> None:
    """Listen for messages in channels the bot is in."""
    service = deps.service

    async def on_message(
        event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext,
        client: AsyncWebClient,
    ) -> None:
        if not is_paste(event, context.bot_user_id):
            return
        channel, ts, thread_ts = event["channel"], event["ts"], thread_of(event)
        rid = request_id(body)
        outcome = await service.consider_paste(channel, ts, thread_ts, event["text"],
                                               event.get("user"))
        match outcome:
            case Reply(diagnosis=diagnosis, incident=note):
                message = with_note(render_diagnosis(diagnosis, probe=service.probe_enabled),
                                    note)
                await deliver("thread reply", rid, client.chat_postMessage(
                    channel=channel, thread_ts=thread_ts, unfurl_links=False,
                    **message.as_kwargs()))
            case Repeat() as repeat:
                await _count(client, service, channel, repeat, rid)
            case Quiet(reason=reason):
                log.debug("no reply to %s: %s", rid, reason)
        await service.count_shown(outcome)

    app.event("message")(deps.in_flight.track(on_message))


async def _count(client: AsyncWebClient, service: Service, channel: str, repeat: Repeat,
                 rid: str) -> None:
    class_id = repeat.diagnosis.class_id
    assert class_id is not None

    def counter(count: int) -> dict[str, Any]:
        return render_repeat_counter(channel, class_id, repeat.diagnosis.title or class_id,
                                     count, repeat.window).as_kwargs()

    async def post(count: int) -> str | None:
        posted = await deliver("repeat counter", rid, client.chat_postMessage(
            channel=channel, thread_ts=repeat.thread_ts, **counter(count)))
        return None if posted is None else str(posted["ts"])

    async def update(ts: str, count: int) -> None:
        await deliver("repeat counter update", rid, client.chat_update(
            channel=channel, ts=ts, **counter(count)))

    await service.show_repeat(channel, repeat, post=post, update=update)
