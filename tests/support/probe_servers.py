"""Loopback stand-ins for what a real distribution registry cannot be made to do.

* :class:`ScriptedRegistry`: an HTTP(S) server answering from a table of canned responses
  (429 with Docker Hub's rate-limit headers, 5xx, HTML, redirects, hostile token realms),
  recording every request it gets.
* :class:`RecordingListener`: accepts TCP connections and records them (and the first bytes
  each sends), to prove that nothing reached it.
* :class:`FullBacklog`: a listener whose accept queue is full, so a new TCP connect times out.

All of them bind ``127.0.0.1`` on a port the OS picks, run in daemon threads and stop on exit.
The ``recorder`` fixture (a plugin registered by the root ``conftest.py``) yields a running
:class:`RecordingListener`.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar, Self

import pytest

from tests.support.background import Background, BackgroundHttpServer, BackgroundListener
from tests.support.certs import CertPair


@dataclass(frozen=True)
class Canned:
    """One canned HTTP answer."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True)
class Seen:
    """One request a stand-in received."""

    method: str
    path: str
    headers: Mapping[str, str]


Route = Callable[[Seen], Canned]
"""Decides the answer to one request."""

REGISTRY_HEADERS = {
    "Docker-Distribution-Api-Version": "registry/2.0",
    "Content-Type": "application/json",
}


def json_error(status: int, code: str, message: str, **headers: str) -> Canned:
    """A registry-style JSON error answer."""
    body = f'{{"errors":[{{"code":"{code}","message":"{message}"}}]}}'.encode()
    return Canned(status, {**REGISTRY_HEADERS, **headers}, body)


def open_registry(routes: Mapping[tuple[str, str], Canned]) -> Route:
    """A route table keyed by (method, path); ``GET /v2/`` answers 200 ``{}`` unless listed."""

    def route(seen: Seen) -> Canned:
        path = seen.path.partition("?")[0]
        found = routes.get((seen.method, path))
        if found is not None:
            return found
        if (seen.method, path) == ("GET", "/v2/"):
            return Canned(200, REGISTRY_HEADERS, b"{}")
        return json_error(404, "NOT_SCRIPTED", "no canned answer")

    return route


class ScriptedRegistry(BackgroundHttpServer):
    """A threaded HTTP(S) server answering every request through ``route``."""

    def __init__(self, route: Route, *, tls: CertPair | None = None) -> None:
        super().__init__(tls=tls)
        self._route = route
        self._lock = threading.Lock()
        self._seen: list[Seen] = []
        self.active = 0
        """Requests being answered right now."""
        self.peak = 0
        """The most requests ever answered at the same time."""
        self.delay = 0.0
        """Seconds to wait before each answer (to make requests overlap)."""

    @property
    def requests(self) -> tuple[Seen, ...]:
        """Every request received so far, oldest first."""
        with self._lock:
            return tuple(self._seen)

    @property
    def host(self) -> str:
        """``127.0.0.1:PORT``."""
        return f"127.0.0.1:{self.port}"

    def _answer(self, seen: Seen) -> Canned:
        with self._lock:
            self._seen.append(seen)
            self.active += 1
            self.peak = max(self.peak, self.active)
        try:
            if self.delay:
                time.sleep(self.delay)
            return self._route(seen)
        finally:
            with self._lock:
                self.active -= 1

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return _handler_for(self)


def _handler_for(server: ScriptedRegistry) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        timeout: ClassVar[float] = 5
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(min(length, 65536))
            seen = Seen(method, self.path, {k.lower(): v for k, v in self.headers.items()})
            canned = server._answer(seen)
            self.send_response(canned.status)
            for name, value in canned.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(canned.body)))
            self.end_headers()
            if method != "HEAD":
                try:
                    self.wfile.write(canned.body)
                except (BrokenPipeError, ConnectionResetError):
                    # The client stopped reading at its body cap: exactly what a test wants.
                    self.close_connection = True

        def do_GET(self) -> None:
            self._serve("GET")

        def do_HEAD(self) -> None:
            self._serve("HEAD")

        def do_POST(self) -> None:
            self._serve("POST")

    return Handler


class RecordingListener(BackgroundListener):
    """Accepts TCP connections, records each (and its first bytes), then closes it."""

    def __init__(self) -> None:
        super().__init__(backlog=16, poll=0.05)
        self._lock = threading.Lock()
        self._received: list[bytes] = []

    @property
    def connections(self) -> int:
        """How many connections arrived."""
        with self._lock:
            return len(self._received)

    @property
    def received(self) -> tuple[bytes, ...]:
        """The first bytes (up to 4 KiB) of each connection."""
        with self._lock:
            return tuple(self._received)

    def _accepted(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(0.3)
            try:
                data = conn.recv(4096)
            except OSError:
                data = b""
            with self._lock:
                self._received.append(data)


@pytest.fixture
def recorder() -> Iterator[RecordingListener]:
    """A loopback listener that records every connection made to it: proof of what was not
    contacted."""
    with RecordingListener() as listener:
        yield listener


class FullBacklog(Background):
    """A listener that never accepts, with its queue filled: the next connect times out."""

    def __init__(self, fill: int = 24) -> None:
        self._fill = fill
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(0)
        self._held: list[socket.socket] = []

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self._listener.getsockname()[1])

    def start(self) -> Self:
        """Fill the accept queue with connections that are never accepted; return self."""
        for _ in range(self._fill):
            sock = socket.socket()
            sock.setblocking(False)
            # A non-blocking connect queues the SYN and returns at once.
            with contextlib.suppress(BlockingIOError):
                sock.connect(("127.0.0.1", self.port))
            self._held.append(sock)
        return self

    def stop(self) -> None:
        """Close the held connections and the listener."""
        for sock in self._held:
            sock.close()
        self._listener.close()
