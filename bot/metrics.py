"""Prometheus metrics: what the bot received, concluded and sent, and how fast.

Every process keeps its own metrics and serves them at ``/metrics`` (each replica is scraped on
its own; Prometheus adds them up). All names start with ``registry_why_``. Labels only ever take
values from small fixed sets (event types, class ids, API method names), never user text.

Code elsewhere records facts through ``bot.observe``, which also fills the request's log
record; this module only defines the metrics and renders them::

    body, content_type = exposition(request.headers.get("Accept", ""))
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Protocol

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    disable_created_metrics,
)
from prometheus_client.exposition import choose_encoder

from bot.version import VERSION

# ``*_created`` timestamps only add a series per label set; rates need the counters alone.
disable_created_metrics()  # type: ignore[no-untyped-call]
REGISTRY = CollectorRegistry(auto_describe=True)
"""The bot's own registry: its metrics plus the process's CPU, memory and GC figures."""
for _collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
    REGISTRY.register(_collector)

HIGH_CONFIDENCE = 0.8
"""At or above: band ``high`` (also the default confidence an auto-reply needs)."""
MEDIUM_CONFIDENCE = 0.6
"""At or above (and below high): band ``medium``; below: ``low``."""

REQUEST_TYPES = frozenset({
    "message", "app_mention", "app_home_opened", "slash_command", "block_actions",
    "message_action", "shortcut", "view_submission", "view_closed", "url_verification",
    "ssl_check",
})
"""Request types counted under their own name; anything else is counted as ``other``."""

BUILD = Info(
    "registry_why_build",
    "The running release, by version (the value is always 1).",
    registry=REGISTRY)
BUILD.info({"version": VERSION})
REQUESTS = Counter(
    "registry_why_requests",
    "Requests received from Slack, by type (event type, slash_command, block_actions, ...) "
    "and whether Slack marked them as a redelivery.",
    ["type", "redelivery"], registry=REGISTRY)
REJECTED = Counter(
    "registry_why_requests_rejected",
    "Requests answered with an error status (for example 401: not signed by Slack).",
    ["status"], registry=REGISTRY)
REDELIVERIES_IGNORED = Counter(
    "registry_why_redeliveries_ignored",
    "Events already handled (by this or another replica) and so not handled again.",
    registry=REGISTRY)
ACK_SECONDS = Histogram(
    "registry_why_ack_seconds",
    "Time from receiving a request to acknowledging it (Slack allows 3 s).",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0),
    registry=REGISTRY)
REPLY_SECONDS = Histogram(
    "registry_why_reply_seconds",
    "Time from receiving a request to a reply posted for it (end to end).",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0),
    registry=REGISTRY)
REPLIES_POSTED = Counter(
    "registry_why_replies_posted",
    "Messages and views posted to Slack, by API method (response_url for slash-command and "
    "button answers).",
    ["method"], registry=REGISTRY)
REPLIES_LOST = Counter(
    "registry_why_replies_lost",
    "Replies that reached nobody: the Slack call and any fallback failed after their retries "
    "(each is also logged with its request).",
    registry=REGISTRY)
CLASSIFICATIONS = Counter(
    "registry_why_classifications",
    "Pastes diagnosed with a named cause, by class id and confidence band (high/medium/low).",
    ["class", "band"], registry=REGISTRY)
UNCLASSIFIED = Counter(
    "registry_why_unclassified",
    "Pastes diagnosed without naming a cause (ordinary chat, or an error the bot does not know).",
    registry=REGISTRY)
PASTE_OUTCOMES = Counter(
    "registry_why_paste_outcomes",
    "What became of messages pasted in channels: reply (answered in the thread), repeat "
    "(counted under an earlier answer) or quiet (not answered).",
    ["outcome"], registry=REGISTRY)
PROBES = Counter(
    "registry_why_probes",
    "Registry probes, by outcome (a class id, ok, none when nothing could be named, refused "
    "when the probe was not allowed to run).",
    ["outcome"], registry=REGISTRY)
PROBE_SECONDS = Histogram(
    "registry_why_probe_seconds",
    "How long a registry probe took (results served from the cache included).",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0),
    registry=REGISTRY)
PROBE_CACHE = Counter(
    "registry_why_probe_cache",
    "Probe results served from the cache or another replica's identical probe (hit), or "
    "probed here (miss).",
    ["result"], registry=REGISTRY)
SLACK_API_ERRORS = Counter(
    "registry_why_slack_api_errors",
    "Slack API calls that failed after their retries, by method and error.",
    ["method", "error"], registry=REGISTRY)
SLACK_API_RETRIES = Counter(
    "registry_why_slack_api_retries",
    "Slack API calls retried, by reason (rate_limited, server_error, connection).",
    ["reason"], registry=REGISTRY)
INCIDENTS_OPEN = Gauge(
    "registry_why_incidents_open",
    "Incidents open now, as this replica last read them from the shared store.",
    registry=REGISTRY)
INCIDENTS_OPENED = Counter(
    "registry_why_incidents_opened",
    "Incidents this replica opened (exactly one replica opens each).",
    registry=REGISTRY)
INCIDENTS_RESOLVED = Counter(
    "registry_why_incidents_resolved",
    "Incidents this replica resolved (exactly one replica resolves each).",
    registry=REGISTRY)
INCIDENT_SECONDS = Histogram(
    "registry_why_incident_time_to_resolve_seconds",
    "From an incident's opening to its resolution.",
    buckets=(60, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400),
    registry=REGISTRY)
REDIS_DEGRADED = Gauge(
    "registry_why_redis_degraded",
    "1 while Redis is configured but unreachable (answers come from this replica's memory, "
    "without cross-replica de-duplication), else 0.",
    registry=REGISTRY)
RUNS_IN_PROGRESS = Gauge(
    "registry_why_listener_runs_in_progress",
    "Requests acknowledged and still being worked on (replies not yet posted).",
    registry=REGISTRY)


class Counted(Protocol):
    """Something that counts runs in progress."""

    @property
    def running(self) -> int: ...


_degraded: list[Callable[[], bool]] = []
_in_flight: weakref.WeakSet[Counted] = weakref.WeakSet()
REDIS_DEGRADED.set_function(lambda: float(any(each() for each in _degraded)))
RUNS_IN_PROGRESS.set_function(lambda: float(sum(each.running for each in _in_flight)))


def watch(*, degraded: Callable[[], bool], in_flight: Counted) -> Callable[[], None]:
    """Report a running bot's store state (``degraded``: whether it is serving from its local
    fallback) and runs in progress in the gauges, read at scrape time. Returns the call that
    stops reporting them, for when the bot stops."""
    _degraded.append(degraded)
    _in_flight.add(in_flight)

    def unwatch() -> None:
        if degraded in _degraded:
            _degraded.remove(degraded)
        _in_flight.discard(in_flight)

    return unwatch


def request_type(value: str | None) -> str:
    """The ``type`` label for a request type (bounded: unknown types become ``other``)."""
    return value if value in REQUEST_TYPES else "other"


def confidence_band(confidence: float) -> str:
    """``high``, ``medium`` or ``low``."""
    if confidence >= HIGH_CONFIDENCE:
        return "high"
    if confidence >= MEDIUM_CONFIDENCE:
        return "medium"
    return "low"


def exposition(accept: str = "") -> tuple[bytes, str]:
    """The metrics in the format the scraper asked for, and its content type."""
    encoder, content_type = choose_encoder(accept)
    return encoder(REGISTRY), content_type
