"""What every handler module is given when it registers its listeners."""

from __future__ import annotations

from dataclasses import dataclass

from bot.probe_requests import Prober
from bot.service import Service
from bot.slack.in_flight import InFlight


@dataclass(frozen=True, slots=True)
class Deps:
    """The runtime objects listeners use (the Slack client comes with each request)."""

    service: Service
    in_flight: InFlight
    """Counts listener runs; every listener is registered through ``in_flight.track``."""
    prober: Prober | None = None
    """The registry probe; None when the operator has not enabled it."""
