"""Thin Slack listeners, one module per surface; ``register(app, deps)`` wires them all.

Handlers parse Slack payloads, acknowledge, call ``bot.service`` and send what
``bot.render`` builds. Decisions about errors live in the service, not here.
"""

from __future__ import annotations

from slack_bolt.app.async_app import AsyncApp

from handlers import actions, commands, home, mentions, messages, probe_requests, shortcuts
from handlers.deps import Deps

__all__ = ["Deps", "register"]


def register(app: AsyncApp, deps: Deps) -> None:
    """Register every surface's listeners on ``app``."""
    for surface in (commands, messages, mentions, shortcuts, actions, probe_requests, home):
        surface.register(app, deps)
