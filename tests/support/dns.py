"""A DNS failure without touching the machine's resolver.

:class:`NxdomainResponder` answers every query with NXDOMAIN on a loopback address, port 53
(UDP and TCP). :func:`isolated_resolver_prefix` runs a command in a private mount namespace
(``unshare -m``) where ``/etc/resolv.conf`` is bind-mounted to a file naming only that
responder. A Go client (skopeo) inside then fails with its real ``lookup X on 127.x.y.z:53: no
such host`` message, and no query ever leaves loopback. The bind mount exists only inside the
namespace, so the rest of the machine keeps its resolver. :func:`loopback_dns` sets both up.
"""

from __future__ import annotations

import contextlib
import shlex
import shutil
import socket
import struct
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from tests.support.background import Background, accept_until

# Resolv.conf cannot name a port, so the responder needs port 53; trying a few 127/8 addresses
# lets two test runs on one machine each get their own.
CANDIDATE_ADDRESSES = tuple(f"127.53.0.{n}" for n in range(1, 17))


class DnsIsolationUnavailable(RuntimeError):
    """The fake resolver cannot run here (no ``unshare``/mount rights, or port 53 taken)."""


def nxdomain_reply(query: bytes) -> bytes:
    """Answer a DNS query with NXDOMAIN, echoing its id, RD flag and question section."""
    if len(query) < 12:
        return b""
    query_id, flags, qdcount = struct.unpack(">HHH", query[:6])
    # QR=1, opcode kept, RD echoed, RA=1, RCODE=3 (NXDOMAIN); no answer/authority/additional.
    reply_flags = 0x8000 | (flags & 0x7900) | 0x0080 | 3
    return struct.pack(">HHHHHH", query_id, reply_flags, qdcount, 0, 0, 0) + query[12:]


class NxdomainResponder(Background):
    """Serves NXDOMAIN for every name on ``<address>:53`` in two daemon threads."""

    def __init__(self, candidates: tuple[str, ...] = CANDIDATE_ADDRESSES) -> None:
        self._candidates = candidates
        self._stop = threading.Event()
        self._udp: socket.socket | None = None
        self._tcp: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self.address = ""
        """The loopback address it answers on (port 53); set by :meth:`start`."""

    def start(self) -> Self:
        """Bind the first free candidate address and start answering."""
        last_error: OSError | None = None
        for address in self._candidates:
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                udp.bind((address, 53))
                tcp.bind((address, 53))
            except OSError as error:
                udp.close()
                tcp.close()
                last_error = error
                continue
            tcp.listen(8)
            udp.settimeout(0.1)
            tcp.settimeout(0.1)
            self._udp, self._tcp, self.address = udp, tcp, address
            break
        else:
            raise DnsIsolationUnavailable(
                f"cannot bind a loopback DNS responder on port 53 ({last_error}); it needs root "
                f"or CAP_NET_BIND_SERVICE and one free address among {self._candidates[0]}.."
            )
        self._threads = [
            threading.Thread(target=self._serve_udp, daemon=True),
            threading.Thread(target=self._serve_tcp, daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        """Stop answering and release port 53."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2)
        for sock in (self._udp, self._tcp):
            if sock is not None:
                sock.close()
        self._threads = []

    def write_resolv_conf(self, path: Path) -> Path:
        """Write a resolv.conf naming only this responder; return ``path``."""
        path.write_text(f"nameserver {self.address}\noptions timeout:1 attempts:1\n")
        return path

    def _serve_udp(self) -> None:
        assert self._udp is not None
        while not self._stop.is_set():
            try:
                query, peer = self._udp.recvfrom(4096)
            except TimeoutError:
                continue
            reply = nxdomain_reply(query)
            if reply:
                self._udp.sendto(reply, peer)

    def _serve_tcp(self) -> None:
        assert self._tcp is not None
        accept_until(self._stop, self._tcp, _answer_tcp)


def _answer_tcp(conn: socket.socket) -> None:
    with conn:
        conn.settimeout(1)
        # A client that sends garbage or hangs up gets nothing; the next one is still answered.
        with contextlib.suppress(OSError, struct.error):
            (length,) = struct.unpack(">H", _recv_exactly(conn, 2))
            reply = nxdomain_reply(_recv_exactly(conn, length))
            conn.sendall(struct.pack(">H", len(reply)) + reply)


def _recv_exactly(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise OSError("DNS client closed the connection early")
        data += chunk
    return data


def isolated_resolver_prefix(resolv_conf: Path) -> list[str]:
    """The argv prefix that runs the rest of argv with ``resolv_conf`` as /etc/resolv.conf.

    ``prefix + ["skopeo", ...]`` becomes ``unshare -m sh -c 'mount --bind ... && exec "$0"
    "$@"' skopeo ...``: sh's ``$0`` is the command, ``$@`` its arguments.
    """
    script = f'mount --bind {shlex.quote(str(resolv_conf))} /etc/resolv.conf && exec "$0" "$@"'
    return ["unshare", "-m", "sh", "-c", script]


def check_isolation(resolv_conf: Path) -> None:
    """Raise :class:`DnsIsolationUnavailable` unless the bind-mount trick works here."""
    if shutil.which("unshare") is None:
        raise DnsIsolationUnavailable("`unshare` is missing; install the util-linux package")
    probe = subprocess.run(
        [*isolated_resolver_prefix(resolv_conf), "cat", "/etc/resolv.conf"],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    if probe.returncode != 0 or probe.stdout != resolv_conf.read_text():
        raise DnsIsolationUnavailable(
            "cannot bind-mount a private /etc/resolv.conf with `unshare -m` (needs root or "
            f"CAP_SYS_ADMIN): rc={probe.returncode} stderr={probe.stderr.strip()!r}"
        )


@dataclass(frozen=True)
class LoopbackDns:
    """A running NXDOMAIN responder and the argv prefix that makes a command use it."""

    address: str
    prefix: tuple[str, ...]


@contextlib.contextmanager
def loopback_dns(directory: Path) -> Iterator[LoopbackDns]:
    """Answer NXDOMAIN on loopback, for commands run with the yielded ``prefix``.

    The resolv.conf naming the responder is written to ``directory``. Raises
    :class:`DnsIsolationUnavailable` unless the responder and the bind mount both work here.
    """
    with NxdomainResponder() as responder:
        conf = responder.write_resolv_conf(directory / "resolv.conf")
        check_isolation(conf)
        yield LoopbackDns(responder.address, tuple(isolated_resolver_prefix(conf)))
