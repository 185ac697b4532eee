"""What the bot observes about its own work: one record per request from Slack, and metrics.

A record opens when a request arrives (``bot.slack.server``, in both modes) and reaches the listener
run Bolt starts after the ack through a context variable: asyncio copies the context into the
tasks it starts. The service and the Slack calls note facts on it (class and confidence, the
probe's outcome, replies posted) and, once the request is answered and its run has ended, the
record is written as one JSON line on the ``registry_why.events`` logger. Requests no listener
runs for (rejected, redeliveries, unhandled) are written as soon as they are answered. Each
fact also updates its metric, so callers make one call per fact::

    with observe.receiving(body, mode="http", redelivery=0) as record:
        response = await app.async_dispatch(request)
        observe.answered(record, response.status)

Records hold ids, class ids and numbers only: never pasted text.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot import metrics

if TYPE_CHECKING:
    from bot.probe import ProbeResult

EVENTS_LOGGER = "registry_why.events"
FIELDS = "registry_why_fields"
"""The ``LogRecord`` attribute holding a record's fields (``bot.logs`` writes them out)."""
REDELIVERY_IGNORED = "redelivery ignored"

log = logging.getLogger(EVENTS_LOGGER)

_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_current: ContextVar[RequestRecord | None] = ContextVar("registry_why_request", default=None)


def _id(value: object) -> str | None:
    # Ids come from the request body, which is not yet verified when the record opens.
    return value if isinstance(value, str) and _ID.match(value) else None


@dataclass
class RequestRecord:
    """One request from Slack and what became of it."""

    type: str
    """Event type (``message``, ``app_mention``...), ``slash_command`` or interaction type."""
    mode: str
    """``http`` or ``socket``."""
    event_id: str | None
    trigger_id: str | None
    channel: str | None
    redelivery: int
    """Slack's retry number: 0 for a first delivery."""
    received: float = field(default_factory=time.monotonic)
    status: int | None = None
    ack_ms: float | None = None
    class_id: str | None = None
    confidence: float | None = None
    outcome: str | None = None
    probe: str | None = None
    replies: int = 0
    lost: int = 0
    response_url: str | None = field(default=None, repr=False)
    """Where the asker can still be told something went wrong; never logged."""
    _runs: int = field(default=0, init=False, repr=False)
    """Listener runs in progress for this request."""
    _ran: bool = field(default=False, init=False, repr=False)
    _written: bool = field(default=False, init=False, repr=False)

    @classmethod
    def from_body(cls, body: Mapping[str, Any], *, mode: str, redelivery: int) -> RequestRecord:
        """The record for a request body as Bolt parsed it (event, command or interaction)."""
        kind = body.get("type")
        event_id = trigger_id = channel = None
        if kind == "event_callback":
            event = body.get("event")
            event = event if isinstance(event, Mapping) else {}
            kind, event_id, channel = event.get("type"), body.get("event_id"), event.get("channel")
        elif "command" in body:
            kind, trigger_id, channel = "slash_command", body.get("trigger_id"), body.get(
                "channel_id")
        elif body.get("ssl_check"):
            kind = "ssl_check"
        else:
            trigger_id = body.get("trigger_id")
            where = body.get("channel")
            channel = where.get("id") if isinstance(where, Mapping) else None
        response_url = body.get("response_url")
        return cls(type=metrics.request_type(kind if isinstance(kind, str) else None),
                   mode=mode, event_id=_id(event_id), trigger_id=_id(trigger_id),
                   channel=_id(channel), redelivery=redelivery,
                   response_url=response_url if isinstance(response_url, str) else None)

    @property
    def name(self) -> str:
        """The request's name in logs: its event id, or its trigger id."""
        if self.event_id:
            return f"event {self.event_id}"
        if self.trigger_id:
            return f"trigger {self.trigger_id}"
        return f"{self.type} request without id"

    def fields(self) -> dict[str, Any]:
        """What the log line says, keys always present."""
        return {
            "type": self.type, "mode": self.mode, "event_id": self.event_id,
            "trigger_id": self.trigger_id, "channel": self.channel,
            "redelivery": self.redelivery, "status": self.status, "ack_ms": self.ack_ms,
            "class": self.class_id, "confidence": self.confidence, "outcome": self.outcome,
            "probe": self.probe, "replies": self.replies, "lost": self.lost,
            "latency_ms": round((time.monotonic() - self.received) * 1000, 1),
        }

    def _write_when_done(self) -> None:
        if self._written or self.status is None or self._runs:
            return
        if not self._ran and self.status < 400 and self.outcome != REDELIVERY_IGNORED:
            return  # acknowledged; the listener run that follows writes the record
        self._written = True
        troubled = self.lost or (self.outcome or "").startswith("failed")
        log.log(logging.WARNING if troubled else logging.INFO, "request handled",
                extra={FIELDS: self.fields()})


