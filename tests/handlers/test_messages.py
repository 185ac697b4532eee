"""Pasted errors in channels, through signed HTTP requests to the served app."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from bot.metrics import REGISTRY
from bot.service import EVENT_LEASE
from bot.store import FailoverStore, MemoryStore, RedisStore
from tests.support.clock import FakeClock
from tests.support.pastes import (
    CHAT,
    DOCKER_HUB_RATE_LIMIT,
    ECR_NO_CREDENTIALS,
    GITHUB_TOKEN,
    WITH_SECRET,
)
from tests.support.redis_server import RedisServer
from tests.support.slack_api import BOT_ID, BOT_USER_ID, SlackApi
from tests.support.slack_requests import (
    CHANNEL,
    event_callback,
    mention_event,
    message_event,
    new_ts,
    running_bot,
)


async def test_confident_paste_gets_a_thread_reply(slack_api: SlackApi) -> None:
    async with running_bot(slack_api) as bot:
        event = message_event(ECR_NO_CREDENTIALS)
        assert await bot.event(event_callback(event)) == 200
        [reply] = await slack_api.wait_for("chat.postMessage")
        assert reply.body["channel"] == CHANNEL
        assert reply.body["thread_ts"] == event["ts"]  # in the thread, never in the channel
        assert "No credentials are configured" in reply.body["text"]
        assert any(b["type"] == "actions" for b in reply.body["blocks"])


async def test_paste_inside_a_thread_is_answered_in_that_thread(slack_api: SlackApi) -> None:
    async with running_bot(slack_api) as bot:
        parent = new_ts()
        await bot.event(event_callback(message_event(DOCKER_HUB_RATE_LIMIT, thread_ts=parent)))
        [reply] = await slack_api.wait_for("chat.postMessage")
        assert reply.body["thread_ts"] == parent


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(message_event(CHAT), id="ordinary-chat"),
        pytest.param(message_event(ECR_NO_CREDENTIALS, bot_id="B0OTHER", user="U0OTHERBOT"),
                     id="another-bot"),
        pytest.param(message_event(ECR_NO_CREDENTIALS, subtype="bot_message", user=None,
                                   bot_id="B0OTHER"), id="bot-message"),
        pytest.param(message_event(ECR_NO_CREDENTIALS, user=BOT_USER_ID, bot_id=BOT_ID),
                     id="own-reply"),
        pytest.param(message_event("", subtype="message_changed", user=None, hidden=True,
                                   message={"text": ECR_NO_CREDENTIALS, "user": "U1",
                                            "ts": "1.1"}), id="edit"),
        pytest.param(message_event(ECR_NO_CREDENTIALS, subtype="message_deleted", user=None),
                     id="deletion"),
        pytest.param(message_event("<@U0PERSON1> has joined the channel",
                                   subtype="channel_join"), id="channel-join"),
        pytest.param(message_event(ECR_NO_CREDENTIALS, subtype="message_replied"),
                     id="thread-notice"),
    ],
)
async def test_no_reply(slack_api: SlackApi, event: dict[str, object]) -> None:
    async with running_bot(slack_api) as bot:
        assert await bot.event(event_callback(event)) == 200
        # A paste sent after it is answered: by then the first event was fully handled.
        await bot.event(event_callback(message_event(DOCKER_HUB_RATE_LIMIT, channel="C0LATER")))
        await slack_api.wait_for("chat.postMessage")
        await bot.settle()
        assert [c.body["channel"] for c in slack_api.calls("chat.postMessage")] == ["C0LATER"]


async def test_slack_retries_produce_one_reply(slack_api: SlackApi) -> None:
    async with running_bot(slack_api) as bot:
        payload = event_callback(message_event(ECR_NO_CREDENTIALS))
        statuses = [await bot.event(payload, retry_num=n) for n in range(4)]
        assert statuses == [200, 200, 200, 200]
        await slack_api.wait_for("chat.postMessage")
        await bot.settle()
        assert len(slack_api.calls("chat.postMessage")) == 1


async def test_an_acked_event_is_claimed_for_good_not_just_for_the_lease(
    slack_api: SlackApi,
) -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    async with running_bot(slack_api, store=store) as bot:
        payload = event_callback(message_event(ECR_NO_CREDENTIALS))
        assert await bot.event(payload) == 200
        await slack_api.wait_for("chat.postMessage")
        await bot.settle()
        # Past the lease a claim that was never confirmed would lapse; this one was acked.
        clock.now += EVENT_LEASE + 1
        ignored = REGISTRY.get_sample_value("registry_why_redeliveries_ignored_total") or 0.0
        assert await bot.event(payload, retry_num=1) == 200
        await bot.settle()
        assert REGISTRY.get_sample_value("registry_why_redeliveries_ignored_total") == ignored + 1
        assert len(slack_api.calls("chat.postMessage")) == 1


async def test_an_event_not_acknowledged_keeps_only_its_lease(slack_api: SlackApi) -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    async with running_bot(slack_api, store=store) as bot:
        # No listener takes this event type: Bolt answers 404, so Slack will redeliver it.
        payload = event_callback({"type": "reaction_added", "user": "U1", "reaction": "eyes",
                                  "item": {"type": "message", "channel": CHANNEL, "ts": "1.1"}})
        assert await bot.event(payload) == 404
        clock.now += EVENT_LEASE + 1
        ignored = REGISTRY.get_sample_value("registry_why_redeliveries_ignored_total") or 0.0
        assert await bot.event(payload, retry_num=1) == 404  # handled again, not ignored
        assert REGISTRY.get_sample_value("registry_why_redeliveries_ignored_total") == ignored


async def test_message_and_mention_of_one_paste_produce_one_reply(slack_api: SlackApi) -> None:
    async with running_bot(slack_api) as bot:
        ts = new_ts()
        text = f"<@{BOT_USER_ID}> {ECR_NO_CREDENTIALS}"
        await asyncio.gather(
            bot.event(event_callback(message_event(text, ts=ts))),
            bot.event(event_callback(mention_event(text, ts=ts))),
        )
        await slack_api.wait_for("chat.postMessage")
        await bot.settle()
        assert len(slack_api.calls("chat.postMessage")) == 1


async def test_two_instances_sharing_redis_reply_once(
    slack_api: SlackApi, clean_redis: RedisServer
) -> None:
    async with running_bot(slack_api, redis_url=clean_redis.url) as one, \
            running_bot(slack_api, redis_url=clean_redis.url) as two:
        payload = event_callback(message_event(ECR_NO_CREDENTIALS))
        # Slack's retry of a slow first delivery lands on the other replica.
        statuses = await asyncio.gather(one.event(payload), two.event(payload, retry_num=1))
        assert list(statuses) == [200, 200]
        # The same message also arrives as a second event (another event id) on the other one.
        again = event_callback(dict(payload["event"]))
        await asyncio.gather(one.event(again), two.event(again))
        await slack_api.wait_for("chat.postMessage")
        await one.settle()
        await two.settle()
        assert len(slack_api.calls("chat.postMessage")) == 1


async def test_pasted_mentions_ping_no_one(slack_api: SlackApi) -> None:
    async with running_bot(slack_api) as bot:
        # What Slack delivers when someone pastes these characters as text.
        text = ECR_NO_CREDENTIALS + " &lt;!channel&gt; &lt;@U0BOSS&gt; &lt;!here&gt;"
        await bot.event(event_callback(message_event(text)))
        [reply] = await slack_api.wait_for("chat.postMessage")
        for ping in (b"<!channel>", b"<@U0BOSS>", b"<!here>"):
            assert ping not in reply.raw
        assert b"&lt;!channel&gt;" in reply.raw  # the text is shown, escaped


async def test_secrets_never_reach_slack(slack_api: SlackApi) -> None:
    async with running_bot(slack_api) as bot:
        await bot.event(event_callback(message_event(WITH_SECRET)))
        [reply] = await slack_api.wait_for("chat.postMessage")
        await bot.settle()
        assert GITHUB_TOKEN.encode() not in slack_api.recorded_bytes()
        assert GITHUB_TOKEN[4:20].encode() not in slack_api.recorded_bytes()
        assert "GitHub token" in reply.body["text"]


async def test_repeated_cause_gets_one_reply_then_a_counter(slack_api: SlackApi) -> None:
    async with running_bot(slack_api) as bot:
        first = message_event(DOCKER_HUB_RATE_LIMIT)
        await bot.event(event_callback(first))
        await slack_api.wait_for("chat.postMessage")
        for _ in range(3):
            await bot.event(event_callback(message_event(DOCKER_HUB_RATE_LIMIT)))
            await bot.settle()
        posts = slack_api.calls("chat.postMessage")
        assert len(posts) == 2  # the answer, then one counter under it
        counter = posts[1]
        assert counter.body["thread_ts"] == first["ts"]
        assert "seen 2 times" in counter.body["blocks"][0]["text"]["text"]
        updates = slack_api.calls("chat.update")
        assert counter.response is not None
        assert [u.body["ts"] for u in updates] == [counter.response["ts"]] * 2
        assert "seen 4 times" in updates[-1].body["blocks"][0]["text"]["text"]


GHCR_NO_CREDENTIALS = ('Error response from daemon: Get "https://ghcr.io/v2/acme/billing/manifests/'
                       '1.2": no basic auth credentials')


async def test_same_cause_at_another_registry_gets_its_own_answer(slack_api: SlackApi) -> None:
    async with running_bot(slack_api) as bot:
        ecr, ghcr = message_event(ECR_NO_CREDENTIALS), message_event(GHCR_NO_CREDENTIALS)
        for event in (ecr, ghcr):
            await bot.event(event_callback(event))
            await bot.settle()
        replies = slack_api.calls("chat.postMessage")
        assert [r.body["thread_ts"] for r in replies] == [ecr["ts"], ghcr["ts"]]
        assert "ghcr.io" in json.dumps(replies[1].body["blocks"])  # its own commands
        assert slack_api.calls("chat.update") == []


async def test_counter_counts_repeats_that_come_while_it_is_being_posted(
    slack_api: SlackApi,
) -> None:
    async with running_bot(slack_api) as bot:
        await bot.event(event_callback(message_event(ECR_NO_CREDENTIALS)))
        await bot.settle()
        slack_api.slow("chat.postMessage", 0.5)  # the counter's post
        for _ in range(3):
            await bot.event(event_callback(message_event(ECR_NO_CREDENTIALS)))
        await bot.settle()
        [update] = slack_api.calls("chat.update")
        assert "seen 4 times" in update.body["text"]


async def test_a_new_window_counts_under_its_own_answer(slack_api: SlackApi) -> None:
    clock = FakeClock()
    async with running_bot(slack_api, store=MemoryStore(clock=clock), repeat_window=60) as bot:
        pastes = [message_event(ECR_NO_CREDENTIALS) for _ in range(4)]
        # The counter comes half-way through the first window, which ends before the third.
        for paste, later in zip(pastes, (30, 31, 0, 0), strict=True):
            await bot.event(event_callback(paste))
            await bot.settle()
            clock.now += later
        posts = slack_api.calls("chat.postMessage")
        assert [p.body["thread_ts"] for p in posts] == [pastes[0]["ts"], pastes[0]["ts"],
                                                        pastes[2]["ts"], pastes[2]["ts"]]
        assert slack_api.calls("chat.update") == []  # the old window's counter stays as it was


async def test_channel_with_auto_reply_off_gets_nothing(slack_api: SlackApi) -> None:
    async with running_bot(slack_api, channels={"C0QUIET": {"auto_reply": False}}) as bot:
        await bot.event(event_callback(message_event(ECR_NO_CREDENTIALS, channel="C0QUIET")))
        await bot.event(event_callback(message_event(ECR_NO_CREDENTIALS)))
        await slack_api.wait_for("chat.postMessage")
        await bot.settle()
        assert [c.body["channel"] for c in slack_api.calls("chat.postMessage")] == [CHANNEL]


async def test_redis_killed_mid_run_and_restarted(
    slack_api: SlackApi, clean_redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    store = FailoverStore(RedisStore(clean_redis.url), retry_interval=0.05)
    async with running_bot(slack_api, redis_url=clean_redis.url, store=store) as bot:
        await bot.event(event_callback(message_event(ECR_NO_CREDENTIALS, channel="C0A")))
        await slack_api.wait_for("chat.postMessage", 1)

        clean_redis.stop()
        during = event_callback(message_event(ECR_NO_CREDENTIALS, channel="C0B"))
        assert await bot.event(during) == 200
        await slack_api.wait_for("chat.postMessage", 2)  # still answering
        assert await bot.event(during, retry_num=1) == 200  # retries still de-duplicated
        await bot.event(event_callback(message_event(DOCKER_HUB_RATE_LIMIT, channel="C0C")))
        await slack_api.wait_for("chat.postMessage", 3)
        await bot.settle()
        outages = [r for r in caplog.records if "unreachable" in r.getMessage()]
        assert len(outages) == 1  # logged once, not per request

        clean_redis.start()
        await asyncio.sleep(0.1)  # past the store's retry interval
        after = event_callback(message_event(ECR_NO_CREDENTIALS, channel="C0D"))
        await bot.event(after)
        await slack_api.wait_for("chat.postMessage", 4)
        await bot.settle()
        assert f"rw-test:event:{after['event_id']}" in clean_redis.key_names()
        assert any("reachable again" in r.getMessage() for r in caplog.records)
        assert len(slack_api.calls("chat.postMessage")) == 4


async def test_slack_429_retry_after_is_honoured(slack_api: SlackApi) -> None:
    slack_api.fail("chat.postMessage", status=429, retry_after=1)
    async with running_bot(slack_api) as bot:
        await bot.event(event_callback(message_event(ECR_NO_CREDENTIALS)))
        attempts = await slack_api.wait_for("chat.postMessage", 2, timeout=5)
        await bot.settle()
        assert len(slack_api.calls("chat.postMessage")) == 2
        assert attempts[1].at - attempts[0].at >= 1.0


async def test_slack_500_is_retried(slack_api: SlackApi) -> None:
    slack_api.fail("chat.postMessage", status=500, times=2)
    async with running_bot(slack_api) as bot:
        await bot.event(event_callback(message_event(ECR_NO_CREDENTIALS)))
        await slack_api.wait_for("chat.postMessage", 3)
        await bot.settle()
        assert len(slack_api.calls("chat.postMessage")) == 3


async def test_a_reply_that_cannot_be_sent_is_logged_with_its_event(
    slack_api: SlackApi, caplog: pytest.LogCaptureFixture
) -> None:
    slack_api.fail("chat.postMessage", status=500, times=10)
    async with running_bot(slack_api) as bot:
        payload = event_callback(message_event(ECR_NO_CREDENTIALS))
        await bot.event(payload)
        await slack_api.wait_for("chat.postMessage", 3)
        await bot.settle()
    lost = [r for r in caplog.records if "reply lost" in r.getMessage()]
    assert len(lost) == 1
    assert payload["event_id"] in lost[0].getMessage()


async def test_slow_slack_does_not_delay_acks(slack_api: SlackApi) -> None:
    slack_api.slow("chat.postMessage", 1.0, times=2)
    async with running_bot(slack_api) as bot:
        loop = asyncio.get_running_loop()
        started = loop.time()
        await bot.event(event_callback(message_event(ECR_NO_CREDENTIALS)))
        await bot.event(event_callback(message_event(DOCKER_HUB_RATE_LIMIT)))
        assert loop.time() - started < 0.5
        await slack_api.wait_for("chat.postMessage", 2)
        await bot.settle()
