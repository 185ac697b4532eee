"""The names Slack routes interactions by (the slash command, shortcut callback, button action
ids and block ids) and the shape of a channel id: shared by what renders the blocks and what
listens for them, so the two can never drift apart."""

from __future__ import annotations

import re
from typing import Final

COMMAND: Final = "/registry-why"
SHORTCUT_CALLBACK: Final = "explain_registry_error"
ACTION_SHARE: Final = "share_in_channel"
ACTION_FULL_GUIDE: Final = "show_full_guide"
ACTION_HELPFUL: Final = "feedback_helpful"
ACTION_NOT_HELPFUL: Final = "feedback_not_helpful"
ACTION_PROBE: Final = "probe_registry"
"""Offered only when the probe is enabled; its listener is ``handlers.probe_requests``. Its
value is the packed diagnosis on a diagnosis reply (see ``bot.render.button_state``) and the
bare image reference on an image card."""
ACTIONS_BLOCK: Final = "registry-why-actions"
"""The block id of a reply's buttons (probe results go just above it)."""
PROBE_BLOCK: Final = "registry-why-probe"
"""The block id prefix of a probe result within a reply."""

CHANNEL_ID: Final = re.compile(r"[CGD][A-Z0-9]{2,}")
"""A channel id (public ``C``, private ``G``, direct message ``D``); use with ``fullmatch``."""
