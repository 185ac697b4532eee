"""Listener runs still working after their ack, so a stopping bot can let them finish.

Bolt acknowledges a request and then runs the listener detached from it; on shutdown those
runs would be cut short, losing replies. Listeners wrapped with ``track`` are counted (and
close their request's log record when they end, see ``bot.observe``); runs still going when
the shutdown's bound is reached are cancelled.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from bot.observe import listener_run

P = ParamSpec("P")
T = TypeVar("T")


class InFlight:
    """A count of running tracked coroutines, and a way to wait until there are none."""

    def __init__(self) -> None:
        self._running = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._tasks: set[asyncio.Task[object]] = set()

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
            task = asyncio.current_task()
            if task is not None:
                self._tasks.add(task)
            try:
                with listener_run():
                    return await func(*args, **kwargs)
            finally:
                if task is not None:
                    self._tasks.discard(task)
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

    async def cancel(self, timeout: float = 1.0) -> None:
        """Cancel the runs still in progress and wait (up to ``timeout``) for them to end."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)
