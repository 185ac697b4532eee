"""Real registries for tests: docker-registry processes, a token server, and real skopeo.

``registry`` (session fixture) starts six docker-registry instances on free loopback ports:

========================  ======  =====================================================
name                      scheme  what it is
========================  ======  =====================================================
``plain``                 http    no auth
``basic``                 http    htpasswd (bcrypt) basic auth
``tls``                   https   cert from the test CA for localhost + 127.0.0.1, htpasswd
``tls_wrong_name``        https   cert for ``other.test`` only, reached as ``localhost``
``tls_expired``           https   cert for localhost + 127.0.0.1 that expired yesterday
``token``                 https   ``auth: token`` against :class:`TokenServer`
========================  ======  =====================================================

Each holds ``demo/hello:v1`` (one linux/amd64 manifest) and ``demo/hello:multi`` (an OCI
index with only linux/amd64); ``token`` also holds ``private/secret:v1``, which ``puller``
may not pull. A registry's ``username``/``password`` are the credentials that pull
``demo/hello``: ``testuser``/``testpass`` on basic and tls, ``puller``/``pullpass`` on token
(``tests.support.token_server.PUSHER`` may push and pull everything there).

Other fixtures: ``oci_image``/``oci_layout`` (the image pushed), ``closed_port``,
``blackhole`` and ``nxdomain_dns``. :func:`skopeo` runs the real client, always bounded by
``--command-timeout``.
"""

from __future__ import annotations

import ast
import contextlib
import http.client
import json
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.background import BackgroundListener
from tests.support.certs import CertPair, TestPki, mint_pki
from tests.support.dns import DnsIsolationUnavailable, LoopbackDns, loopback_dns
from tests.support.oci_layout import OciLayout, write_oci_layout
from tests.support.ports import free_port
from tests.support.token_server import PULLER, PUSHER, TokenServer

BASIC_USER = "testuser"
BASIC_PASSWORD = "testpass"
START_DEADLINE = 5.0
"""Seconds to wait for every registry to answer ``/v2/`` before failing."""

APT_PACKAGES = {
    "docker-registry": "docker-registry",
    "skopeo": "skopeo",
    "htpasswd": "apache2-utils",
}
"""The binaries the fixtures run, and the Debian package that provides each."""


class MissingTool(RuntimeError):
    """A binary the real-registry fixtures need is not installed."""


class RegistryStartError(RuntimeError):
    """A registry did not start or could not be seeded; the message carries its log."""


class SkopeoHung(RuntimeError):
    """skopeo outlived its own ``--command-timeout`` by a wide margin."""


def require_tool(binary: str) -> str:
    """Return the path of ``binary`` or raise :class:`MissingTool` naming its apt package."""
    path = shutil.which(binary)
    if path is None:
        package = APT_PACKAGES.get(binary, binary)
        raise MissingTool(
            f"`{binary}` is not installed; install it with `apt-get install -y {package}`"
        )
    return path


# -- skopeo ------------------------------------------------------------------------------------

_FATAL_MSG = re.compile(r'level=fatal msg=("(?:[^"\\]|\\.)*"|\S+)')


def fatal_message(stderr: str) -> str:
    """The unescaped ``msg`` of the last ``level=fatal`` logrus line, or "" if there is none.

    logrus quotes a message the way Go's ``%q`` does; Go's escapes are a subset of Python's
    string-literal escapes, so a literal parse undoes them exactly.
    """
    matches = _FATAL_MSG.findall(stderr)
    if not matches:
        return ""
    raw: str = matches[-1]
    if not raw.startswith('"'):
        return raw
    value = ast.literal_eval(raw)
    return value if isinstance(value, str) else raw


@dataclass(frozen=True)
class SkopeoResult:
    """One finished skopeo run."""

    command: tuple[str, ...]
    rc: int
    stdout: str
    stderr: str
    msg: str
    """The unescaped fatal message (what skopeo says went wrong); "" on success."""

    @property
    def ok(self) -> bool:
        """Whether skopeo exited 0."""
        return self.rc == 0


def skopeo(*args: str, timeout: float = 20, prefix: Sequence[str] = ()) -> SkopeoResult:
    """Run the real ``skopeo --command-timeout <timeout>s <args>`` and return what it did.

    ``prefix`` goes before ``skopeo`` (e.g. :func:`isolated_resolver_prefix`). The command
    timeout bounds every network wait inside skopeo; the process itself is killed if it
    overruns that by 15 s.
    """
    require_tool("skopeo")
    command = (*prefix, "skopeo", "--command-timeout", f"{timeout:g}s", *args)
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=timeout + 15,
            check=False,
        )
    except subprocess.TimeoutExpired as hung:
        raise SkopeoHung(f"skopeo ignored --command-timeout {timeout:g}s: {command}") from hung
    return SkopeoResult(
        command=command,
        rc=done.returncode,
        stdout=done.stdout,
        stderr=done.stderr,
        msg=fatal_message(done.stderr),
    )


