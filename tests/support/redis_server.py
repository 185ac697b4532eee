"""A real ``redis-server`` on a free loopback port, without persistence.

One server per test session (it starts in a few milliseconds, but there is no need to start it
more often); ``clean_redis`` empties it before a test. It can be stopped and started again on the
same port, to test how the bot behaves when Redis goes away and comes back.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

from tests.support.ports import free_port

_START_TIMEOUT = 5.0


def _ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _command(port: int, *args: str) -> bytes:
    request = f"*{len(args)}\r\n" + "".join(f"${len(a.encode())}\r\n{a}\r\n" for a in args)
    with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
        sock.sendall(request.encode())
        return sock.recv(65536)


class RedisServer:
    """A ``redis-server`` process the tests control."""

    def __init__(self, binary: str) -> None:
        self._binary = binary
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start the server (on the same port as before) and wait until it answers PING."""
        if self.running:
            return
        self._process = subprocess.Popen(
            [self._binary, "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--protected-mode", "yes",
             "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + _START_TIMEOUT
        while not _ping(self.port):
            if self._process.poll() is not None:
                err = self._process.stderr.read().decode() if self._process.stderr else ""
                pytest.fail(f"redis-server exited at start (port {self.port}): {err}")
            if time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"redis-server did not answer PING on port {self.port} "
                            f"within {_START_TIMEOUT}s")
            time.sleep(0.01)

    def stop(self) -> None:
        """Kill the server, as an outage would (no graceful shutdown)."""
        if self._process is None:
            return
        self._process.kill()
        self._process.wait(timeout=5)
        if self._process.stderr:
            self._process.stderr.close()
        self._process = None

    def flushall(self) -> None:
        """Delete every key."""
        reply = _command(self.port, "FLUSHALL")
        assert reply.startswith(b"+OK"), reply

    def key_names(self, pattern: str = "*") -> list[str]:
        """The key names matching ``pattern`` (a RESP reply parsed just enough for tests)."""
        lines = _command(self.port, "KEYS", pattern).split(b"\r\n")
        return sorted(line.decode() for line in lines[2::2] if line)

    def ttl(self, key: str) -> int:
        """The key's TTL in seconds (-1: none, -2: missing)."""
        return int(_command(self.port, "TTL", key)[1:].split(b"\r\n")[0])


class RedisMissing(RuntimeError):
    """``redis-server`` is not installed."""


@contextlib.contextmanager
def running_redis() -> Iterator[RedisServer]:
    """A started ``redis-server``, stopped when the block ends; raises :class:`RedisMissing`
    when it is not installed."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RedisMissing("redis-server is not installed (apt-get install redis-server)")
    server = RedisServer(binary)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A running ``redis-server`` for the whole session; fails loudly if it is not installed."""
    try:
        with running_redis() as server:
            yield server
    except RedisMissing as error:
        pytest.fail(f"{error}; these tests need a real Redis")


@pytest.fixture
def clean_redis(redis_server: RedisServer) -> RedisServer:
    """The session's Redis, running (restarted if a test stopped it) and empty."""
    redis_server.start()
    redis_server.flushall()
    return redis_server
