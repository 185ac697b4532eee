"""Reply buttons: share an ephemeral answer, show the full guide, helpful / not helpful."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.render.blocks import Message, render_diagnosis, render_full_guide
from bot.render.button_state import restore
from bot.slack.delivery import deliver, post_to_response_url, respond_ephemeral
from bot.slack.ids import ACTION_FULL_GUIDE, ACTION_HELPFUL, ACTION_NOT_HELPFUL, ACTION_SHARE
from bot.slack.payloads import request_id, thread_of
from handlers.deps import Deps

log = logging.getLogger(__name__)


async def _tell(body: dict[str, Any], text: str, rid: str) -> None:
    """An ephemeral note to the person who clicked."""
    await respond_ephemeral(body["response_url"], text, rid)


def _message(body: dict[str, Any]) -> tuple[str, str]:
    """The channel and ts of the message whose button was clicked."""
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id", "")
    return str(channel), str(container.get("message_ts", ""))


def _message_key(body: dict[str, Any]) -> str:
    return ":".join(_message(body))


def register(app: AsyncApp, deps: Deps) -> None:
    """Listen for clicks on the reply buttons."""
    service = deps.service

    async def on_share(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        rid = request_id(body)
        diagnosis = restore(action["value"], rid)
        if diagnosis is None:
            await _tell(body, "This answer can no longer be shared; ask again.", rid)
            return
        channel, ts = _message(body)
        # A double click sends two requests: only the first shares.
        if not await service.claim_share(channel, ts):
            return
        shared = render_diagnosis(diagnosis, probe=service.probe_enabled,
                                  shared_by=body["user"]["id"])
        url = body["response_url"]
        posted = await post_to_response_url(
            url, {"response_type": "in_channel", "replace_original": False,
                  **shared.as_kwargs()}, rid)
        if posted:
            await post_to_response_url(url, {"delete_original": True}, rid)
        else:
            await service.release_share(channel, ts)

    async def on_full_guide(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                            client: AsyncWebClient) -> None:
        await ack()
        rid = request_id(body)
        diagnosis = restore(action["value"], rid)
        if diagnosis is None:
            await _tell(body, "The guide for this answer is no longer available; ask again.",
                        rid)
            return
        guide = render_full_guide(diagnosis)
        message = body.get("message")
        if (body.get("container") or {}).get("is_ephemeral") or not message:
            await _private(body, guide, rid)
            return
        channel = body["channel"]["id"]
        if not await service.claim_full_guide(channel, message["ts"]):
            await _tell(body, "The full guide is already in this thread.", rid)
            return
        posted = await deliver("full guide", rid, client.chat_postMessage(
            channel=channel, thread_ts=thread_of(message), unfurl_links=False,
            **guide.as_kwargs()))
        if posted is None:
            await service.release_full_guide(channel, message["ts"])

    async def on_feedback(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        rid = request_id(body)
        helpful = action["action_id"] == ACTION_HELPFUL
        counted = await service.record_feedback(
            str(action.get("value", "")), helpful, body["user"]["id"], _message_key(body))
        await _tell(body, "Thanks, noted." if counted
                    else "Your vote on this answer was already counted.", rid)

    track = deps.in_flight.track
    app.action(ACTION_SHARE)(track(on_share))
    app.action(ACTION_FULL_GUIDE)(track(on_full_guide))
    app.action(ACTION_HELPFUL)(track(on_feedback))
    app.action(ACTION_NOT_HELPFUL)(track(on_feedback))


async def _private(body: dict[str, Any], message: Message, rid: str) -> None:
    await respond_ephemeral(body["response_url"], message, rid)
