"""The registry probe in Slack: the "Probe registry" button and ``/registry-why probe <image>``
(or ``<ecosystem> <package>[@version] [registry-url]``).

A result replaces the reply it was asked from: ``chat.update`` on a reply in a thread, the
click's ``response_url`` on an ephemeral reply. A result that used the operator's credential,
and any refusal, goes to the person who asked alone. What may be probed is decided by
``bot.probe_requests``; the words and blocks by ``bot.render.probe_result``.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.probe import ProbeResult, Requester
from bot.probe_requests import (
    PROBE_FAILED,
    PROBE_OFF,
    NotProbed,
    Prober,
    ProbeTarget,
    target_from_button,
    target_from_command,
)
from bot.render.blocks import Message, escape
from bot.render.probe_result import (
    render_probe,
    render_probe_message,
    render_probing,
    render_probing_message,
    render_reply,
    with_probe,
)
from bot.slack.delivery import Delivery, deliver, respond_ephemeral
from bot.slack.ids import ACTION_PROBE
from bot.slack.payloads import request_id, thread_of
from handlers.deps import Deps

log = logging.getLogger(__name__)


async def _probed(prober: Prober, target: ProbeTarget,
                  requester: Requester) -> ProbeResult | None:
    """The probe's result, or None when it failed in the bot: the "Probing..." note already
    shown must still be replaced, so the failure ends here (logged by type, its text may hold
    a registry's answer)."""
    try:
        return await prober.probe(target, requester)
    except Exception as exc:
        log.error("probe of %s failed: %s", target.label, type(exc).__name__)
        return None


async def answer_command(prober: Prober | None, command: dict[str, Any], argument: str) -> None:
    """``/registry-why probe <argument>``: progress, then the result, for the asker alone."""
    rid, url = request_id(command), command["response_url"]
    if prober is None:
        await respond_ephemeral(url, Message(escape(PROBE_OFF)), rid)
        return
    target = target_from_command(argument)
    if isinstance(target, NotProbed):
        await respond_ephemeral(url, Message(escape(target.reason)), rid)
        return
    await respond_ephemeral(url, render_probing_message(target.label), rid)
    result = await _probed(prober, target,
                           Requester(command["user_id"], command.get("channel_id")))
    done = Message(escape(PROBE_FAILED)) if result is None else render_probe_message(result)
    await respond_ephemeral(url, done, rid, replace=True)


async def _in_ephemeral_reply(prober: Prober, body: dict[str, Any], target: ProbeTarget,
                              requester: Requester, rid: str) -> None:
    # Only its reader sees an ephemeral reply, so every result may be shown in it.
    url, reply = body["response_url"], render_reply(target)
    probing = with_probe(reply.blocks, render_probing(target.label))
    await respond_ephemeral(url, Message(reply.text, probing), rid, replace=True)
    result = await _probed(prober, target, requester)
    if result is None:
        await respond_ephemeral(url, reply, rid, replace=True)
        await respond_ephemeral(url, Message(escape(PROBE_FAILED)), rid)
        return
    shown = Message(reply.text, with_probe(reply.blocks, render_probe(result)))
    await respond_ephemeral(url, shown, rid, replace=True)


async def _in_thread_reply(prober: Prober, client: AsyncWebClient, channel: str,
                           reply: dict[str, Any], target: ProbeTarget, requester: Requester,
                           rid: str) -> None:
    ts = reply["ts"]
    text, blocks = str(reply.get("text") or ""), list(reply.get("blocks") or [])
    openly = prober.shows_openly(target, requester)
    if openly:
        # The result (or the private note below) follows whether or not this lands.
        await deliver("probe progress", rid, client.chat_update(
            channel=channel, ts=ts, text=text,
            blocks=with_probe(blocks, render_probing(target.label))),
            kind=Delivery.WITH_FALLBACK)
    result = await _probed(prober, target, requester)
    if result is not None and not (result.ephemeral or result.refused):
        await deliver("probe result", rid, client.chat_update(
            channel=channel, ts=ts, text=text, blocks=with_probe(blocks, render_probe(result))))
        return
    if openly:
        await deliver("probe progress removal", rid, client.chat_update(
            channel=channel, ts=ts, text=text, blocks=blocks), kind=Delivery.WITH_FALLBACK)
    private = ({"text": escape(PROBE_FAILED)} if result is None
               else render_probe_message(result).as_kwargs())
    await deliver("private probe result", rid, client.chat_postEphemeral(
        channel=channel, user=requester.user, thread_ts=thread_of(reply), **private))


def register(app: AsyncApp, deps: Deps) -> None:
    """Listen for clicks on "Probe registry" (the command is routed here by ``commands``)."""

    async def on_probe(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                       client: AsyncWebClient) -> None:
        await ack()
        rid, prober = request_id(body), deps.prober
        if prober is None:  # a button on a reply from before the probe was turned off
            await respond_ephemeral(body["response_url"], Message(escape(PROBE_OFF)), rid)
            return
        reply = body.get("message")
        if (body.get("container") or {}).get("is_ephemeral"):
            reply = None
        target = target_from_button(str(action.get("value") or ""),
                                    None if reply is None else reply.get("blocks") or [])
        if isinstance(target, NotProbed):
            await respond_ephemeral(body["response_url"], Message(escape(target.reason)), rid)
            return
        channel = body["channel"]["id"]
        requester = Requester(body["user"]["id"], channel)
        if reply is None:
            await _in_ephemeral_reply(prober, body, target, requester, rid)
        else:
            await _in_thread_reply(prober, client, channel, reply, target, requester, rid)

    app.action(ACTION_PROBE)(deps.in_flight.track(on_probe))
