"""One record per request from Slack, written once it is handled, through the served app."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from bot.metrics import REGISTRY
from bot.observe import EVENTS_LOGGER, FIELDS, RequestRecord, probed, receiving
from bot.probe import ProbeResult
from tests.support.pastes import CHAT, ECR_NO_CREDENTIALS
from tests.support.slack_api import RESPONSE_URL_METHOD, SlackApi
from tests.support.slack_requests import (
    CHANNEL,
    command_payload,
    event_callback,
    message_event,
    running_bot,
)


def written(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """The fields of every request record written so far."""
    return [getattr(r, FIELDS) for r in caplog.records if r.name == EVENTS_LOGGER]


async def test_each_request_is_written_once_with_what_became_of_it(
    slack_api: SlackApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=EVENTS_LOGGER)
    answered = event_callback(message_event(ECR_NO_CREDENTIALS))
    async with running_bot(slack_api) as bot:
        await bot.event(answered)
        await bot.event(answered, retry_num=1)
        await bot.event(event_callback(message_event(CHAT)))
        await bot.command(command_payload("help", slack_api.response_url("o1")))
        await bot.post(json.dumps(answered), "application/json", signed=False)
        await slack_api.wait_for("chat.postMessage")
        await slack_api.wait_for(RESPONSE_URL_METHOD)
        await bot.settle()

    lines = written(caplog)
    assert len(lines) == 5  # one per request: lines are written as requests finish
    [reply, redelivery] = sorted((line for line in lines
                                  if line["event_id"] == answered["event_id"]
                                  and line["status"] == 200),
                                 key=lambda line: line["redelivery"])
    [chat] = [line for line in lines if line["outcome"] == "quiet: not a registry error"]
    [command] = [line for line in lines if line["type"] == "slash_command"]
    [rejected] = [line for line in lines if line["status"] == 401]
    assert reply["event_id"] == answered["event_id"]
    assert (reply["type"], reply["mode"], reply["channel"]) == ("message", "http", CHANNEL)
    # The confidence is fitted from the corpus (scripts/fit-weights): enough to reply is the fact.
    assert reply["class"] == "no-basic-auth-credentials"
    assert reply["confidence"] >= 0.8
    assert (reply["outcome"], reply["replies"], reply["lost"], reply["status"]) == (
        "reply", 1, 0, 200)
    assert 0 < reply["ack_ms"] <= reply["latency_ms"]
    assert (redelivery["event_id"], redelivery["redelivery"], redelivery["outcome"]) == (
        answered["event_id"], 1, "redelivery ignored")
    assert redelivery["replies"] == 0
    assert (chat["class"], chat["replies"]) == (None, 0)
    assert (command["type"], command["outcome"], command["replies"]) == (
        "slash_command", "usage", 1)
    assert command["trigger_id"].startswith("trig.")
    assert command["ack_ms"] is not None  # written after both the ack and the run
    assert (rejected["status"], rejected["outcome"]) == (401, "rejected: bad signature")


def test_ids_from_a_body_are_kept_only_when_they_look_like_ids() -> None:
    body = {"type": "event_callback", "event_id": "token=ghp_x; rm -rf /",
            "event": {"type": "<script>", "channel": "C0OK"}}
    record = RequestRecord.from_body(body, mode="http", redelivery=0)
    assert (record.event_id, record.type, record.channel) == (None, "other", "C0OK")


def test_probe_results_are_counted_and_noted_on_the_request() -> None:
    def result(**fields: Any) -> ProbeResult:
        values: dict[str, Any] = {
            "image": "ghcr.io/acme/app:1", "host": "ghcr.io", "outcome": "ok", "verdict": None,
            "verdict_reason": None, "evidence": (), "elapsed_ms": 120, "tier": "anonymous"}
        return ProbeResult(**{**values, **fields})

    def count(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    before = (count("registry_why_probes_total", outcome="ok"),
              count("registry_why_probes_total", outcome="refused"),
              count("registry_why_probe_cache_total", result="hit"),
              count("registry_why_probe_cache_total", result="miss"),
              count("registry_why_probe_seconds_count"))
    with receiving({"command": "/registry-why", "trigger_id": "t.1"}, mode="http",
                   redelivery=0) as record:
        probed(result())
        probed(result(cached=True))
        assert record.probe == "ok"
        probed(result(outcome=None, refused="ghcr.io is not listed"))
        assert record.probe == "refused"
    after = (count("registry_why_probes_total", outcome="ok"),
             count("registry_why_probes_total", outcome="refused"),
             count("registry_why_probe_cache_total", result="hit"),
             count("registry_why_probe_cache_total", result="miss"),
             count("registry_why_probe_seconds_count"))
    assert [a - b for a, b in zip(after, before, strict=True)] == [2, 1, 1, 1, 2]
