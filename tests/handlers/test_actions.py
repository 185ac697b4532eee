"""Reply buttons: the full guide in the thread, and feedback."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.slack.ids import ACTION_FULL_GUIDE, ACTION_HELPFUL, ACTION_NOT_HELPFUL, ACTION_SHARE
from tests.support.pastes import ECR_PULL_SESSION
from tests.support.slack_api import RESPONSE_URL_METHOD, SlackApi
from tests.support.slack_requests import (
    block_action,
    command_payload,
    event_callback,
    message_event,
    running_bot,
)


def button(blocks: list[dict[str, Any]], action_id: str) -> dict[str, Any]:
    return next(e for b in blocks if b["type"] == "actions" for e in b["elements"]
                if e["action_id"] == action_id)


async def test_full_guide_goes_in_the_thread_once(slack_api: SlackApi) -> None:
    async with running_bot(slack_api) as bot:
        paste = message_event(ECR_PULL_SESSION)
        await bot.event(event_callback(paste))
        [reply] = await slack_api.wait_for("chat.postMessage")
        assert reply.response is not None
        posted = {**reply.response["message"], "thread_ts": paste["ts"]}
        value = button(reply.body["blocks"], ACTION_FULL_GUIDE)["value"]

        await bot.interact(block_action(ACTION_FULL_GUIDE, value, slack_api.response_url(),
                                        message=posted))
        guide = (await slack_api.wait_for("chat.postMessage", 2))[1]
        assert guide.body["thread_ts"] == paste["ts"]
        assert guide.body["text"].startswith("Full guide")
        assert "aws ecr get-login-password" in str(guide.body["blocks"])

        await bot.interact(block_action(ACTION_FULL_GUIDE, value, slack_api.response_url(),
                                        message=posted))
        [note] = await slack_api.wait_for(RESPONSE_URL_METHOD)
        assert note.body["text"] == "The full guide is already in this thread."
        assert len(slack_api.calls("chat.postMessage")) == 2


async def test_full_guide_that_could_not_be_posted_can_be_asked_again(
    slack_api: SlackApi,
) -> None:
    async with running_bot(slack_api) as bot:
        paste = message_event(ECR_PULL_SESSION)
        await bot.event(event_callback(paste))
        [reply] = await slack_api.wait_for("chat.postMessage")
        assert reply.response is not None
        posted = {**reply.response["message"], "thread_ts": paste["ts"]}
        value = button(reply.body["blocks"], ACTION_FULL_GUIDE)["value"]
        slack_api.fail("chat.postMessage", status=500, times=3)  # beyond the client's retries
        for _ in range(2):
            await bot.interact(block_action(ACTION_FULL_GUIDE, value, slack_api.response_url(),
                                            message=posted))
            await bot.settle()
        guides = [c for c in slack_api.calls("chat.postMessage")
                  if c.body["text"].startswith("Full guide") and c.response is not None
                  and c.response.get("ok")]
        assert len(guides) == 1
        assert slack_api.calls(RESPONSE_URL_METHOD) == []  # not told "already in this thread"


async def test_double_click_on_share_shares_once(slack_api: SlackApi) -> None:
    async with running_bot(slack_api) as bot:
        await bot.command(command_payload(ECR_PULL_SESSION, slack_api.response_url("c1")))
        [answer] = await slack_api.wait_for(RESPONSE_URL_METHOD)
        value = button(answer.body["blocks"], ACTION_SHARE)["value"]
        clicks = [block_action(ACTION_SHARE, value, slack_api.response_url("c1"))
                  for _ in range(2)]
        clicks[1]["container"]["message_ts"] = clicks[0]["container"]["message_ts"]
        await asyncio.gather(*(bot.interact(click) for click in clicks))
        await bot.settle()
        shared = [c for c in slack_api.calls(RESPONSE_URL_METHOD)
                  if c.body.get("response_type") == "in_channel"]
        assert len(shared) == 1


async def test_full_guide_from_a_private_answer_stays_private(slack_api: SlackApi) -> None:
    async with running_bot(slack_api) as bot:
        await bot.event(event_callback(message_event(ECR_PULL_SESSION)))
        [reply] = await slack_api.wait_for("chat.postMessage")
        value = button(reply.body["blocks"], ACTION_FULL_GUIDE)["value"]
        await bot.interact(block_action(ACTION_FULL_GUIDE, value, slack_api.response_url()))
        [guide] = await slack_api.wait_for(RESPONSE_URL_METHOD)
        assert guide.body["response_type"] == "ephemeral"
        assert guide.body["text"].startswith("Full guide")


async def test_a_tampered_button_value_is_refused_politely(slack_api: SlackApi) -> None:
    async with running_bot(slack_api) as bot:
        await bot.interact(block_action(ACTION_FULL_GUIDE, '{"c": "nope"}',
                                        slack_api.response_url()))
        [note] = await slack_api.wait_for(RESPONSE_URL_METHOD)
        assert "no longer available" in note.body["text"]


async def test_feedback_is_counted_once_per_person(slack_api: SlackApi) -> None:
    async with running_bot(slack_api) as bot:
        message = {"ts": "1700000000.000100", "text": "reply"}
        for action_id in (ACTION_HELPFUL, ACTION_NOT_HELPFUL):
            await bot.interact(block_action(action_id, "rate-limited",
                                            slack_api.response_url(), message=message))
            await bot.settle()
        await bot.interact(block_action(ACTION_NOT_HELPFUL, "rate-limited",
                                        slack_api.response_url(), message=message,
                                        user="U0SOMEONE"))
        notes = await slack_api.wait_for(RESPONSE_URL_METHOD, 3)
        assert [n.body["text"] for n in notes] == [
            "Thanks, noted.", "Your vote on this answer was already counted.", "Thanks, noted."]
        _, stats = await bot.runtime.service.home()
        assert stats.feedback["rate-limited"].helpful == 1
        assert stats.feedback["rate-limited"].not_helpful == 1
        assert all(n.body["response_type"] == "ephemeral" for n in notes)
