"""The ``/registry-why`` slash command: an ephemeral answer, with a button to share it.

``/registry-why probe <image>`` and ``/registry-why probe <ecosystem> <package>`` are answered
by the probe (``handlers.probe_requests``)."""

from __future__ import annotations

from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.probe_requests import command_argument
from bot.render.answer import render_answer
from bot.render.incident_blocks import render_board
from bot.slack.delivery import respond_ephemeral
from bot.slack.ids import COMMAND
from bot.slack.payloads import request_id
from handlers.deps import Deps
from handlers.probe_requests import answer_command


def is_status(text: str) -> bool:
    """Whether the command asks for the status board (``/registry-why status``)."""
    return text.strip().lower() == "status"


def register(app: AsyncApp, deps: Deps) -> None:
    """Listen for the slash command."""

    async def on_command(ack: AsyncAck, command: dict[str, Any]) -> None:
        await ack()
        text = command.get("text") or ""
        argument = command_argument(text)
        if argument is not None:
            await answer_command(deps.prober, command, argument)
            return
        if is_status(text):
            await respond_ephemeral(command["response_url"],
                                    render_board(await deps.service.incidents.board()),
                                    request_id(command))
            return
        answer = await deps.service.answer(text, channel=command.get("channel_id"),
                                           user=command.get("user_id"))
        message = render_answer(answer, shareable=True, probe=deps.service.probe_enabled)
        await respond_ephemeral(command["response_url"], message, request_id(command))
        await deps.service.count_shown(answer)

    app.command(COMMAND)(deps.in_flight.track(on_command))
