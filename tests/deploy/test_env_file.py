"""The Compose quick start as a user runs it: ``cp .env.example .env``, fill in only the values
the chosen mode requires, ``docker compose up``. Compose hands every ``NAME=`` line of the file
to the bot, empty ones included, plus the service's ``environment:``; the bot must start with
that in Socket Mode and in HTTP mode (an exit would be a crash loop under
``restart: unless-stopped``).

No Docker engine runs here: the file is read with Compose's env-file rules, and the bot runs as
a process with exactly that environment (its Redis and Slack moved to loopback stand-ins).
"""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from bot.settings import Settings, load_settings
from tests.support.bot_process import start_bot, wait_serving
from tests.support.redis_server import RedisServer
from tests.support.slack_api import APP_TOKEN, BOT_TOKEN, SlackApi
from tests.support.slack_requests import SIGNING_SECRET

ROOT = Path(__file__).resolve().parents[2]
MODES = {
    "socket": {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN},
    "http": {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET},
}
"""What the user fills in for each mode, as docs/deploy.md says; the rest stays as shipped."""
_NAMES = tuple({str(f.validation_alias.choices[0])  # type: ignore[union-attr]
                for f in Settings.model_fields.values()})


def read_env_file(text: str) -> dict[str, str]:
    """``NAME=value`` lines as Compose reads an env file: ``#`` lines and blank lines skipped,
    a value unquoted (an inline comment after whitespace dropped) or quoted."""
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        else:
            value = re.split(r"\s+#", value, maxsplit=1)[0]
        values[name.strip()] = value
    return values


def test_the_reader_follows_compose_rules() -> None:
    text = "# comment\n\nA=\nB=x # note\nC='y # kept'\n  D = \"z\"\n# E=1\nF\n"
    assert read_env_file(text) == {"A": "", "B": "x", "C": "y # kept", "D": "z"}


def compose_environment(mode: str) -> dict[str, str]:
    """The bot's environment under Compose: .env (from .env.example, filled for ``mode``),
    then the service's own ``environment:`` on top."""
    shipped = read_env_file((ROOT / ".env.example").read_text())
    for name in MODES[mode]:
        assert shipped.get(name) == "", f".env.example ships no empty {name}= line"
    service = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["bot"]
    environment: dict[str, Any] = service.get("environment", {})
    return {**shipped, **MODES[mode], **{k: str(v) for k, v in environment.items()}}


@pytest.mark.parametrize("mode", MODES)
def test_settings_load_from_the_shipped_env_file(
    mode: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in os.environ:
        if name.upper().startswith(("SLACK_", "REDIS_", "REGISTRY_WHY_")) or name in _NAMES:
            monkeypatch.delenv(name)
    env = compose_environment(mode)
    assert "" in env.values()  # the file as shipped: blank values are part of the test
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    settings.require_slack()
    assert settings.socket_mode is (mode == "socket")


@pytest.mark.parametrize("mode", MODES)
async def test_the_bot_starts_from_the_shipped_env_file(
    mode: str, slack_api: SlackApi, clean_redis: RedisServer, tmp_path: Path,
) -> None:
    env = {name: value for name, value in os.environ.items()
           if not name.upper().startswith(("SLACK_", "REDIS_", "REGISTRY_WHY_"))
           and name.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")}
    env.update(compose_environment(mode))
    # Loopback stand-ins for Compose's Redis and for Slack, and a free port.
    env.update(REDIS_URL=clean_redis.url, SLACK_API_URL=slack_api.base_url, PORT="0",
               REGISTRY_WHY_HOST="127.0.0.1", PYTHONUNBUFFERED="1")
    bot = start_bot(f"compose-{mode}", env, tmp_path)
    try:
        await wait_serving(bot)
        async with aiohttp.ClientSession() as session, session.get(
                f"{bot.url}/healthz") as response:
            assert response.status == 200
        assert bot.process.poll() is None
    finally:
        await asyncio.to_thread(bot.stop)
