"""One plain-HTTP Debian ``docker-registry`` on a loopback port that a test stops and starts
again on the same port (an outage and its end), unlike the ``registry`` fixture's set."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from tests.support.ports import free_port
from tests.support.registry import RegistryStartError, _answers, require_tool

START_TIMEOUT = 15.0


class StoppableRegistry:
    """``start()``, ``stop()``, ``start()``...: the same port and storage each time."""

    def __init__(self, root: Path) -> None:
        self.port = free_port()
        self.root = root
        self.log_file = root / "registry.log"
        self._config = root / "registry.yml"
        self._config.write_text(json.dumps({
            "version": "0.1",
            "log": {"level": "info", "accesslog": {"disabled": True}},
            "storage": {"filesystem": {"rootdirectory": str(root / "data")}},
            "http": {"addr": f"127.0.0.1:{self.port}", "secret": "not-a-secret-outage"},
        }))
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def host(self) -> str:
        """``127.0.0.1:PORT``."""
        return f"127.0.0.1:{self.port}"

    def start(self) -> StoppableRegistry:
        """Start it and wait until ``GET /v2/`` answers."""
        with self.log_file.open("ab") as log:
            self._process = subprocess.Popen(
                [require_tool("docker-registry"), "serve", str(self._config)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT
        while not _answers("127.0.0.1", self.port, False):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RegistryStartError(
                    f"docker-registry did not answer on {self.host}: "
                    f"{self.log_file.read_text(errors='replace')[-2000:]}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        """Stop it (connections are refused until the next ``start()``)."""
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(10)
        self._process = None
