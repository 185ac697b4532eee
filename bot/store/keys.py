"""Key names, all under one configurable prefix, readable in ``redis-cli --scan``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Keys:
    """Builds the bot's keys: ``<prefix>:event:<event_id>``, ``<prefix>:seen:<channel>:<ts>``..."""

    prefix: str

    def event(self, event_id: str) -> str:
        """Marks an Events API delivery as handled (retries carry the same event id)."""
        return f"{self.prefix}:event:{event_id}"

    def seen(self, channel: str, ts: str) -> str:
        """Marks a message as answered (one message can arrive as two events)."""
        return f"{self.prefix}:seen:{channel}:{ts}"

    def repeat(self, channel: str, cause: str) -> str:
        """Counts one cause (``<class>:<registry>``) in one channel within the window."""
        return f"{self.prefix}:repeat:{channel}:{cause}"

    def repeat_thread(self, channel: str, cause: str) -> str:
        """The ts of the message whose thread got the full answer for a repeated cause."""
        return f"{self.prefix}:repeat-thread:{channel}:{cause}"

    def repeat_counter(self, channel: str, cause: str, thread_ts: str) -> str:
        """The ts of the counter message under ``thread_ts`` (the window's full answer), kept
        up to date; a new window answers in a new thread, so it never updates an old one."""
        return f"{self.prefix}:repeat-counter:{channel}:{cause}:{thread_ts}"

    def repeat_counter_lock(self, channel: str, cause: str, thread_ts: str) -> str:
        """Taken by the one instance that posts the counter message under ``thread_ts``."""
        return f"{self.prefix}:repeat-counter-lock:{channel}:{cause}:{thread_ts}"

    def ready(self) -> str:
        """Written by the readiness check to prove Redis accepts writes (short TTL)."""
        return f"{self.prefix}:ready"

    def shared(self, channel: str, ts: str) -> str:
        """Marks that the ephemeral answer ``ts`` was shared in the channel (one click wins)."""
        return f"{self.prefix}:shared:{channel}:{ts}"

    def guide_posted(self, channel: str, ts: str) -> str:
        """Marks that the full guide was already posted under a reply."""
        return f"{self.prefix}:guide:{channel}:{ts}"

    def vote(self, message: str, user: str) -> str:
        """One feedback vote per person per reply."""
        return f"{self.prefix}:vote:{message}:{user}"

    def feedback(self, helpful: bool) -> str:
        """Lasting per-class totals of helpful / not helpful votes."""
        return f"{self.prefix}:feedback:{'helpful' if helpful else 'not-helpful'}"

    def stats_hour(self, hour: str) -> str:
        """Per-class diagnoses in one hour (``YYYYMMDDHH``, UTC)."""
        return f"{self.prefix}:stats:hour:{hour}"

    def stats_day(self, day: str) -> str:
        """Per-class diagnoses in one day (``YYYYMMDD``, UTC)."""
        return f"{self.prefix}:stats:day:{day}"