# -- what tests get ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RunningRegistry:
    """One started registry and how to reach it."""

    name: str
    host: str
    """``127.0.0.1:PORT`` or ``localhost:PORT``, whichever its certificate is meant for."""
    scheme: str
    ca_file: Path | None
    """A CA bundle that verifies its certificate (None for http)."""
    cert_dir: Path | None
    """A directory with ``ca.crt``, for ``skopeo --cert-dir`` (None for http)."""
    username: str | None
    password: str | None
    log_file: Path
    """The registry's own log (it alone tells a wrong password from no credentials)."""

    @property
    def url(self) -> str:
        """``scheme://host``."""
        return f"{self.scheme}://{self.host}"

    @property
    def port(self) -> int:
        """The TCP port it listens on."""
        return int(self.host.rpartition(":")[2])

    def image(self, ref: str = "demo/hello:v1") -> str:
        """``host/ref``, the image name without a transport."""
        return f"{self.host}/{ref}"

    def skopeo_flags(self, direction: str = "", *, creds: bool = True) -> list[str]:
        """skopeo flags to reach this registry: TLS trust and (if ``creds``) credentials.

        ``direction`` is "" for inspect/list-tags/login-style commands, or "src"/"dest" for
        ``copy``. Plain-http registries get ``--tls-verify=false``; https ones get the test CA
        via ``--cert-dir`` (which still fails, by design, for the wrong-name and expired ones).
        """
        dash = f"--{direction}-" if direction else "--"
        flags = (
            [f"{dash}tls-verify=false"]
            if self.cert_dir is None
            else [f"{dash}cert-dir", str(self.cert_dir)]
        )
        if creds and self.username is not None:
            flags += [f"{dash}creds", f"{self.username}:{self.password}"]
        return flags


@dataclass(frozen=True)
class Registries:
    """Every registry the ``registry`` fixture started, plus the token server."""

    plain: RunningRegistry
    basic: RunningRegistry
    tls: RunningRegistry
    tls_wrong_name: RunningRegistry
    tls_expired: RunningRegistry
    token: RunningRegistry
    token_server: TokenServer
    layout: OciLayout
    """The image pushed to each: its manifest and index digests."""

    @property
    def all(self) -> tuple[RunningRegistry, ...]:
        """The six registries, in declaration order."""
        return (
            self.plain,
            self.basic,
            self.tls,
            self.tls_wrong_name,
            self.tls_expired,
            self.token,
        )


# -- a silent peer -----------------------------------------------------------------------------


class Blackhole(BackgroundListener):
    """A loopback TCP listener that accepts connections and never sends a byte.

    At most ``max_held`` connections are kept open (older ones are closed), and everything
    is closed by :meth:`stop`, so a test that forgets a timeout still ends.
    """

    def __init__(self, max_held: int = 32) -> None:
        super().__init__(backlog=64, poll=0.1)
        self._max_held = max_held
        self._held: list[socket.socket] = []

    @property
    def address(self) -> tuple[str, int]:
        """``("127.0.0.1", port)``."""
        return "127.0.0.1", self.port

    def stop(self) -> None:
        """Close the listener and every held connection."""
        super().stop()
        for conn in self._held:
            conn.close()

    def _accepted(self, conn: socket.socket) -> None:
        self._held.append(conn)
        if len(self._held) > self._max_held:
            self._held.pop(0).close()


# -- starting registries -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Spec:
    name: str
    hostname: str
    tls: CertPair | None
    auth: str  # "", "htpasswd" or "token"
    trusted: bool
    """Whether the test CA verifies it at ``hostname`` (else pushes skip verification)."""


