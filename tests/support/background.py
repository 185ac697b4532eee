"""What the loopback servers the tests run in daemon threads have in common.

* :class:`Background`: a server used as a context manager; entering starts it, leaving stops it.
* :class:`BackgroundHttpServer`: an HTTP(S) request handler served on ``127.0.0.1``.
* :class:`BackgroundListener`: a TCP listener on ``127.0.0.1`` handing every connection it
  accepts to one method; :func:`accept_until` is its accept loop, for servers that bind their
  own socket.

Each binds a port the OS picks, so test runs on one machine never collide.
"""

from __future__ import annotations

import socket
import ssl
import sys
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self

from tests.support.certs import CertPair


class Background(ABC):
    """A server that runs in the background: ``with server:`` starts it and stops it."""

    @abstractmethod
    def start(self) -> Self:
        """Start serving and return self."""

    @abstractmethod
    def stop(self) -> None:
        """Stop serving and release what the server holds."""

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class QuietHttpServer(ThreadingHTTPServer):
    """Clients that hang up mid-answer (as the probe does at its body cap) are no error."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError | TimeoutError | ssl.SSLError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class BackgroundHttpServer(Background):
    """Serves :meth:`_handler` on ``127.0.0.1`` in a daemon thread; over TLS with ``tls``."""

    def __init__(self, *, tls: CertPair | None = None) -> None:
        self._tls: ssl.SSLContext | None = None
        if tls is not None:
            self._tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self._tls.load_cert_chain(tls.cert, tls.key)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @abstractmethod
    def _handler(self) -> type[BaseHTTPRequestHandler]:
        """The request handler class, one instance per request."""

    @property
    def port(self) -> int:
        """The port it listens on."""
        if self._httpd is None:
            raise RuntimeError(f"{type(self).__name__} is not started; call start() first")
        return int(self._httpd.server_address[1])

    def start(self) -> Self:
        """Bind, serve in a daemon thread, and return self."""
        httpd = QuietHttpServer(("127.0.0.1", 0), self._handler())
        if self._tls is not None:
            # Handshake lazily in the handler thread, so one silent client cannot stall accept().
            httpd.socket = self._tls.wrap_socket(
                httpd.socket, server_side=True, do_handshake_on_connect=False
            )
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = self._thread = None


def accept_until(
    stop: threading.Event, listener: socket.socket, accepted: Callable[[socket.socket], None]
) -> None:
    """Hand each connection ``listener`` accepts to ``accepted`` until ``stop`` is set.

    ``listener`` needs a timeout: it is how often ``stop`` is looked at.
    """
    while not stop.is_set():
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            continue
        accepted(conn)


class BackgroundListener(Background):
    """Accepts TCP connections on ``127.0.0.1`` in a daemon thread, each to :meth:`_accepted`.

    ``poll`` is how long an accept waits before it looks whether to stop.
    """

    def __init__(self, *, backlog: int, poll: float) -> None:
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(backlog)
        self._listener.settimeout(poll)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=accept_until, args=(self._stop, self._listener, self._accepted), daemon=True
        )

    @abstractmethod
    def _accepted(self, conn: socket.socket) -> None:
        """Deal with one accepted connection (in the accepting thread)."""

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self._listener.getsockname()[1])

    def start(self) -> Self:
        """Start accepting and return self."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting and close the listener."""
        self._stop.set()
        self._thread.join(timeout=2)
        self._listener.close()
