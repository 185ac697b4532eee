"""Requests nobody signed, or signed but malformed, over real HTTP: each gets a 4xx and leaves no
error or traceback in the log; the server goes on answering Slack."""

from __future__ import annotations

import json
import logging

import pytest

from tests.support.pastes import ECR_NO_CREDENTIALS
from tests.support.slack_api import SlackApi
from tests.support.slack_requests import event_callback, message_event, running_bot, sign

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def no_trouble_logged(caplog: pytest.LogCaptureFixture) -> None:
    troubled = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert troubled == [], [r.getMessage() for r in troubled]


@pytest.mark.parametrize(
    ("body", "content_type", "headers", "expected"),
    [
        pytest.param(b"{not json", JSON, {}, 401, id="invalid-json"),
        pytest.param(b"[1, 2]", JSON, {}, 401, id="json-array"),
        pytest.param(b"[" * 3000, JSON, {}, 401, id="nested-3000-deep"),
        pytest.param(b'{"authorizations": 5}', JSON, {}, 401, id="object-bolt-cannot-read"),
        pytest.param(b"payload=%7Bnot", FORM, {}, 401, id="form-payload-not-json"),
        pytest.param(b"\xff\xfe{\x80}", JSON, {}, 400, id="invalid-utf-8"),
        pytest.param(b"{}", JSON, {"X-Slack-Retry-Num": "9" * 5000}, 401,
                     id="retry-num-5000-digits"),
        pytest.param(b"{}", JSON, {"X-Slack-Retry-Num": "\u00b2"}, 401,
                     id="retry-num-not-ascii"),
        pytest.param(b"{}", JSON, {"X-Slack-Request-Timestamp": "abc",
                                   "X-Slack-Signature": "v0=00"}, 401, id="timestamp-abc"),
        pytest.param(b"{}", JSON, {"X-Slack-Request-Timestamp": "9" * 5000,
                                   "X-Slack-Signature": "v0=00"}, 401, id="timestamp-5000-digits"),
    ],
)
async def test_anonymous_junk_is_refused_with_a_4xx_and_no_traceback(
    slack_api: SlackApi, caplog: pytest.LogCaptureFixture, body: bytes, content_type: str,
    headers: dict[str, str], expected: int,
) -> None:
    async with running_bot(slack_api) as bot:
        async with bot.session.post(f"{bot.url}/slack/events", data=body,
                                    headers={"Content-Type": content_type, **headers}) as r:
            assert r.status == expected
            assert "error" in await r.json()
        # Still serving Slack.
        status = await bot.event(event_callback(message_event(ECR_NO_CREDENTIALS)))
        assert status == 200
        await slack_api.wait_for("chat.postMessage")
        await bot.settle()
    no_trouble_logged(caplog)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        pytest.param(b"{not json", JSON, id="invalid-json"),
        pytest.param(b"payload=%7Bnot", FORM, id="form-payload-not-json"),
        pytest.param(b"\xff\xfe{\x80}", JSON, id="invalid-utf-8"),
        pytest.param(b"[" * 3000, JSON, id="nested-3000-deep"),
    ],
)
async def test_a_signed_body_that_is_not_a_slack_request_is_a_400(
    slack_api: SlackApi, caplog: pytest.LogCaptureFixture, body: bytes, content_type: str,
) -> None:
    async with running_bot(slack_api) as bot:
        headers = {"Content-Type": content_type, **sign(body)}
        async with bot.session.post(f"{bot.url}/slack/events", data=body,
                                    headers=headers) as r:
            assert r.status == 400
    no_trouble_logged(caplog)


async def test_a_signed_event_with_an_absurd_retry_number_is_answered(
    slack_api: SlackApi, caplog: pytest.LogCaptureFixture,
) -> None:
    async with running_bot(slack_api) as bot:
        body = json.dumps(event_callback(message_event(ECR_NO_CREDENTIALS)))
        status, _ = await bot.post(body, JSON, headers={"X-Slack-Retry-Num": "9" * 5000})
        assert status == 200
        await slack_api.wait_for("chat.postMessage")
        await bot.settle()
    no_trouble_logged(caplog)
