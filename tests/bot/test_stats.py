"""Fix rates per cause: helpful votes / answers given, over 30 days, from a real Redis, and
where knowledge-base owners read them (App Home, `registry-why kb list --stats`)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.stats import RATE_DAYS, FixRate, Stats
from bot.store import Keys, RedisStore
from tests.support.redis_server import RedisServer

ROOT = Path(__file__).parents[2]
PREFIX = "rwtest"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 1, 12, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def test_fix_rates_count_answers_and_votes_of_the_last_30_days(
    clean_redis: RedisServer,
) -> None:
    clock = Clock()
    store = RedisStore(clean_redis.url, ready_key=f"{PREFIX}:ready")
    stats = Stats(store, Keys(PREFIX), now=clock)
    try:
        # Old activity, outside the window: it must not count.
        for _ in range(5):
            await stats.record("rate-limited")
            await stats.record_feedback("rate-limited", helpful=False)
        clock.now += timedelta(days=RATE_DAYS + 1)
        for _ in range(4):
            await stats.record("rate-limited")
        await stats.record_feedback("rate-limited", helpful=True)
        await stats.record_feedback("rate-limited", helpful=True)
        await stats.record_feedback("rate-limited", helpful=False)
        await stats.record("clock-skew")
        read = await stats.read()
    finally:
        await store.aclose()
    assert read.fix_rates["rate-limited"] == FixRate(asked=4, helpful=2, not_helpful=1)
    assert read.fix_rates["rate-limited"].rate == 0.5
    assert read.fix_rates["clock-skew"].rate == 0.0
    assert list(read.fix_rates) == ["clock-skew", "rate-limited"]  # the worst first
    # The lasting totals still count every vote.
    assert read.feedback["rate-limited"].not_helpful == 6


async def test_kb_list_stats_reads_the_rates_from_redis(clean_redis: RedisServer) -> None:
    store = RedisStore(clean_redis.url, ready_key=f"{PREFIX}:ready")
    stats = Stats(store, Keys(PREFIX))
    try:
        await stats.record("manifest-unknown")
        await stats.record_feedback("manifest-unknown", helpful=True)
    finally:
        await store.aclose()
    listed = subprocess.run(
        [sys.executable, "-m", "bot.cli", "kb", "list", "--stats"], capture_output=True,
        text=True, cwd=ROOT, timeout=60, check=False,
        env={**os.environ, "REDIS_URL": clean_redis.url, "REGISTRY_WHY_REDIS_PREFIX": PREFIX},
    )
    assert listed.returncode == 0, listed.stderr
    line = next(x for x in listed.stdout.splitlines() if x.startswith("manifest-unknown "))
    assert "fixed 100% (1 helpful, 0 not, 1 answered in 30 d)" in line
