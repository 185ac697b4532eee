"""Incident mode through every Slack surface of one bot (memory store): pastes, mentions and
the message shortcut are reports; App Home and ``/registry-why status`` show the board."""

from __future__ import annotations

import json

from tests.support.slack_api import BOT_USER_ID, RESPONSE_URL_METHOD, SlackApi
from tests.support.slack_requests import (
    USER,
    command_payload,
    event_callback,
    mention_event,
    message_event,
    message_shortcut,
    running_bot,
)

HOST = "registry.acme.internal"
OUTAGE = (f'Error response from daemon: Get "https://{HOST}/v2/app/manifests/1.0": '
          f"dial tcp 10.1.2.3:443: i/o timeout")
ONCALL = "C0ONCALL02"


async def test_reports_from_every_surface_open_one_incident_shown_in_home_and_status(
        slack_api: SlackApi) -> None:
    async with running_bot(slack_api, incident_channel=ONCALL) as bot:
        await bot.event(event_callback(message_event(OUTAGE, channel="C0PASTE01",
                                                     user="U0PASTER1")))
        await bot.event(event_callback(mention_event(f"<@{BOT_USER_ID}> {OUTAGE}",
                                                     channel="C0MENTION1")))
        shortcut = message_shortcut({"type": "message", "text": OUTAGE, "user": "U0OTHER01",
                                     "ts": "1700000100.000100"},
                                    slack_api.response_url("sc"), channel="C0SHORT001")
        await bot.interact(shortcut)
        await bot.settle()
        cards = [c for c in slack_api.calls("chat.postMessage")
                 if c.body["channel"] == ONCALL]
        assert len(cards) == 1
        assert HOST in cards[0].body["text"]
        # The shortcut's reply (the third report) already points at the incident.
        short = [c for c in slack_api.calls("chat.postMessage")
                 if c.body["channel"] == "C0SHORT001"]
        assert short[0].body["text"].startswith(f"Part of an open incident on {HOST}")

        await bot.command({**command_payload("status", slack_api.response_url("st")),
                           "user_id": USER})
        [board] = await slack_api.wait_for(RESPONSE_URL_METHOD)
        assert board.body["response_type"] == "ephemeral"
        assert HOST in json.dumps(board.body["blocks"])
        assert "network-timeout" in json.dumps(board.body["blocks"])

        await bot.event(event_callback({"type": "app_home_opened", "user": USER,
                                        "channel": "D0HOME", "tab": "home"}))
        [published] = await slack_api.wait_for("views.publish")
        blocks = json.dumps(published.body["view"]["blocks"])
        assert "Registry incidents" in blocks
        assert "Incident open" not in blocks  # the board lists, the card announces
        assert HOST in blocks


async def test_status_with_nothing_reported(slack_api: SlackApi) -> None:
    async with running_bot(slack_api) as bot:
        await bot.command(command_payload(" Status ", slack_api.response_url("st")))
        [board] = await slack_api.wait_for(RESPONSE_URL_METHOD)
        assert board.body["text"] == "0 open incidents; 0 registries reported in the last hour"
        assert "No open incidents." in json.dumps(board.body["blocks"])
