"""``/metrics`` on a bot served for real: what it counts, in HTTP mode and in Socket Mode.

Metrics belong to the process, and other tests in this process move them too, so every test
compares two scrapes taken around what it does.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bot.slack.app import build_runtime
from bot.slack.server import start
from tests.support.pastes import CHAT, ECR_NO_CREDENTIALS
from tests.support.redis_server import RedisServer
from tests.support.slack_api import APP_TOKEN, RESPONSE_URL_METHOD, SlackApi
from tests.support.slack_requests import (
    bot_settings,
    command_payload,
    event_callback,
    message_event,
    running_bot,
)

ROOT = Path(__file__).resolve().parents[2]
Sample = tuple[str, frozenset[tuple[str, str]]]


async def scrape(session: aiohttp.ClientSession, url: str) -> dict[Sample, float]:
    """Every sample of ``url``/metrics, by name and labels."""
    async with session.get(f"{url}/metrics") as response:
        assert response.status == 200
        text = await response.text()
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def change(before: dict[Sample, float], after: dict[Sample, float]) -> Callable[..., float]:
    """How much one sample grew between two scrapes: ``delta(name, label=value, ...)``."""

    def delta(name: str, **labels: str) -> float:
        key = (name, frozenset(labels.items()))
        return after.get(key, 0.0) - before.get(key, 0.0)

    return delta


async def test_requests_diagnoses_and_replies_are_counted(slack_api: SlackApi) -> None:
    async with running_bot(slack_api) as bot:
        before = await scrape(bot.session, bot.url)
        answered = event_callback(message_event(ECR_NO_CREDENTIALS, channel="C0METRICS1"))
        assert await bot.event(answered) == 200
        assert await bot.event(event_callback(message_event(CHAT, channel="C0METRICS2"))) == 200
        assert await bot.event(answered, retry_num=1) == 200
        assert await bot.command(command_payload(ECR_NO_CREDENTIALS,
                                                 slack_api.response_url("m1"))) == 200
        status, _ = await bot.post(json.dumps(answered), "application/json", signed=False)
        assert status == 401
        await slack_api.wait_for("chat.postMessage")
        await slack_api.wait_for(RESPONSE_URL_METHOD)
        await bot.settle()
        delta = change(before, await scrape(bot.session, bot.url))

    # The unsigned request's body is never read (not even for its type): it counts as "other".
    assert delta("registry_why_requests_total", type="message", redelivery="false") == 2
    assert delta("registry_why_requests_total", type="other", redelivery="false") == 1
    assert delta("registry_why_requests_total", type="message", redelivery="true") == 1
    assert delta("registry_why_requests_total", type="slash_command", redelivery="false") == 1
    assert delta("registry_why_requests_rejected_total", status="401") == 1
    assert delta("registry_why_redeliveries_ignored_total") == 1
    assert delta("registry_why_classifications_total", band="high",
                 **{"class": "no-basic-auth-credentials"}) == 2
    assert delta("registry_why_unclassified_total") == 1
    assert delta("registry_why_paste_outcomes_total", outcome="reply") == 1
    assert delta("registry_why_paste_outcomes_total", outcome="quiet") == 1
    assert delta("registry_why_replies_posted_total", method="chat.postMessage") == 1
    assert delta("registry_why_replies_posted_total", method="response_url") == 1
    assert delta("registry_why_ack_seconds_count") == 5
    assert delta("registry_why_ack_seconds_bucket", le="0.5") == 5  # all acked well within 3 s
    assert delta("registry_why_reply_seconds_count") == 2


async def test_exposition_formats_and_process_figures(slack_api: SlackApi) -> None:
    async with running_bot(slack_api) as bot:
        async with bot.session.get(f"{bot.url}/metrics") as response:
            assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
            text = await response.text()
        openmetrics = {"Accept": "application/openmetrics-text; version=1.0.0"}
        async with bot.session.get(f"{bot.url}/metrics", headers=openmetrics) as response:
            assert response.headers["Content-Type"].startswith("application/openmetrics-text")
            assert (await response.text()).rstrip().endswith("# EOF")
    names = {family.name for family in text_string_to_metric_families(text)}
    assert {"process_resident_memory_bytes", "process_cpu_seconds",
            "registry_why_ack_seconds", "registry_why_redis_degraded",
            "registry_why_probes", "registry_why_probe_cache"} <= names
    assert "_created" not in text


async def test_slack_retries_and_failures_are_counted(slack_api: SlackApi) -> None:
    slack_api.fail("chat.postMessage", status=429, retry_after=0)
    async with running_bot(slack_api) as bot:
        before = await scrape(bot.session, bot.url)
        await bot.event(event_callback(message_event(ECR_NO_CREDENTIALS, channel="C0RETRY1")))
        await slack_api.wait_for("chat.postMessage", 2)  # the 429, then the retry
        await bot.settle()
        slack_api.fail("chat.postMessage", status=500, times=3)  # more than the retries
        await bot.event(event_callback(message_event(ECR_NO_CREDENTIALS, channel="C0RETRY2")))
        await slack_api.wait_for("chat.postMessage", 5)
        await bot.settle()
        delta = change(before, await scrape(bot.session, bot.url))

    assert delta("registry_why_slack_api_retries_total", reason="rate_limited") == 1
    assert delta("registry_why_slack_api_retries_total", reason="server_error") == 2
    assert delta("registry_why_slack_api_errors_total", method="chat.postMessage",
                 error="internal_error") == 1
    assert delta("registry_why_replies_lost_total") == 1
    assert delta("registry_why_replies_posted_total", method="chat.postMessage") == 1


async def test_redis_degradation_shows_in_the_gauge(slack_api: SlackApi,
                                                    clean_redis: RedisServer) -> None:
    async with running_bot(slack_api, redis_url=clean_redis.url) as bot:
        assert (await scrape(bot.session, bot.url))[("registry_why_redis_degraded",
                                                     frozenset())] == 0
        clean_redis.stop()
        await bot.event(event_callback(message_event(ECR_NO_CREDENTIALS)))
        await slack_api.wait_for("chat.postMessage")  # still answered, from memory
        await bot.settle()
        assert (await scrape(bot.session, bot.url))[("registry_why_redis_degraded",
                                                     frozenset())] == 1
        clean_redis.start()
        assert (await bot.get("/readyz"))[0] == 200  # the readiness check reconnects
        assert (await scrape(bot.session, bot.url))[("registry_why_redis_degraded",
                                                     frozenset())] == 0


async def test_socket_mode_serves_metrics_on_the_health_port(slack_api: SlackApi) -> None:
    settings = bot_settings(slack_api, slack_app_token=APP_TOKEN, slack_signing_secret=None)
    running = await start(settings, runtime=build_runtime(settings), port=0)
    try:
        url = f"http://127.0.0.1:{running.port}"
        async with aiohttp.ClientSession() as session:
            before = await scrape(session, url)
            await slack_api.wait_connections(1)
            envelope = await slack_api.push(
                "events_api", event_callback(message_event(ECR_NO_CREDENTIALS)))
            await slack_api.wait_ack(envelope)
            await slack_api.wait_for("chat.postMessage")
            assert await running.runtime.in_flight.wait_idle(5)
            delta = change(before, await scrape(session, url))
    finally:
        await running.stop()
    assert delta("registry_why_requests_total", type="message", redelivery="false") == 1
    assert delta("registry_why_ack_seconds_count") == 1
    assert delta("registry_why_replies_posted_total", method="chat.postMessage") == 1


async def test_build_info_names_the_installed_version(slack_api: SlackApi) -> None:
    with open(ROOT / "pyproject.toml", "rb") as file:
        released = tomllib.load(file)["project"]["version"]
    async with running_bot(slack_api) as bot:
        samples = await scrape(bot.session, bot.url)
    builds = {labels: value for (name, labels), value in samples.items()
              if name == "registry_why_build_info"}
    assert builds == {frozenset({("version", released)}): 1.0}
