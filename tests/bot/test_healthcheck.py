"""``python -m bot.healthcheck``, the image's HEALTHCHECK, against a bot served for real."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.healthcheck import health_url
from tests.support.bot_process import ROOT, bot_env, bot_processes
from tests.support.slack_api import SlackApi
from tests.support.slack_requests import bot_settings


def healthcheck(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.healthcheck"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=20, check=False)


async def test_healthy_while_serving_and_not_after(slack_api: SlackApi, tmp_path: Path) -> None:
    async with bot_processes(1, slack_api.base_url, tmp_path) as [bot]:
        env = bot_env(slack_api.base_url, PORT=str(bot.port))
        serving = healthcheck(env)
        assert (serving.returncode, serving.stderr) == (0, "")
        bot.terminate()
        assert bot.wait() == 0
    stopped = healthcheck(env)
    assert stopped.returncode == 1
    assert stopped.stderr.startswith(f"unhealthy: http://127.0.0.1:{bot.port}/healthz")


def test_unusable_settings_are_unhealthy_without_showing_secrets(slack_api: SlackApi) -> None:
    env = bot_env(slack_api.base_url, SLACK_BOT_TOKEN="xoxp-a-user-token-not-a-bot-token")
    result = healthcheck(env)
    assert result.returncode == 1
    assert "SLACK_BOT_TOKEN" in result.stderr
    assert "xoxp-a-user-token" not in result.stderr


def test_health_url_uses_loopback_for_any_address(slack_api: SlackApi) -> None:
    assert health_url(bot_settings(slack_api, host="0.0.0.0", port=3000)) == \
        "http://127.0.0.1:3000/healthz"
    assert health_url(bot_settings(slack_api, host="::1", port=8080)) == \
        "http://[::1]:8080/healthz"