def current() -> RequestRecord | None:
    """The record of the request being handled here, if any."""
    return _current.get()


@contextmanager
def receiving(body: Mapping[str, Any], *, mode: str,
              redelivery: int) -> Iterator[RequestRecord]:
    """Open the record of a request that just arrived, for the code (and the tasks it
    starts) inside the ``with``."""
    record = RequestRecord.from_body(body, mode=mode, redelivery=redelivery)
    metrics.REQUESTS.labels(record.type, "true" if redelivery else "false").inc()
    token = _current.set(record)
    try:
        yield record
    finally:
        _current.reset(token)


def answered(record: RequestRecord, status: int) -> None:
    """The request was answered (acknowledged, or rejected) with ``status``."""
    record.status = status
    record.ack_ms = round((time.monotonic() - record.received) * 1000, 2)
    metrics.ACK_SECONDS.observe(record.ack_ms / 1000)
    if status in (401, 403):
        # Not from Slack: nothing in the body can be trusted, not even to look like an id.
        record.event_id = record.trigger_id = record.channel = None
    if status >= 400:
        metrics.REJECTED.labels(str(status)).inc()
        record.outcome = {401: "rejected: bad signature", 404: "unhandled"}.get(
            status, f"rejected: {status}")
    record._write_when_done()


@contextmanager
def listener_run() -> Iterator[None]:
    """Around a listener's run after the ack: the record is written when the last run ends."""
    record = current()
    if record is None:
        yield
        return
    record._runs += 1
    record._ran = True
    try:
        yield
    except BaseException as exc:
        record.outcome = f"failed: {type(exc).__name__}"
        raise
    finally:
        record._runs -= 1
        record._write_when_done()


def diagnosed(class_id: str | None, confidence: float) -> None:
    """A paste was diagnosed; a named cause wins over an earlier "no class" in the record."""
    if class_id is None:
        metrics.UNCLASSIFIED.inc()
    else:
        metrics.CLASSIFICATIONS.labels(class_id, metrics.confidence_band(confidence)).inc()
    record = current()
    if record is not None and (class_id is not None or record.class_id is None):
        record.class_id, record.confidence = class_id, round(confidence, 3)


def paste_outcome(kind: str, reason: str | None = None) -> None:
    """What became of a message pasted in a channel: ``reply``, ``repeat`` or ``quiet``."""
    metrics.PASTE_OUTCOMES.labels(kind).inc()
    noted(f"{kind}: {reason}" if reason else kind)


def noted(outcome: str) -> None:
    """Say what the request came to (a fixed phrase, never user text)."""
    record = current()
    if record is not None:
        record.outcome = outcome


def redelivery_ignored() -> None:
    """The event was already handled (here or by another replica)."""
    metrics.REDELIVERIES_IGNORED.inc()
    noted(REDELIVERY_IGNORED)


def reply_posted(method: str) -> None:
    """A reply reached Slack through ``method`` (an API method, or ``response_url``)."""
    metrics.REPLIES_POSTED.labels(method).inc()
    record = current()
    if record is not None:
        record.replies += 1
        metrics.REPLY_SECONDS.observe(time.monotonic() - record.received)


def call_failed(method: str, error: str, *, lost: bool) -> None:
    """A Slack call failed after its retries (the caller logs it with the request); ``lost``
    when that left the person with no reply at all."""
    metrics.SLACK_API_ERRORS.labels(method, error).inc()
    if not lost:
        return
    metrics.REPLIES_LOST.inc()
    record = current()
    if record is not None:
        record.lost += 1


def listener_failed(exc: BaseException) -> RequestRecord | None:
    """A listener run ended with an unexpected error: its reply is lost. Returns the record
    (to name the request and reach the asker), if there is one."""
    metrics.REPLIES_LOST.inc()
    record = current()
    if record is not None:
        record.outcome = f"failed: {type(exc).__name__}"
        record.lost += 1
    return record


def slack_retry(reason: str) -> None:
    """A Slack call is about to be retried: ``rate_limited``, ``server_error``, ``connection``."""
    metrics.SLACK_API_RETRIES.labels(reason).inc()


def probed(result: ProbeResult) -> None:
    """A registry probe finished (or was refused, or was served from the cache)."""
    outcome = "refused" if result.refused else (result.outcome or "none")
    metrics.PROBES.labels(outcome).inc()
    if not result.refused:
        metrics.PROBE_SECONDS.observe(result.elapsed_ms / 1000)
        metrics.PROBE_CACHE.labels("hit" if result.cached else "miss").inc()
    record = current()
    if record is not None:
        record.probe = outcome
