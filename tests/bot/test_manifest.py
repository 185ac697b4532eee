"""The Slack app manifest asks for exactly what the bot listens to and calls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.slack.ids import COMMAND, SHORTCUT_CALLBACK

MANIFEST = Path(__file__).resolve().parents[2] / "deploy" / "slack-app-manifest.yaml"


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    data = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_command_and_shortcut_match_the_listeners(manifest: dict[str, Any]) -> None:
    features = manifest["features"]
    assert [c["command"] for c in features["slash_commands"]] == [COMMAND]
    assert [(s["type"], s["callback_id"]) for s in features["shortcuts"]] == [
        ("message", SHORTCUT_CALLBACK)]
    assert features["app_home"]["home_tab_enabled"] is True


def test_events_and_scopes_cover_what_the_bot_uses(manifest: dict[str, Any]) -> None:
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert events == {"app_home_opened", "app_mention", "message.channels", "message.groups"}
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    # app_mention needs app_mentions:read; message.* and conversations.replies need *:history;
    # chat.postMessage/chat.update need chat:write; the command and shortcut need commands.
    assert scopes == {"app_mentions:read", "channels:history", "groups:history", "chat:write",
                      "commands"}


def test_socket_mode_and_interactivity_are_on(manifest: dict[str, Any]) -> None:
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is True
    assert settings["interactivity"]["is_enabled"] is True
    assert manifest["display_information"]["name"] == "registry-why"
