"""The service: what to answer, noise control, de-duplication, feedback, stats; nothing raw kept."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.service import (
    EVENT_LEASE,
    EVENT_TTL,
    AnsweredAbove,
    Explained,
    ImageInfo,
    Quiet,
    Repeat,
    Reply,
    Service,
    ThreadView,
    Usage,
)
from bot.settings import Settings
from bot.store import MemoryStore, RedisStore, Store
from tests.support.clock import FakeClock
from tests.support.pastes import (
    CHAT,
    DOCKER_HUB_RATE_LIMIT,
    ECR_NO_CREDENTIALS,
    GITHUB_TOKEN,
    IMAGE_ONLY,
    WITH_SECRET,
)
from tests.support.redis_server import RedisServer

CHANNEL = "C0INCIDENT"


def make(store: Store | None = None, **values: Any) -> Service:
    settings = Settings(**{"redis_prefix": "svc", "repeat_window": 1800,
                           "confidence_threshold": 0.8, "auto_reply": True, "channels": {},
                           **values})
    return Service(settings, store if store is not None else MemoryStore())


@pytest.fixture
async def redis_store(clean_redis: RedisServer) -> AsyncIterator[RedisStore]:
    store = RedisStore(clean_redis.url)
    yield store
    await store.aclose()


@pytest.mark.parametrize("text", ["", "   ", "help", "HELP", "--help"])
async def test_empty_or_help_gets_usage(text: str) -> None:
    assert await make().answer(text) == Usage()


@pytest.mark.parametrize(
    ("text", "image", "family"),
    [
        pytest.param(IMAGE_ONLY, "ghcr.io/acme/billing:1.2", "ghcr", id="ghcr"),
        pytest.param("nginx:1.27", "docker.io/library/nginx:1.27", "dockerhub", id="short"),
        pytest.param("localhost:5000/app", "localhost:5000/app:latest", "self-hosted",
                     id="self-hosted"),
    ],
)
async def test_image_alone_gets_registry_info(text: str, image: str, family: str) -> None:
    answer = await make().answer(text)
    assert isinstance(answer, ImageInfo)
    assert (str(answer.image), answer.family) == (image, family)


async def test_a_lone_word_is_not_taken_for_an_image() -> None:
    answer = await make().answer("unauthorized")
    assert isinstance(answer, Explained)


async def test_error_gets_explained_and_chat_gets_not_sure() -> None:
    service = make()
    named = await service.answer(ECR_NO_CREDENTIALS)
    assert isinstance(named, Explained)
    assert named.named
    assert named.diagnosis.class_id == "no-basic-auth-credentials"
    unsure = await service.answer(CHAT)
    assert isinstance(unsure, Explained)
    assert not unsure.named


async def test_confident_paste_gets_a_reply_and_chat_does_not() -> None:
    service = make()
    reply = await service.consider_paste(CHANNEL, "1.1", "1.1", ECR_NO_CREDENTIALS)
    assert isinstance(reply, Reply)
    assert reply.diagnosis.class_id == "no-basic-auth-credentials"
    assert await service.consider_paste(CHANNEL, "1.2", "1.2", CHAT) == Quiet(
        "not a registry error")


BARE_TLS = "x509: certificate signed by unknown authority"
"""A short inner error with nothing around it that says "registry" (synthetic)."""


async def test_asked_names_a_bare_inner_error_that_a_channel_paste_leaves_alone() -> None:
    service = make()
    asked = await service.answer(BARE_TLS)
    assert isinstance(asked, Explained)
    assert asked.diagnosis.class_id == "tls-unknown-authority"
    unasked = await service.consider_paste(CHANNEL, "1.1", "1.1", BARE_TLS)
    assert isinstance(unasked, Quiet)
    assert unasked.reason.startswith("unasked confidence 0.00 below 0.80")
    with_registry = f'Error response from daemon: Get "https://r.example/v2/": {BARE_TLS}'
    assert isinstance(await service.consider_paste(CHANNEL, "1.2", "1.2", with_registry), Reply)


async def test_a_message_is_answered_once() -> None:
    service = make()
    assert isinstance(await service.consider_paste(CHANNEL, "1.1", "1.1", DOCKER_HUB_RATE_LIMIT),
                      Reply)
    again = await service.consider_paste(CHANNEL, "1.1", "1.1", DOCKER_HUB_RATE_LIMIT)
    assert again == Quiet("message already answered")


async def test_threshold_and_auto_reply_per_channel() -> None:
    service = make(confidence_threshold=0.99, channels={
        "C0LOOSE": {"confidence_threshold": 0.5}, "C0QUIET": {"auto_reply": False}})
    strict = await service.consider_paste(CHANNEL, "1.1", "1.1", ECR_NO_CREDENTIALS)
    assert isinstance(strict, Quiet)
    assert "below 0.99" in strict.reason
    assert isinstance(await service.consider_paste("C0LOOSE", "1.1", "1.1", ECR_NO_CREDENTIALS),
                      Reply)
    off = await service.consider_paste("C0QUIET", "1.1", "1.1", ECR_NO_CREDENTIALS)
    assert off == Quiet("auto-reply is off in this channel")


async def test_repeats_of_a_cause_are_counted_not_answered() -> None:
    service = make()
    first = await service.consider_paste(CHANNEL, "1.1", "1.1", DOCKER_HUB_RATE_LIMIT)
    assert isinstance(first, Reply)
    second = await service.consider_paste(CHANNEL, "1.2", "1.2", DOCKER_HUB_RATE_LIMIT)
    assert isinstance(second, Repeat)
    assert (second.count, second.thread_ts, second.counter_ts, second.post_counter) == (
        2, "1.1", None, True)
    assert await service.remember_counter(CHANNEL, second, "9.9") == 2
    third = await service.consider_paste(CHANNEL, "1.3", "1.3", DOCKER_HUB_RATE_LIMIT)
    assert isinstance(third, Repeat)
    assert (third.count, third.counter_ts, third.post_counter) == (3, "9.9", False)
    # Another cause, or another channel, is answered in full.
    assert isinstance(await service.consider_paste(CHANNEL, "1.4", "1.4", ECR_NO_CREDENTIALS),
                      Reply)
    assert isinstance(await service.consider_paste("C0OTHER", "1.5", "1.5",
                                                   DOCKER_HUB_RATE_LIMIT), Reply)


async def test_repeat_window_zero_turns_noise_control_off() -> None:
    service = make(repeat_window=0)
    for ts in ("1.1", "1.2"):
        assert isinstance(await service.consider_paste(CHANNEL, ts, ts, DOCKER_HUB_RATE_LIMIT),
                          Reply)


async def test_only_one_replica_posts_the_counter(redis_store: RedisStore,
                                                  clean_redis: RedisServer) -> None:
    one = make(RedisStore(clean_redis.url))
    two = make(redis_store)
    try:
        await one.consider_paste(CHANNEL, "1.1", "1.1", DOCKER_HUB_RATE_LIMIT)
        a = await one.consider_paste(CHANNEL, "1.2", "1.2", DOCKER_HUB_RATE_LIMIT)
        b = await two.consider_paste(CHANNEL, "1.3", "1.3", DOCKER_HUB_RATE_LIMIT)
        assert isinstance(a, Repeat)
        assert isinstance(b, Repeat)
        assert [a.post_counter, b.post_counter] == [True, False]
        assert {a.count, b.count} == {2, 3}
    finally:
        await one.store.aclose()


async def test_feedback_counts_once_per_person_per_reply() -> None:
    service = make()
    assert await service.record_feedback("rate-limited", True, "U1", "C1:1.1") is True
    assert await service.record_feedback("rate-limited", False, "U1", "C1:1.1") is False
    assert await service.record_feedback("rate-limited", False, "U2", "C1:1.1") is True
    assert await service.record_feedback("no-such-class", True, "U3", "C1:1.1") is False
    _, stats = await service.home()
    assert (stats.feedback["rate-limited"].helpful,
            stats.feedback["rate-limited"].not_helpful) == (1, 1)


async def test_home_shows_top_causes() -> None:
    service = make()
    for n in range(3):
        await service.count_shown(await service.answer(DOCKER_HUB_RATE_LIMIT + f" ({n})"))
    await service.count_shown(await service.consider_paste(CHANNEL, "1.1", "1.1",
                                                           ECR_NO_CREDENTIALS))
    await service.count_shown(await service.answer(CHAT))  # no cause: not counted
    entries, stats = await service.home()
    assert stats.last_day == (("rate-limited", 3), ("no-basic-auth-credentials", 1))
    assert stats.last_week == stats.last_day
    assert "rate-limited" in {e.id for e in entries}


async def test_redis_holds_no_pasted_text_and_every_key_expires(
    redis_store: RedisStore, clean_redis: RedisServer,
) -> None:
    service = make(redis_store)
    assert await service.first_delivery("EvSECRET1")
    for ts in ("1.1", "1.2"):
        await service.count_shown(await service.consider_paste(CHANNEL, ts, ts, WITH_SECRET))
    await service.count_shown(await service.answer(WITH_SECRET))
    await service.record_feedback("no-basic-auth-credentials", True, "U1", f"{CHANNEL}:1.1")
    keys = clean_redis.key_names()
    assert keys
    assert all(k.startswith("svc:") for k in keys)
    values = []
    for key in keys:
        hashed = "stats" in key or "feedback" in key
        values.append(await redis_store.hgetall([key]) if hashed else await redis_store.get(key))
    dump = " ".join(keys) + repr(values)
    for fragment in (GITHUB_TOKEN, "docker login", "no basic auth", "123456789012"):
        assert fragment not in dump
    lasting = {k for k in keys if clean_redis.ttl(k) == -1}
    assert lasting == {"svc:feedback:helpful"}


async def test_an_event_claimed_but_never_acked_is_handled_when_slack_redelivers() -> None:
    clock = FakeClock()
    service = make(MemoryStore(clock=clock))
    assert await service.first_delivery("Ev1")
    # Slack's immediate retry, while the first delivery is still being handled: ignored.
    assert not await service.first_delivery("Ev1")
    # The replica died before acking; a minute later Slack redelivers and it is handled.
    clock.now += EVENT_LEASE + 1
    assert await service.first_delivery("Ev1")


async def test_an_acked_event_stays_claimed_past_the_lease() -> None:
    clock = FakeClock()
    service = make(MemoryStore(clock=clock))
    assert await service.first_delivery("Ev2")
    await service.acked("Ev2")
    clock.now += EVENT_LEASE + 1
    assert not await service.first_delivery("Ev2")
    clock.now += EVENT_TTL
    assert await service.first_delivery("Ev2")


async def test_a_mention_in_a_thread_explains_the_thread_s_first_message() -> None:
    service = make()
    reads: list[str] = []

    async def thread() -> ThreadView:
        reads.append("read")
        return ThreadView(ECR_NO_CREDENTIALS, answered=False)

    reply = await service.answer_mention("why?", channel=CHANNEL, ts="2.2", thread_ts="2.1",
                                         user="U1", read_thread=thread)
    assert isinstance(reply, Explained)
    assert reply.diagnosis.class_id == "no-basic-auth-credentials"
    assert reads == ["read"]
    # The same mention again (a retry, another replica) is not answered twice.
    assert await service.answer_mention("why?", channel=CHANNEL, ts="2.2", thread_ts="2.1",
                                        user="U1", read_thread=thread) is None


async def test_a_mention_under_the_bot_s_own_answer_points_at_it() -> None:
    async def answered() -> ThreadView:
        return ThreadView(ECR_NO_CREDENTIALS, answered=True)

    reply = await make().answer_mention("thanks", channel=CHANNEL, ts="3.2", thread_ts="3.1",
                                        user="U1", read_thread=answered)
    assert reply == AnsweredAbove()


async def test_a_mention_with_its_own_error_does_not_read_the_thread() -> None:
    async def unexpected() -> ThreadView:
        raise AssertionError("the thread was read")

    reply = await make().answer_mention(ECR_NO_CREDENTIALS, channel=CHANNEL, ts="4.2",
                                        thread_ts="4.1", user="U1", read_thread=unexpected)
    assert isinstance(reply, Explained)
    assert reply.named


async def test_a_shortcut_answers_in_the_thread_once_then_privately() -> None:
    service = make()
    first = await service.answer_shortcut(ECR_NO_CREDENTIALS, channel=CHANNEL, user="U1",
                                          message_ts="5.1")
    again = await service.answer_shortcut(ECR_NO_CREDENTIALS, channel=CHANNEL, user="U2",
                                          message_ts="5.1")
    unsure = await service.answer_shortcut(CHAT, channel=CHANNEL, user="U1", message_ts="5.2")
    assert (first.in_thread, again.in_thread, unsure.in_thread) == (True, False, False)


async def test_the_repeat_counter_is_posted_once_then_updated() -> None:
    service = make()
    calls: list[tuple[str, int]] = []

    async def post(count: int) -> str | None:
        calls.append(("post", count))
        return "9.1"

    async def update(ts: str, count: int) -> None:
        calls.append((f"update {ts}", count))

    await service.consider_paste(CHANNEL, "6.1", "6.1", DOCKER_HUB_RATE_LIMIT)
    for ts in ("6.2", "6.3"):
        repeat = await service.consider_paste(CHANNEL, ts, ts, DOCKER_HUB_RATE_LIMIT)
        assert isinstance(repeat, Repeat)
        await service.show_repeat(CHANNEL, repeat, post=post, update=update)
    assert calls == [("post", 2), ("update 9.1", 3)]
