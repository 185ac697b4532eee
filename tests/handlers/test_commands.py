"""``/registry-why``: ephemeral answers over the response URL, and sharing them."""

from __future__ import annotations

import time
from typing import Any

import pytest

from bot.service import Answer
from bot.slack.ids import ACTION_SHARE
from tests.support.pastes import ECR_PULL_SESSION, GITHUB_TOKEN, IMAGE_ONLY, WITH_SECRET
from tests.support.slack_api import RESPONSE_URL_METHOD, SlackApi
from tests.support.slack_requests import USER, block_action, command_payload, running_bot


def button(blocks: list[dict[str, Any]], action_id: str) -> dict[str, Any]:
    return next(e for b in blocks if b["type"] == "actions" for e in b["elements"]
                if e["action_id"] == action_id)


async def test_command_answers_only_the_person_who_asked(slack_api: SlackApi) -> None:
    async with running_bot(slack_api) as bot:
        started = time.monotonic()
        assert await bot.command(command_payload(ECR_PULL_SESSION,
                                                 slack_api.response_url("c1"))) == 200
        assert time.monotonic() - started < 1.0
        [answer] = await slack_api.wait_for(RESPONSE_URL_METHOD)
        assert answer.body["response_type"] == "ephemeral"
        assert "No credentials are configured" in answer.body["text"]
        assert button(answer.body["blocks"], ACTION_SHARE)
        assert slack_api.calls("chat.postMessage") == []  # nothing in the channel


async def test_share_posts_for_everyone_and_removes_the_private_copy(
    slack_api: SlackApi,
) -> None:
    async with running_bot(slack_api) as bot:
        await bot.command(command_payload(ECR_PULL_SESSION, slack_api.response_url("c1")))
        [answer] = await slack_api.wait_for(RESPONSE_URL_METHOD)
        share = button(answer.body["blocks"], ACTION_SHARE)

        click = block_action(ACTION_SHARE, share["value"], slack_api.response_url("a1"))
        assert await bot.interact(click) == 200
        _, shared, deleted = await slack_api.wait_for(RESPONSE_URL_METHOD, 3)
        assert shared.body["response_type"] == "in_channel"
        assert shared.body["replace_original"] is False
        assert shared.body["text"] == answer.body["text"]
        assert f"Shared by <@{USER}>" in str(shared.body["blocks"])
        assert ACTION_SHARE not in str(shared.body["blocks"])  # no share button once shared
        assert deleted.body == {"delete_original": True}


@pytest.mark.parametrize("text", ["", "help"])
async def test_empty_or_help_shows_usage(slack_api: SlackApi, text: str) -> None:
    async with running_bot(slack_api) as bot:
        await bot.command(command_payload(text, slack_api.response_url()))
        [answer] = await slack_api.wait_for(RESPONSE_URL_METHOD)
        assert answer.body["text"].startswith("Usage: /registry-why")


async def test_image_alone_says_which_registry(slack_api: SlackApi) -> None:
    async with running_bot(slack_api) as bot:
        await bot.command(command_payload(IMAGE_ONLY, slack_api.response_url()))
        [answer] = await slack_api.wait_for(RESPONSE_URL_METHOD)
        assert "GitHub Container Registry" in answer.body["text"]
        assert "docker manifest inspect ghcr.io/acme/billing:1.2" in str(answer.body["blocks"])
        assert "probe_registry" not in str(answer.body["blocks"])  # no probe configured


async def test_secret_in_a_command_is_masked_and_flagged(slack_api: SlackApi) -> None:
    async with running_bot(slack_api) as bot:
        await bot.command(command_payload(WITH_SECRET, slack_api.response_url()))
        [answer] = await slack_api.wait_for(RESPONSE_URL_METHOD)
        await bot.settle()
        assert GITHUB_TOKEN.encode() not in slack_api.recorded_bytes()
        assert "rotate it" in answer.body["text"]


async def test_an_unexpected_error_is_acked_logged_and_told_to_the_asker(
    slack_api: SlackApi, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    async with running_bot(slack_api) as bot:
        async def broken(text: str, **_: object) -> Answer:
            raise RuntimeError(text)  # an error quoting the paste

        # The one fault injected: any bug right after ack() must not cost the ack.
        monkeypatch.setattr(bot.runtime.service, "answer", broken)
        payload = command_payload(WITH_SECRET, slack_api.response_url("c1"))
        started = time.monotonic()
        assert await bot.command(payload) == 200
        assert time.monotonic() - started < 1.0
        [sorry] = await slack_api.wait_for(RESPONSE_URL_METHOD)
        assert sorry.body["response_type"] == "ephemeral"
        assert "went wrong" in sorry.body["text"]
        assert "RuntimeError" not in sorry.body["text"]  # no internals sent to Slack
    [lost] = [r.getMessage() for r in caplog.records if "reply lost" in r.getMessage()]
    assert f"trigger {payload['trigger_id']}" in lost
    assert "RuntimeError" in lost
    assert all(GITHUB_TOKEN not in r.getMessage() and "123456789012" not in r.getMessage()
               for r in caplog.records)
