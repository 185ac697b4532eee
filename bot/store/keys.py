"""Every key name the bot writes to the shared store, all under one configurable prefix,
readable in ``redis-cli --scan``."""

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

    def incident_window(self, host: str) -> str:
        """Reports about ``host`` in the current opening window (a counter, fixed window)."""
        return f"{self.prefix}:incident:window:{host}"

    def incident_sources(self, host: str) -> str:
        """Set of ``user:<id>`` and ``channel:<id>`` that reported ``host`` in the window."""
        return f"{self.prefix}:incident:sources:{host}"

    def incident_open(self, host: str) -> str:
        """Present while an incident on ``host`` is open; its value is the incident's id."""
        return f"{self.prefix}:incident:open:{host}"

    def incidents_open(self) -> str:
        """Set of the hosts with an open incident."""
        return f"{self.prefix}:incident:open-hosts"

    def incident(self, host: str) -> str:
        """Hash of an episode's facts: first/last report, card channel and ts, last probe."""
        return f"{self.prefix}:incident:facts:{host}"

    def incident_reports(self, host: str) -> str:
        """The episode's exact report count (a counter)."""
        return f"{self.prefix}:incident:reports:{host}"

    def incident_causes(self, host: str) -> str:
        """Hash counter: reports per class in the episode."""
        return f"{self.prefix}:incident:causes:{host}"

    def incident_set(self, host: str, kind: str) -> str:
        """The episode's ``users``, ``channels``, ``images`` or ``threads`` (``channel:ts``)."""
        return f"{self.prefix}:incident:{kind}:{host}"

    def incident_card_lock(self, host: str) -> str:
        """Taken by the one replica that posts an incident's card."""
        return f"{self.prefix}:incident:card-lock:{host}"

    def incident_card_pending(self, host: str) -> str:
        """Taken while a card update is scheduled: updates are at most one per interval."""
        return f"{self.prefix}:incident:card-pending:{host}"

    def incident_reprobe(self, host: str) -> str:
        """Taken by the one replica that re-probes ``host`` in this interval."""
        return f"{self.prefix}:incident:reprobe:{host}"

    def incident_resolving(self, incident_id: str) -> str:
        """Taken by the one replica that resolves an incident (one resolution message)."""
        return f"{self.prefix}:incident:resolving:{incident_id}"

    def registry_hour(self, host: str) -> str:
        """Hash counter: reports per class about ``host`` in the last hour (status board)."""
        return f"{self.prefix}:registry:hour:{host}"

    def registries_recent(self) -> str:
        """Set of hosts reported in the last hour (status board)."""
        return f"{self.prefix}:registry:recent"

    def registry_probe(self, host: str) -> str:
        """Hash: the last probe outcome for ``host`` and when it ran (status board)."""
        return f"{self.prefix}:registry:probe:{host}"

    def incident_message(self, channel: str, ts: str) -> str:
        """Marks a message as counted as a report (a paste and a shortcut on it count once)."""
        return f"{self.prefix}:incident:message:{channel}:{ts}"

    def probe_result(self, probe: str) -> str:
        """A probe's shared observation (``probe``: host, repository, reference, tier, hash)."""
        return f"{self.prefix}:probe:{probe}"

    def probe_lock(self, probe: str) -> str:
        """Taken by the one replica that runs ``probe`` while the others wait for its result."""
        return f"{self.prefix}:probe:{probe}:lock"

    def probe_rate(self, user: str, window: int) -> str:
        """Counts ``user``'s probe requests in one hour-long ``window`` (across replicas)."""
        return f"{self.prefix}:probe-rate:{user}:{window}"
