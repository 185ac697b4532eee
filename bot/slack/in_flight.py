"""Listener runs still working after their ack, so a stopping bot can let them finish.

Bolt acknowledges a request and then runs the listener detached from it; on shutdown those
runs would be cut short, losing replies. Listeners wrapped with ``track`` are counted (and
close their request's log record when they end, see ``bot.observe``); runs still going when
the shutdown's bound is reached are cancelled.

``track`` is also the listeners' last resort: an unexpected error is logged as a lost reply
(with the request's name, never its text) and, when Slack gave a ``response_url``, the asker is
told briefly. Bolt must never see the error: a listener failing within moments of its ack would
make Bolt drop the ack and answer 404 three seconds later.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import traceback
from collections.abc import Awaitable, Callable
from typing import ParamSpec

from bot import observe
from bot.slack.delivery import respond_ephemeral

log = logging.getLogger(__name__)

P = ParamSpec("P")

SORRY = ("Sorry, something went wrong while answering this; it was logged for the bot's "
         "operators. Please try again in a moment.")


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

    def track(self, func: Callable[P, Awaitable[None]]) -> Callable[P, Awaitable[None]]:
        """Wrap a listener so its runs are counted and its unexpected errors reported (the
        signature is kept: Bolt reads it)."""

        @functools.wraps(func)
        async def tracked(*args: P.args, **kwargs: P.kwargs) -> None:
            self._running += 1
            self._idle.clear()
            task = asyncio.current_task()
            if task is not None:
                self._tasks.add(task)
            try:
                with observe.listener_run():
                    try:
                        await func(*args, **kwargs)
                    except Exception as exc:
                        await _reply_lost(exc)
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


async def _reply_lost(exc: Exception) -> None:
    # Only the exception's type and where it was raised: its message may quote pasted text.
    record = observe.listener_failed(exc)
    name = record.name if record is not None else "a request"
    where = "".join(traceback.format_list(traceback.extract_tb(exc.__traceback__)))
    log.error("reply lost: %s failed with %s\n%s", name, type(exc).__name__, where.rstrip())
    if record is not None and record.response_url:
        await respond_ephemeral(record.response_url, SORRY, name)
