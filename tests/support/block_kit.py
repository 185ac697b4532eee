"""Block Kit checked the way Slack checks it, with ``slack_sdk``'s models."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block


def validated(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Parse every block with slack_sdk's models, whose validators enforce Slack's limits."""
    for raw in blocks:
        parsed = Block.parse(raw)
        assert parsed is not None, raw
        parsed.validate_json()
    return blocks
