"""The "Explain registry error" message shortcut."""

from __future__ import annotations

import logging

import pytest

from bot.metrics import REGISTRY
from tests.support.pastes import CHAT, ECR_NO_CREDENTIALS
from tests.support.slack_api import RESPONSE_URL_METHOD, SlackApi
from tests.support.slack_requests import message_shortcut, new_ts, running_bot


async def test_shortcut_replies_in_the_thread_once(slack_api: SlackApi) -> None:
    async with running_bot(slack_api) as bot:
        message = {"type": "message", "ts": new_ts(), "user": "U0SOMEONE",
                   "text": ECR_NO_CREDENTIALS}
        assert await bot.interact(message_shortcut(message, slack_api.response_url("s1"))) == 200
        [reply] = await slack_api.wait_for("chat.postMessage")
        assert reply.body["thread_ts"] == message["ts"]

        # Asked again about the same message: the answer is in the thread, so only privately.
        await bot.interact(message_shortcut(message, slack_api.response_url("s2")))
        [private] = await slack_api.wait_for(RESPONSE_URL_METHOD)
        assert private.body["response_type"] == "ephemeral"
        assert len(slack_api.calls("chat.postMessage")) == 1


async def test_shortcut_on_chat_answers_privately(slack_api: SlackApi) -> None:
    async with running_bot(slack_api) as bot:
        message = {"type": "message", "ts": new_ts(), "user": "U0SOMEONE", "text": CHAT}
        await bot.interact(message_shortcut(message, slack_api.response_url()))
        [private] = await slack_api.wait_for(RESPONSE_URL_METHOD)
        assert private.body["text"].startswith("Not sure")
        assert slack_api.calls("chat.postMessage") == []


async def test_shortcut_falls_back_to_private_when_the_bot_cannot_post(
    slack_api: SlackApi, caplog: pytest.LogCaptureFixture,
) -> None:
    lost = REGISTRY.get_sample_value("registry_why_replies_lost_total") or 0.0
    slack_api.fail("chat.postMessage", status=500, times=3)
    async with running_bot(slack_api) as bot:
        message = {"type": "message", "ts": new_ts(), "text": ECR_NO_CREDENTIALS}
        await bot.interact(message_shortcut(message, slack_api.response_url()))
        [private] = await slack_api.wait_for(RESPONSE_URL_METHOD)
        await bot.settle()
        assert "No credentials are configured" in private.body["text"]
    # The answer reached the asker privately: a failed thread post, not a lost reply.
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert REGISTRY.get_sample_value("registry_why_replies_lost_total") == lost


async def test_shortcut_reads_an_error_in_a_ci_alert_attachment(slack_api: SlackApi) -> None:
    async with running_bot(slack_api) as bot:
        alert = {"type": "message", "subtype": "bot_message", "bot_id": "B0CI", "ts": new_ts(),
                 "text": "", "attachments": [{"color": "danger", "fallback": "deploy failed",
                                              "title": "deploy #812 failed",
                                              "text": ECR_NO_CREDENTIALS}]}
        await bot.interact(message_shortcut(alert, slack_api.response_url("s1")))
        [reply] = await slack_api.wait_for("chat.postMessage")
        assert reply.body["thread_ts"] == alert["ts"]
        assert "No credentials are configured" in reply.body["text"]
