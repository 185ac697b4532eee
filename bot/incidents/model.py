"""What the incident tracker reports: an incident's view, the reply note, the status board."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class IncidentView:
    """One incident as the card and the board show it (derived facts only, never text)."""

    host: str
    incident_id: str
    opened: float
    first: float
    last: float
    reports: int
    causes: tuple[tuple[str, int], ...]
    """Classes by count, highest first."""
    users: int
    channels: tuple[str, ...]
    images: tuple[str, ...]
    card_channel: str | None = None
    card_ts: str | None = None
    permalink: str | None = None
    probe_outcome: str | None = None
    probe_at: float | None = None
    resolved_at: float | None = None
    resolved_by_probe: bool = False


@dataclass(frozen=True, slots=True)
class Note:
    """What a reply to a report says about the open incident it belongs to."""

    host: str
    reports: int
    channels: int
    first: float
    permalink: str | None = None


@dataclass(frozen=True, slots=True)
class RegistryRow:
    """One registry reported in the last hour, for the status board."""

    host: str
    reports: int
    top_cause: str | None
    probe_outcome: str | None = None
    probe_at: float | None = None


@dataclass(frozen=True, slots=True)
class Board:
    """The status board: open incidents and recently reported registries."""

    now: float
    incidents: tuple[IncidentView, ...] = ()
    registries: tuple[RegistryRow, ...] = field(default_factory=tuple)
