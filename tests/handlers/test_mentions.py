"""``@registry-why`` mentions: the text after the mention, or the thread's first message."""

from __future__ import annotations

import logging

import pytest

from bot.metrics import REGISTRY
from tests.support.pastes import CHAT, DOCKER_HUB_RATE_LIMIT, ECR_NO_CREDENTIALS
from tests.support.slack_api import BOT_ID, BOT_USER_ID, SlackApi
from tests.support.slack_requests import (
    CHANNEL,
    event_callback,
    mention_event,
    message_event,
    new_ts,
    running_bot,
)


async def test_mention_in_a_thread_explains_the_parent(slack_api: SlackApi) -> None:
    parent = new_ts()
    slack_api.set_replies(CHANNEL, parent, [{"ts": parent, "user": "U0SOMEONE",
                                             "text": DOCKER_HUB_RATE_LIMIT}])
    async with running_bot(slack_api) as bot:
        await bot.event(event_callback(mention_event(f"<@{BOT_USER_ID}> what is this?",
                                                     thread_ts=parent)))
        [reply] = await slack_api.wait_for("chat.postMessage")
        [read] = slack_api.calls("conversations.replies")
        assert (read.body["channel"], read.body["ts"]) == (CHANNEL, parent)
        assert reply.body["thread_ts"] == parent
        assert "`rate-limited`" in str(reply.body["blocks"])


async def test_mention_explains_a_parent_whose_error_is_in_its_blocks(
    slack_api: SlackApi,
) -> None:
    parent = new_ts()
    preformatted = {"type": "rich_text_preformatted",
                    "elements": [{"type": "text", "text": ECR_NO_CREDENTIALS}]}
    slack_api.set_replies(CHANNEL, parent, [{
        "ts": parent, "bot_id": "B0ARGO", "text": "Application payments degraded",
        "blocks": [{"type": "rich_text", "elements": [preformatted]}]}])
    async with running_bot(slack_api) as bot:
        await bot.event(event_callback(mention_event(f"<@{BOT_USER_ID}> what is this?",
                                                     thread_ts=parent)))
        [reply] = await slack_api.wait_for("chat.postMessage")
        assert reply.body["thread_ts"] == parent
        assert "No credentials are configured" in reply.body["text"]


async def test_mention_with_an_error_explains_it(slack_api: SlackApi) -> None:
    async with running_bot(slack_api) as bot:
        event = mention_event(f"<@{BOT_USER_ID}> {ECR_NO_CREDENTIALS}")
        await bot.event(event_callback(event))
        [reply] = await slack_api.wait_for("chat.postMessage")
        assert reply.body["thread_ts"] == event["ts"]
        assert "No credentials are configured" in reply.body["text"]
        assert slack_api.calls("conversations.replies") == []


async def test_mention_alone_outside_a_thread_shows_usage(slack_api: SlackApi) -> None:
    async with running_bot(slack_api) as bot:
        await bot.event(event_callback(mention_event(f"<@{BOT_USER_ID}>")))
        [reply] = await slack_api.wait_for("chat.postMessage")
        assert reply.body["text"].startswith("Usage")


async def test_mention_about_chat_says_not_sure(slack_api: SlackApi) -> None:
    parent = new_ts()
    slack_api.set_replies(CHANNEL, parent, [{"ts": parent, "text": CHAT}])
    async with running_bot(slack_api) as bot:
        await bot.event(event_callback(mention_event(f"<@{BOT_USER_ID}>", thread_ts=parent)))
        [reply] = await slack_api.wait_for("chat.postMessage")
        assert reply.body["text"].startswith("Not sure")


async def test_thanks_in_a_thread_already_answered_gets_a_brief_reply(
    slack_api: SlackApi,
) -> None:
    parent = new_ts()
    async with running_bot(slack_api) as bot:
        await bot.event(event_callback(message_event(ECR_NO_CREDENTIALS, ts=parent)))
        [answer] = await slack_api.wait_for("chat.postMessage")
        # What Slack lists for the thread now: the paste, and the bot's answer under it.
        slack_api.set_replies(CHANNEL, parent, [
            {"ts": parent, "user": "U0SOMEONE", "text": ECR_NO_CREDENTIALS},
            {"ts": answer.response["ts"], "thread_ts": parent, "user": BOT_USER_ID,
             "bot_id": BOT_ID, "text": answer.body["text"]}])
        await bot.event(event_callback(mention_event(f"thanks <@{BOT_USER_ID}>!",
                                                     thread_ts=parent)))
        [_, brief] = await slack_api.wait_for("chat.postMessage", 2)
        assert brief.body["thread_ts"] == parent
        assert brief.body["text"] == "Answered above in this thread."

        # An error of its own in the same thread is still explained in full.
        await bot.event(event_callback(mention_event(
            f"<@{BOT_USER_ID}> now {DOCKER_HUB_RATE_LIMIT}", thread_ts=parent)))
        [*_, full] = await slack_api.wait_for("chat.postMessage", 3)
        assert "`rate-limited`" in str(full.body["blocks"])


async def test_a_thread_that_cannot_be_read_is_not_a_lost_reply(
    slack_api: SlackApi, caplog: pytest.LogCaptureFixture,
) -> None:
    lost = REGISTRY.get_sample_value("registry_why_replies_lost_total") or 0.0
    async with running_bot(slack_api) as bot:
        # No replies set: the stand-in answers conversations.replies with thread_not_found.
        await bot.event(event_callback(mention_event(f"<@{BOT_USER_ID}>", thread_ts=new_ts())))
        [reply] = await slack_api.wait_for("chat.postMessage")
        await bot.settle()
    assert reply.body["text"].startswith("Usage")
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert REGISTRY.get_sample_value("registry_why_replies_lost_total") == lost
