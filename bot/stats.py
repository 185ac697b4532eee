"""Activity counters for App Home: causes seen per hour and day, and feedback per cause.

Only class ids and counts are kept. Hour buckets (kept a little over a day) give "the last
24 h", day buckets (kept eight days) give "the last 7 days"; feedback totals last.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.store import Keys, Store

HOUR_BUCKET_TTL = 26 * 3600
DAY_BUCKET_TTL = 8 * 24 * 3600
TOP = 5


@dataclass(frozen=True, slots=True)
class Feedback:
    """Votes on the replies for one cause."""

    helpful: int = 0
    not_helpful: int = 0


@dataclass(frozen=True, slots=True)
class HomeStats:
    """What App Home shows about recent activity."""

    last_day: tuple[tuple[str, int], ...] = ()
    """Most frequent causes in the last 24 h, most frequent first."""
    last_week: tuple[tuple[str, int], ...] = ()
    feedback: dict[str, Feedback] = field(default_factory=dict)


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

    async def read(self) -> HomeStats:
        """Top causes of the last 24 h and 7 days, and feedback per cause."""
        now = self._now()
        hours = [self._keys.stats_hour((now - timedelta(hours=h)).strftime("%Y%m%d%H"))
                 for h in range(24)]
        days = [self._keys.stats_day((now - timedelta(days=d)).strftime("%Y%m%d"))
                for d in range(7)]
        buckets = await self._store.hgetall(
            [*hours, *days, self._keys.feedback(True), self._keys.feedback(False)])
        helpful, not_helpful = buckets[-2], buckets[-1]
        return HomeStats(
            last_day=_top(buckets[:24]),
            last_week=_top(buckets[24:31]),
            feedback={
                c: Feedback(helpful.get(c, 0), not_helpful.get(c, 0))
                for c in sorted(helpful.keys() | not_helpful.keys())
            },
        )


def _top(buckets: list[dict[str, int]]) -> tuple[tuple[str, int], ...]:
    total: Counter[str] = Counter()
    for bucket in buckets:
        total.update(bucket)
    return tuple(sorted(total.items(), key=lambda item: (-item[1], item[0]))[:TOP])
