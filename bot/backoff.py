"""When Redis fails, stop asking it for a while: every caller would otherwise wait out the
same timeout, one after another, while it is down or hanging.

One ``Backoff`` per Redis client: the store's (``bot.store.failover``) and the probe's cache
and rate limit (``bot.probe.cache``), which share theirs. It lives outside both packages:
the probe importing ``bot.store`` would close an import circle (``bot.store`` reads
``bot.settings``, which reads ``bot.probe``). Callers ask ``available()`` before a call, and report
``failed()`` or ``succeeded()`` after it; both say whether the state changed, so the outage is
logged once, and so is the return::

    if backoff.available():
        try:
            value = await redis.get(key)
        except RedisError as exc:
            if backoff.failed():
                log.warning("Redis unavailable: %s", exc)
        else:
            backoff.succeeded()
"""

from __future__ import annotations

import time
from collections.abc import Callable

RETRY_INTERVAL = 5.0
"""Seconds between attempts while Redis is down."""


class Backoff:
    """Whether to call Redis now: always while it answers, at most every ``retry_interval``
    seconds once a call has failed."""

    def __init__(self, *, retry_interval: float = RETRY_INTERVAL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._retry_interval = retry_interval
        self._clock = clock
        self.down_since: float | None = None
        """When the current outage began (by ``clock``), or None while Redis answers."""
        self._next_try = 0.0

    def available(self) -> bool:
        """Whether to call Redis now (it is up, or the time for another attempt has come)."""
        return self.down_since is None or self._clock() >= self._next_try

    def failed(self) -> bool:
        """Note a failed call; True when it starts an outage."""
        now = self._clock()
        self._next_try = now + self._retry_interval
        if self.down_since is not None:
            return False
        self.down_since = now
        return True

    def succeeded(self) -> float | None:
        """Note a call that worked; how long the outage lasted when this ends one."""
        if self.down_since is None:
            return None
        lasted = self._clock() - self.down_since
        self.down_since = None
        return lasted
