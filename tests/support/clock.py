"""A clock tests move by hand, for stores and limits that take a ``clock`` callable."""

from __future__ import annotations


class FakeClock:
    """Returns ``now``; tests advance it with ``clock.now += seconds``."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