@dataclass
class _Process:
    spec: _Spec
    port: int
    config: Path
    log_file: Path
    popen: subprocess.Popen[bytes]
    attempts: int = 1

    def log(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")[-4000:]
        except OSError as error:
            return f"(no log: {error})"


def _config(
    spec: _Spec, port: int, root: Path, htpasswd: Path, token: TokenServer
) -> dict[str, object]:
    http: dict[str, object] = {"addr": f"127.0.0.1:{port}", "secret": f"not-a-secret-{spec.name}"}
    if spec.tls is not None:
        http["tls"] = {"certificate": str(spec.tls.cert), "key": str(spec.tls.key)}
    config: dict[str, object] = {
        "version": "0.1",
        "log": {"level": "info", "accesslog": {"disabled": True}},
        "storage": {
            "filesystem": {"rootdirectory": str(root / "data" / spec.name)},
            "delete": {"enabled": True},
        },
        "http": http,
    }
    if spec.auth == "htpasswd":
        config["auth"] = {"htpasswd": {"realm": "registry-why-test", "path": str(htpasswd)}}
    elif spec.auth == "token":
        config["auth"] = {
            "token": {
                "realm": token.realm,
                "service": token.service,
                "issuer": token.issuer,
                "rootcertbundle": str(token.signer_bundle),
            }
        }
    return config


def _launch(spec: _Spec, root: Path, htpasswd: Path, token: TokenServer) -> _Process:
    port = free_port()
    config = root / f"{spec.name}.yml"
    # YAML is a superset of JSON, so the config needs no YAML library.
    config.write_text(json.dumps(_config(spec, port, root, htpasswd, token), indent=1))
    log_file = root / f"{spec.name}.log"
    with log_file.open("wb") as log:
        popen = subprocess.Popen(
            [require_tool("docker-registry"), "serve", str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    return _Process(spec, port, config, log_file, popen)


def _answers(host: str, port: int, tls: bool) -> bool:
    """Whether a docker registry answers ``GET /v2/`` there (any status; 401 counts)."""
    conn: http.client.HTTPConnection
    if tls:
        # Readiness only: the expired and wrong-name registries must count as up too.
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        conn = http.client.HTTPSConnection(host, port, timeout=1, context=context)
    else:
        conn = http.client.HTTPConnection(host, port, timeout=1)
    try:
        conn.request("GET", "/v2/")
        response = conn.getresponse()
        return response.getheader("Docker-Distribution-Api-Version") == "registry/2.0"
    except OSError:
        return False
    finally:
        conn.close()


def _wait_ready(processes: list[_Process], root: Path, htpasswd: Path, token: TokenServer) -> None:
    deadline = time.monotonic() + START_DEADLINE
    waiting = list(processes)
    while waiting:
        for proc in list(waiting):
            if proc.popen.poll() is not None:
                log = proc.log()
                # The free port was taken between our probe and the registry's bind: retry.
                if "address already in use" in log and proc.attempts < 3:
                    fresh = _launch(proc.spec, root, htpasswd, token)
                    fresh.attempts = proc.attempts + 1
                    processes[processes.index(proc)] = fresh
                    waiting[waiting.index(proc)] = fresh
                    continue
                raise RegistryStartError(
                    f"registry {proc.spec.name!r} exited with rc={proc.popen.returncode}; "
                    f"config {proc.config}; log:\n{log}"
                )
            if _answers("127.0.0.1", proc.port, proc.spec.tls is not None):
                waiting.remove(proc)
        if waiting and time.monotonic() > deadline:
            names = ", ".join(p.spec.name for p in waiting)
            logs = "\n".join(f"--- {p.spec.name} ---\n{p.log()}" for p in waiting)
            raise RegistryStartError(
                f"registries not answering /v2/ after {START_DEADLINE}s: {names}\n{logs}"
            )
        if waiting:
            time.sleep(0.02)


def _htpasswd(path: Path) -> Path:
    # Registry 2.8 accepts only bcrypt entries; an MD5 one makes the right password fail.
    done = subprocess.run(
        [require_tool("htpasswd"), "-Bbn", "-C", "5", BASIC_USER, BASIC_PASSWORD],
        capture_output=True,
        text=True,
        check=False,
        timeout=10,
    )
    if done.returncode != 0 or not done.stdout.startswith(f"{BASIC_USER}:$2"):
        raise RegistryStartError(f"htpasswd failed (rc={done.returncode}): {done.stderr}")
    path.write_text(done.stdout)
    return path


def _running(proc: _Process, pki: TestPki) -> RunningRegistry:
    spec = proc.spec
    username: str | None
    password: str | None
    if spec.auth == "htpasswd":
        username, password = BASIC_USER, BASIC_PASSWORD
    elif spec.auth == "token":
        username, password = PULLER.username, PULLER.password
    else:
        username = password = None
    return RunningRegistry(
        name=spec.name,
        host=f"{spec.hostname}:{proc.port}",
        scheme="https" if spec.tls else "http",
        ca_file=pki.ca_cert if spec.tls else None,
        cert_dir=pki.cert_dir if spec.tls else None,
        username=username,
        password=password,
        log_file=proc.log_file,
    )


def _seed(registry: RunningRegistry, spec: _Spec, layout: OciLayout) -> None:
    """Push the layout's ``v1`` and ``multi`` (and, on token, ``private/secret:v1``)."""
    tls = (
        registry.skopeo_flags("dest", creds=False) if spec.trusted else ["--dest-tls-verify=false"]
    )
    if spec.auth == "token":
        creds = ["--dest-creds", f"{PUSHER.username}:{PUSHER.password}"]
    elif registry.username is not None:
        creds = ["--dest-creds", f"{registry.username}:{registry.password}"]
    else:
        creds = []
    pushes = [
        ["copy", "-q", *tls, *creds, layout.ref("v1"), f"docker://{registry.image()}"],
        [
            "copy",
            "-q",
            "--all",
            *tls,
            *creds,
            layout.ref("multi"),
            f"docker://{registry.image('demo/hello:multi')}",
        ],
    ]
    if spec.auth == "token":
        pushes.append(
            [
                "copy",
                "-q",
                *tls,
                *creds,
                layout.ref("v1"),
                f"docker://{registry.image('private/secret:v1')}",
            ]
        )
    for args in pushes:
        result = skopeo(*args, timeout=15)
        if not result.ok:
            raise RegistryStartError(
                f"seeding {registry.name} failed: {' '.join(result.command)}\n{result.stderr}"
                f"\nregistry log:\n{registry.log_file.read_text(errors='replace')[-4000:]}"
            )


def _stop(processes: Sequence[_Process]) -> None:
    for proc in processes:
        if proc.popen.poll() is None:
            proc.popen.send_signal(signal.SIGTERM)
    for proc in processes:
        try:
            proc.popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.popen.kill()
            proc.popen.wait(timeout=5)


@contextlib.contextmanager
def start_registries(workdir: Path, layout: OciLayout) -> Iterator[Registries]:
    """Start the token server and all six registries under ``workdir``, seeded with ``layout``.

    Everything is stopped when the block exits. Raises :class:`MissingTool` or
    :class:`RegistryStartError` (with the registry log) when something cannot start.
    """
    for binary in APT_PACKAGES:
        require_tool(binary)
    workdir.mkdir(parents=True, exist_ok=True)
    pki = mint_pki(workdir / "pki")
    htpasswd = _htpasswd(workdir / "htpasswd")
    specs = (
        _Spec("plain", "127.0.0.1", None, "", trusted=True),
        _Spec("basic", "127.0.0.1", None, "htpasswd", trusted=True),
        _Spec("tls", "127.0.0.1", pki.server, "htpasswd", trusted=True),
        _Spec("tls_wrong_name", "localhost", pki.wrong_name, "", trusted=False),
        _Spec("tls_expired", "127.0.0.1", pki.expired, "", trusted=False),
        _Spec("token", "127.0.0.1", pki.server, "token", trusted=True),
    )
    processes: list[_Process] = []
    with TokenServer(tls=pki.server, ca_file=pki.ca_cert, signer_dir=workdir / "token") as token:
        try:
            processes.extend(_launch(spec, workdir, htpasswd, token) for spec in specs)
            _wait_ready(processes, workdir, htpasswd, token)
            running = {p.spec.name: _running(p, pki) for p in processes}
            with ThreadPoolExecutor(max_workers=3) as pool:
                for future in [
                    pool.submit(_seed, running[p.spec.name], p.spec, layout) for p in processes
                ]:
                    future.result()
            yield Registries(**running, token_server=token, layout=layout)
        finally:
            _stop(processes)


# -- pytest fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def oci_image(tmp_path_factory: pytest.TempPathFactory) -> OciLayout:
    """The hand-made OCI layout and its digests (refs ``v1`` and ``multi``)."""
    return write_oci_layout(tmp_path_factory.mktemp("oci-layout"))


@pytest.fixture(scope="session")
def oci_layout(oci_image: OciLayout) -> Path:
    """A hand-made OCI image layout with refs ``v1`` (amd64 manifest) and ``multi`` (index)."""
    return oci_image.path


@pytest.fixture(scope="session")
def registry(
    tmp_path_factory: pytest.TempPathFactory, oci_image: OciLayout
) -> Iterator[Registries]:
    """All six real registries and the token server, started once per session and seeded."""
    try:
        with start_registries(tmp_path_factory.mktemp("registries"), oci_image) as registries:
            yield registries
    except (MissingTool, RegistryStartError) as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture
def closed_port() -> int:
    """A loopback port with no listener: connecting to it is refused."""
    return free_port()


@pytest.fixture
def blackhole() -> Iterator[tuple[str, int]]:
    """``(host, port)`` of a loopback listener that accepts TCP and never answers."""
    with Blackhole() as hole:
        yield hole.address


@pytest.fixture(scope="session")
def nxdomain_dns(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoopbackDns]:
    """Run commands with ``prefix`` to see every DNS name fail with NXDOMAIN, on loopback only."""
    try:
        with loopback_dns(tmp_path_factory.mktemp("dns")) as dns:
            yield dns
    except DnsIsolationUnavailable as error:
        pytest.fail(str(error), pytrace=False)
