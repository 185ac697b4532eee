"""Activity counters for App Home: causes seen per hour and day, and feedback per cause.

Only class ids and counts are kept. Hour buckets (kept a little over a day) give "the last
24 h", day buckets (kept a little over a month) give "the last 7 days" and, with the day
buckets of votes, each cause's fix rate over 30 days; feedback totals last.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.store import Keys, Store

HOUR_BUCKET_TTL = 26 * 3600
RATE_DAYS = 30
DAY_BUCKET_TTL = (RATE_DAYS + 1) * 24 * 3600
TOP = 5


@dataclass(frozen=True, slots=True)
class Feedback:
    """Votes on the replies for one cause."""

    helpful: int = 0
    not_helpful: int = 0


@dataclass(frozen=True, slots=True)
class FixRate:
    """How often the answer about one cause fixed the problem, over ``RATE_DAYS`` days."""

    asked: int
    """Answers given about this cause."""
    helpful: int
    not_helpful: int

    @property
    def rate(self) -> float | None:
        """helpful / asked, or None before any answer was given."""
        return self.helpful / self.asked if self.asked else None

    def __str__(self) -> str:
        rate = "n/a" if self.rate is None else f"{self.rate:.0%}"
        return (f"fixed {rate} ({self.helpful} helpful, {self.not_helpful} not, "
                f"{self.asked} answered in {RATE_DAYS} d)")


@dataclass(frozen=True, slots=True)
class HomeStats:
    """What App Home shows about recent activity."""

    last_day: tuple[tuple[str, int], ...] = ()
    """Most frequent causes in the last 24 h, most frequent first."""
    last_week: tuple[tuple[str, int], ...] = ()
    feedback: dict[str, Feedback] = field(default_factory=dict)
    fix_rates: dict[str, FixRate] = field(default_factory=dict)
    """Per cause with answers or votes in the last ``RATE_DAYS`` days, lowest rate first."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Stats:
    """Records diagnoses and feedback, and reads them back for App Home."""

    def __init__(
        self, store: Store, keys: Keys, *, now: Callable[[], datetime] = _utc_now
    ) -> None:
        self._store = store
        self._keys = keys
        self._now = now

    async def record(self, class_id: str) -> None:
        """Count one diagnosis of ``class_id`` now."""
        now = self._now()
        await self._store.hincr(self._keys.stats_hour(now.strftime("%Y%m%d%H")), class_id,
                                HOUR_BUCKET_TTL)
        await self._store.hincr(self._keys.stats_day(now.strftime("%Y%m%d")), class_id,
                                DAY_BUCKET_TTL)

    async def record_feedback(self, class_id: str, helpful: bool) -> None:
        """Count one vote on a reply about ``class_id``."""
        await self._store.hincr(self._keys.feedback(helpful), class_id)
        day = self._now().strftime("%Y%m%d")
        await self._store.hincr(self._feedback_day(helpful, day), class_id, DAY_BUCKET_TTL)

    def _feedback_day(self, helpful: bool, day: str) -> str:
        return f"{self._keys.feedback(helpful)}:{day}"

    async def read(self) -> HomeStats:
        """Top causes of the last 24 h and 7 days, feedback and fix rate per cause."""
        now = self._now()
        hours = [self._keys.stats_hour((now - timedelta(hours=h)).strftime("%Y%m%d%H"))
                 for h in range(24)]
        dates = [(now - timedelta(days=d)).strftime("%Y%m%d") for d in range(RATE_DAYS)]
        days = [self._keys.stats_day(d) for d in dates]
        votes = [self._feedback_day(h, d) for h in (True, False) for d in dates]
        buckets = await self._store.hgetall(
            [*hours, *days, *votes, self._keys.feedback(True), self._keys.feedback(False)])
        helpful, not_helpful = buckets[-2], buckets[-1]
        answered = _sum(buckets[24 : 24 + RATE_DAYS])
        start = 24 + RATE_DAYS
        helped = _sum(buckets[start : start + RATE_DAYS])
        failed = _sum(buckets[start + RATE_DAYS : start + 2 * RATE_DAYS])
        rates = {c: FixRate(answered[c], helped[c], failed[c])
                 for c in answered.keys() | helped.keys() | failed.keys()}
        return HomeStats(
            last_day=_top(buckets[:24]),
            last_week=_top(buckets[24:31]),
            feedback={
                c: Feedback(helpful.get(c, 0), not_helpful.get(c, 0))
                for c in sorted(helpful.keys() | not_helpful.keys())
            },
            fix_rates=dict(sorted(rates.items(), key=lambda item: (
                item[1].rate if item[1].rate is not None else 2.0, item[0]))),
        )


def _sum(buckets: list[dict[str, int]]) -> Counter[str]:
    total: Counter[str] = Counter()
    for bucket in buckets:
        total.update(bucket)
    return total


def _top(buckets: list[dict[str, int]]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(_sum(buckets).items(), key=lambda item: (-item[1], item[0]))[:TOP])
