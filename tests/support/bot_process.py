"""``registry-why serve`` in its own process, as a deployment runs it, on a loopback port.

Each process gets a clean environment (no Slack, Redis, proxy or registry-why variables from
the caller), listens on a port it picks itself (``PORT=0``, read back from its log) and writes
its JSON log lines to a file, so tests can read every line it wrote::

    async with bot_processes(3, slack_api_url, tmp_path, REDIS_URL=redis.url) as bots:
        ...  # bots[0].url, bots[0].handled(), bots[0].terminate()

Every process started here is stopped on the way out (SIGTERM, then SIGKILL after a bound).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.slack_api import BOT_TOKEN
from tests.support.slack_requests import SIGNING_SECRET

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 20.0
STOP_TIMEOUT = 20.0
_SERVING = re.compile(r"serving in (?:HTTP mode|Socket Mode).*health on port (\d+)")
_SCRUBBED = ("SLACK_", "REDIS_", "REGISTRY_WHY_")
_PROXIES = frozenset({"http_proxy", "https_proxy", "all_proxy", "no_proxy"})


def bot_env(slack_api_url: str, **extra: str) -> dict[str, str]:
    """The environment of a bot talking to the Slack stand-in, in HTTP mode unless ``extra``
    sets ``SLACK_APP_TOKEN``."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(_SCRUBBED) and k.lower() not in _PROXIES}
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack_api_url, PORT="0", REGISTRY_WHY_HOST="127.0.0.1",
        PYTHONUNBUFFERED="1",
        PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p),
    )
    env.update(extra)
    return env


@dataclass
class BotProcess:
    """One running ``registry-why serve``."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    port: int = 0

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_text(self) -> str:
        """Everything the process wrote to stdout and stderr so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def log_lines(self) -> list[dict[str, Any]]:
        """Its log, one JSON object per line; fails on a line that is not JSON."""
        lines = []
        for number, line in enumerate(self.log_text().splitlines(), 1):
            try:
                lines.append(json.loads(line))
            except json.JSONDecodeError:
                raise AssertionError(f"{self.name} log line {number} is not JSON: {line!r}") \
                    from None
        return lines

    def handled(self) -> list[dict[str, Any]]:
        """The "request handled" lines: one per request from Slack."""
        return [line for line in self.log_lines() if line.get("message") == "request handled"]

    def terminate(self) -> None:
        """Send SIGTERM, as Kubernetes and Docker do to stop a container."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def wait(self, timeout: float = STOP_TIMEOUT) -> int:
        """Wait for it to exit and return its status."""
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not exited within STOP_TIMEOUT."""
        self.terminate()
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def cpu_seconds(self) -> float:
        """User plus system CPU time used so far (Linux ``/proc``)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_kib(self) -> int:
        """Resident memory in KiB (Linux ``/proc``)."""
        return rss_kib(self.pid)


def rss_kib(pid: int) -> int:
    """Resident memory of process ``pid`` in KiB (Linux ``/proc``); 0 if it is not listed."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def start_bot(name: str, env: dict[str, str], log_dir: Path) -> BotProcess:
    """Start ``registry-why serve`` (``python -m bot.cli serve``) without waiting for it."""
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve"], cwd=ROOT, env=env,
            stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT)
    return BotProcess(name, process, log_path)


async def wait_serving(bot: BotProcess, timeout: float = START_TIMEOUT) -> None:
    """Wait until the bot logs that it serves, and learn its port; fail if it exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = _SERVING.search(bot.log_text())
        if found:
            bot.port = int(found.group(1))
            return
        if bot.process.poll() is not None:
            raise AssertionError(f"{bot.name} exited with {bot.process.returncode} before "
                                 f"serving:\n{bot.log_text()[-3000:]}")
        await asyncio.sleep(0.05)
    raise AssertionError(f"{bot.name} did not serve within {timeout}s:\n{bot.log_text()[-3000:]}")


@asynccontextmanager
async def bot_processes(count: int, slack_api_url: str, log_dir: Path,
                        **extra_env: str) -> AsyncIterator[list[BotProcess]]:
    """``count`` bots started together and serving; all stopped on the way out."""
    env = bot_env(slack_api_url, **extra_env)
    bots: list[BotProcess] = []
    try:
        for index in range(count):
            bots.append(start_bot(f"replica-{index}", env, log_dir))
        await asyncio.gather(*(wait_serving(bot) for bot in bots))
        yield bots
    finally:
        for bot in bots:
            bot.terminate()
        for bot in bots:
            await asyncio.to_thread(bot.stop)
