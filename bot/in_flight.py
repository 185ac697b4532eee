"""Listener runs still working after their ack, so a stopping bot can let them finish.

Bolt acknowledges a request and then runs the listener detached from it; on shutdown those
runs would be cut short, losing replies. Listeners wrapped with ``track`` are counted.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class InFlight:
    """A count of running tracked coroutines, and a way to wait until there are none."""

    def __init__(self) -> None:
        self._running = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def running(self) -> int:
        """How many tracked runs are in progress."""
        return self._running

    def track(self, func: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
        """Wrap a listener so its runs are counted (the signature is kept: Bolt reads it)."""

        @functools.wraps(func)
        async def tracked(*args: P.args, **kwargs: P.kwargs) -> T:
            self._running += 1
            self._idle.clear()
            try:
                return await func(*args, **kwargs)
            finally:
                self._running -= 1
                if self._running == 0:
                    self._idle.set()

        return tracked

    async def wait_idle(self, timeout: float) -> bool:
        """Wait until no tracked run is in progress; False if some still are after ``timeout``."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True
