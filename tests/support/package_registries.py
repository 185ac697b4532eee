"""Real package registries for tests, on loopback: Verdaccio, pypiserver, a static Maven repo.

* :func:`start_verdaccio`: Verdaccio (npm) over HTTPS with the test CA's server cert, htpasswd
  users and no uplinks, seeded with ``demo-lib`` (anyone), ``private-lib`` (any logged-in user)
  and ``team-lib`` (``alice`` only) at 1.0.0, each published by the real npm client.
* :func:`start_pypiservers`: two pypiserver processes (fallback to the public index disabled)
  holding the wheel ``demo-lib`` 1.0.0: ``open`` (no auth) and ``private`` (htpasswd for
  download and list).
* :func:`start_maven_repository`: a static Maven 2 layout over HTTPS (:class:`ScriptedRegistry`
  serving files): ``/open/`` for anyone, ``/private/`` for ``alice`` (``bob`` gets 403,
  no credentials 401). It holds the POM ``org.example:demo-parent:1.0`` with its checksums, and
  ``org.example:tampered-parent:1.0`` whose ``.sha1`` is wrong.
* :func:`start_side_servers`: pages where a registry API was expected: a web UI's sign-in page
  (HTML, over HTTP, and over HTTPS with a good, an expired and a wrong-name certificate) and a
  JSON API answering where a pip index should be.

Credentials are minted per run (:func:`new_account`). Each starter raises :class:`MissingTool`
or :class:`RegistryStartError` (with the server's log) when something cannot start; the pytest
fixtures turn that into a loud failure. Verdaccio, yarn and pnpm come from ``.tools/npm``
(installed by ``scripts/setup``), pypiserver from the dev extras, Maven and keytool from Debian.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.client
import io
import json
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.certs import TestPki, mint_pki
from tests.support.ports import free_port
from tests.support.probe_servers import Canned, Route, ScriptedRegistry, Seen
from tests.support.registry import MissingTool, RegistryStartError, require_tool

ROOT = Path(__file__).resolve().parents[2]
NPM_TOOLS = ROOT / ".tools" / "npm" / "node_modules" / ".bin"
"""Where ``scripts/setup`` installs the pinned Verdaccio, yarn (classic) and pnpm."""
START_DEADLINE = 30.0
"""Seconds to wait for a server to answer before failing (Verdaccio takes a few)."""
PACKAGE = "demo-lib"
"""The package every registry holds, at :data:`VERSION`."""
VERSION = "1.0.0"
MAVEN_GROUP = "org.example"
MAVEN_PARENT = "demo-parent"
MAVEN_TAMPERED = "tampered-parent"
MAVEN_VERSION = "1.0"
TRUSTSTORE_PASSWORD = "changeit"
"""The Java truststore's password: it guards a public CA certificate, nothing secret."""


def require(binary: str, how: str) -> str:
    """The path of ``binary``, or :class:`MissingTool` saying how to install it."""
    path = shutil.which(binary)
    if path is None:
        raise MissingTool(f"`{binary}` is not installed; {how}")
    return path


def venv_tool(name: str) -> str:
    """A console script of this virtualenv (the dev extras), else from ``PATH``."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    return require(name, "install the dev extras: scripts/setup")


def npm_tool(name: str) -> str:
    """A pinned tool (``verdaccio``, ``yarn``, ``pnpm``) that ``scripts/setup`` installs."""
    path = NPM_TOOLS / name
    if not path.exists():
        raise MissingTool(f"{name} is not installed at {path}; run scripts/setup")
    return str(path)


# -- accounts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    """A throw-away user with a password minted for this run."""

    username: str
    password: str


def new_account(username: str) -> Account:
    """A user with a fresh random password."""
    return Account(username, secrets.token_urlsafe(18))


def write_htpasswd(path: Path, accounts: Sequence[Account]) -> Path:
    """An htpasswd file in apr1-MD5, the one scheme both Verdaccio and pypiserver's passlib
    verify without extra libraries (the password goes through stdin, not argv)."""
    lines = []
    for account in accounts:
        done = subprocess.run(
            [require_tool("htpasswd"), "-inm", account.username], input=account.password,
            capture_output=True, text=True, timeout=10, check=False,
        )
        if done.returncode != 0 or not done.stdout.startswith(f"{account.username}:$apr1$"):
            raise RegistryStartError(f"htpasswd failed (rc={done.returncode}): {done.stderr}")
        lines.append(done.stdout.strip())
    path.write_text("\n".join(lines) + "\n")
    return path


# -- processes ---------------------------------------------------------------------------------


@dataclass
class _Server:
    """A server process we started, its port and its log."""

    name: str
    port: int
    popen: subprocess.Popen[bytes]
    log_file: Path

    def log(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")[-4000:]
        except OSError as error:
            return f"(no log: {error})"

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=5)


def _launch(name: str, argv: Sequence[str], log_file: Path, port: int) -> _Server:
    with log_file.open("wb") as log:
        popen = subprocess.Popen(
            list(argv), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    return _Server(name, port, popen, log_file)


def _get(port: int, path: str, context: ssl.SSLContext | None) -> int | None:
    """The status of ``GET path`` on loopback, or None when nothing answers yet."""
    conn: http.client.HTTPConnection = (
        http.client.HTTPSConnection("127.0.0.1", port, timeout=2, context=context)
        if context is not None
        else http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    )
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    except OSError:
        return None
    finally:
        conn.close()


def _wait_ready(server: _Server, path: str, context: ssl.SSLContext | None) -> None:
    deadline = time.monotonic() + START_DEADLINE
    while _get(server.port, path, context) is None:
        if server.popen.poll() is not None:
            raise RegistryStartError(
                f"{server.name} exited with rc={server.popen.returncode}; log:\n{server.log()}"
            )
        if time.monotonic() > deadline:
            server.stop()
            raise RegistryStartError(
                f"{server.name} did not answer {path} within {START_DEADLINE}s; "
                f"log:\n{server.log()}"
            )
        time.sleep(0.1)


def _start(
    name: str, argv_for: Callable[[int], Sequence[str]], log_file: Path, path: str,
    context: ssl.SSLContext | None,
) -> _Server:
    """Launch on a free port and wait for ``path``; retry once if the port was taken meanwhile."""
    port = free_port()
    server = _launch(name, argv_for(port), log_file, port)
    try:
        _wait_ready(server, path, context)
    except RegistryStartError:
        log = server.log()
        if "EADDRINUSE" not in log and "Address already in use" not in log:
            raise
        port = free_port()
        server = _launch(name, argv_for(port), log_file, port)
        _wait_ready(server, path, context)
    return server


def ca_context(pki: TestPki) -> ssl.SSLContext:
    """A client TLS context trusting only the test CA."""
    return ssl.create_default_context(cafile=str(pki.ca_cert))


def client_env(home: Path, **extra: str) -> dict[str, str]:
    """A minimal environment for a client run: no user, proxy or CA variables leak in."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "TERM": "dumb",
        **extra,
    }


# -- Verdaccio (npm) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RunningVerdaccio:
    """A started, seeded Verdaccio."""

    url: str
    """``https://127.0.0.1:PORT/``."""
    port: int
    ca_file: Path
    publisher: Account
    """``alice``: may read and publish everything."""
    outsider: Account
    """``bob``: logged in, but not allowed ``team-lib``."""
    tokens: Mapping[str, str]
    """Each account's npm token, from a real login."""
    version: str
    log_file: Path

    @property
    def host(self) -> str:
        """``127.0.0.1:PORT``, as ``.npmrc`` auth lines name it."""
        return f"127.0.0.1:{self.port}"

    def tarball(self, name: str = PACKAGE, version: str = VERSION) -> str:
        """The URL Verdaccio serves ``name``'s tarball at."""
        return f"{self.url}{name}/-/{name}-{version}.tgz"


def _verdaccio_config(root: Path, pki: TestPki, htpasswd: Path) -> dict[str, object]:
    # Send the whole chain, as a well-configured server does: the test CA then shows up as a
    # self-signed certificate in the chain to a client that does not trust it.
    chain = root / "server-chain.crt"
    chain.write_bytes(pki.server.cert.read_bytes() + pki.ca_cert.read_bytes())
    every_user = {"access": "$authenticated", "publish": "$authenticated"}
    return {
        "storage": str(root / "storage"),
        # max_users -1: nobody can sign up; the htpasswd file holds every user there is.
        "auth": {"htpasswd": {"file": str(htpasswd), "max_users": -1}},
        # No uplinks: a package this registry lacks is a 404, never fetched from outside.
        "uplinks": {},
        "packages": {
            "private-*": every_user,
            "team-*": {"access": "alice", "publish": "alice"},
            "**": {"access": "$all", "publish": "$authenticated"},
        },
        "https": {"key": str(pki.server.key), "cert": str(chain)},
        "web": {"enable": False},
        "log": {"type": "stdout", "format": "pretty", "level": "warn"},
    }


def _verdaccio_login(port: int, account: Account, context: ssl.SSLContext) -> str:
    """Log in as ``npm login`` does for an existing user (``PUT /-/user/org.couchdb.user:NAME``
    with Basic auth) and return the token."""
    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=context)
    body = json.dumps({"name": account.username, "password": account.password})
    basic = base64.b64encode(f"{account.username}:{account.password}".encode()).decode()
    try:
        conn.request(
            "PUT",
            f"/-/user/org.couchdb.user:{account.username}",
            body=body,
            headers={"Content-Type": "application/json", "Authorization": f"Basic {basic}"},
        )
        response = conn.getresponse()
        answer = response.read()
    finally:
        conn.close()
    token = json.loads(answer or b"{}").get("token") if response.status == 201 else None
    if not isinstance(token, str):
        raise RegistryStartError(f"Verdaccio login as {account.username} failed: {answer!r}")
    return token


def npm_bin() -> str:
    """The machine's npm."""
    return require("npm", "install Node.js and npm (apt-get install -y npm)")


def run_npm(
    args: Sequence[str], *, cwd: Path, home: Path, npmrc: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run the real npm with ``npmrc`` as its only config (user config in ``home``)."""
    return _run_node_client([npm_bin(), *args], cwd=cwd, home=home, npmrc=npmrc, timeout=timeout)


def run_yarn(
    args: Sequence[str], *, cwd: Path, home: Path, npmrc: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run the pinned yarn classic with ``npmrc`` (which it reads too) as its only config."""
    return _run_node_client(
        [npm_tool("yarn"), *args], cwd=cwd, home=home, npmrc=npmrc, timeout=timeout
    )


def run_pnpm(
    args: Sequence[str], *, cwd: Path, home: Path, npmrc: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run the pinned pnpm with ``npmrc`` (which it reads too) as its only config."""
    return _run_node_client(
        [npm_tool("pnpm"), *args], cwd=cwd, home=home, npmrc=npmrc, timeout=timeout
    )


def _run_node_client(
    argv: Sequence[str], *, cwd: Path, home: Path, npmrc: str, timeout: float
) -> subprocess.CompletedProcess[str]:
    home.mkdir(parents=True, exist_ok=True)
    (home / ".npmrc").write_text(npmrc)
    (home / "global-npmrc").write_text("")
    env = client_env(
        home,
        npm_config_userconfig=str(home / ".npmrc"),
        npm_config_globalconfig=str(home / "global-npmrc"),
        npm_config_cache=str(home / ".npm"),
        npm_config_update_notifier="false",
        # yarn reads the global npmrc under $PREFIX/etc, and caches under YARN_CACHE_FOLDER;
        # pnpm keeps its global config, store and state under the XDG folders.
        PREFIX=str(home),
        YARN_CACHE_FOLDER=str(home / ".yarn-cache"),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
    )
    return subprocess.run(
        list(argv), cwd=cwd, env=env, capture_output=True, text=True,
        stdin=subprocess.DEVNULL, timeout=timeout, check=False,
    )


def write_npm_package(directory: Path, name: str, version: str = VERSION) -> Path:
    """A minimal npm package's source folder."""
    directory.mkdir(parents=True, exist_ok=True)
    manifest = {"name": name, "version": version, "main": "index.js", "license": "MIT"}
    (directory / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")
    (directory / "index.js").write_text(f"module.exports = {json.dumps(name)};\n")
    return directory


def _seed_verdaccio(root: Path, url: str, host: str, ca: Path, token: str) -> None:
    npmrc = f"registry={url}\ncafile={ca}\n//{host}/:_authToken={token}\n"
    for name in (PACKAGE, "private-lib", "team-lib"):
        source = write_npm_package(root / "sources" / name, name)
        done = run_npm(["publish", "--registry", url], cwd=source, home=root / "publisher",
                       npmrc=npmrc)
        if done.returncode != 0:
            raise RegistryStartError(f"npm publish {name} failed:\n{done.stdout}{done.stderr}")


def tool_version(argv: Sequence[str]) -> str:
    """The last word of what ``argv`` prints (``npm --version``, ``pypi-server --version``)."""
    done = subprocess.run(list(argv), capture_output=True, text=True, timeout=30, check=True)
    return (done.stdout.strip() or done.stderr.strip()).split()[-1]


@contextlib.contextmanager
def start_verdaccio(workdir: Path, pki: TestPki) -> Iterator[RunningVerdaccio]:
    """Start Verdaccio over HTTPS under ``workdir``, log in its users and publish the packages."""
    binary = npm_tool("verdaccio")
    npm_bin()
    workdir.mkdir(parents=True, exist_ok=True)
    publisher, outsider = new_account("alice"), new_account("bob")
    htpasswd = write_htpasswd(workdir / "htpasswd", (publisher, outsider))
    config = workdir / "config.yaml"
    # YAML is a superset of JSON, so the config needs no YAML library.
    config.write_text(json.dumps(_verdaccio_config(workdir, pki, htpasswd), indent=1))
    context = ca_context(pki)
    server = _start(
        "verdaccio",
        lambda port: [binary, "--config", str(config), "--listen", f"https://127.0.0.1:{port}"],
        workdir / "verdaccio.log", "/-/ping", context,
    )
    try:
        url = f"https://127.0.0.1:{server.port}/"
        tokens = {a.username: _verdaccio_login(server.port, a, context)
                  for a in (publisher, outsider)}
        _seed_verdaccio(workdir, url, f"127.0.0.1:{server.port}", pki.ca_cert,
                        tokens[publisher.username])
        yield RunningVerdaccio(
            url=url, port=server.port, ca_file=pki.ca_cert, publisher=publisher,
            outsider=outsider, tokens=tokens,
            version=tool_version([binary, "--version"]).lstrip("v"),
            log_file=server.log_file,
        )
    finally:
        server.stop()


# -- pypiserver (pip) --------------------------------------------------------------------------


def write_wheel(directory: Path, name: str = PACKAGE, version: str = VERSION) -> Path:
    """A minimal pure-Python wheel with a correct RECORD."""
    module = name.replace("-", "_")
    dist_info = f"{module}-{version}.dist-info"
    files = {
        f"{module}/__init__.py": f'"""{name}, a test package."""\n',
        f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{dist_info}/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: registry-why-tests\nRoot-Is-Purelib: true\n"
            "Tag: py3-none-any\n"
        ),
    }
    record = []
    for path, text in files.items():
        data = text.encode()
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = "\n".join(record) + "\n"
    directory.mkdir(parents=True, exist_ok=True)
    wheel = directory / f"{module}-{version}-py3-none-any.whl"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, text in files.items():
            # A fixed timestamp keeps the wheel, and so its hash, the same on every run.
            archive.writestr(zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0)), text)
    wheel.write_bytes(buffer.getvalue())
    return wheel


@dataclass(frozen=True)
class RunningPypiServers:
    """The two started pypiservers."""

    open_url: str
    """``http://127.0.0.1:PORT/simple/``: no auth."""
    private_url: str
    """``http://127.0.0.1:PORT/simple/``: download and list need ``user``."""
    user: Account
    wheel: Path
    """The wheel both serve."""
    version: str
    log_files: tuple[Path, Path]

    @property
    def wheel_sha256(self) -> str:
        """The served wheel's sha256, as ``--require-hashes`` wants it."""
        return hashlib.sha256(self.wheel.read_bytes()).hexdigest()

    def private_url_as(self, username: str, password: str) -> str:
        """The private index URL with credentials in it, as people put them in pip.conf."""
        return self.private_url.replace("http://", f"http://{username}:{password}@", 1)


@contextlib.contextmanager
def start_pypiservers(workdir: Path) -> Iterator[RunningPypiServers]:
    """Start an open and a private pypiserver on loopback, both serving ``demo-lib``."""
    binary = venv_tool("pypi-server")
    workdir.mkdir(parents=True, exist_ok=True)
    packages = workdir / "packages"
    wheel = write_wheel(packages)
    user = new_account("alice")
    htpasswd = write_htpasswd(workdir / "htpasswd", (user,))

    def argv(auth: Sequence[str]) -> Callable[[int], list[str]]:
        # --disable-fallback: a package missing here is a 404, never a redirect to a public index.
        return lambda port: [binary, "run", "-i", "127.0.0.1", "-p", str(port),
                             "--disable-fallback", *auth, str(packages)]

    servers: list[_Server] = []
    try:
        servers.append(_start("pypiserver-open", argv(["-a", ".", "-P", "."]),
                              workdir / "open.log", "/health", None))
        servers.append(_start("pypiserver-private",
                              argv(["-a", "download,list,update", "-P", str(htpasswd)]),
                              workdir / "private.log", "/health", None))
        yield RunningPypiServers(
            open_url=f"http://127.0.0.1:{servers[0].port}/simple/",
            private_url=f"http://127.0.0.1:{servers[1].port}/simple/",
            user=user, wheel=wheel, version=tool_version([binary, "--version"]).lstrip("v"),
            log_files=(servers[0].log_file, servers[1].log_file),
        )
    finally:
        for server in servers:
            server.stop()


def run_pip(
    args: Sequence[str], *, cwd: Path, home: Path, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run this virtualenv's pip with no config file at all (``PIP_CONFIG_FILE`` is devnull)."""
    home.mkdir(parents=True, exist_ok=True)
    env = client_env(home, PIP_CONFIG_FILE="/dev/null", PIP_NO_INPUT="1",
                     PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_CACHE_DIR="1")
    return subprocess.run(
        [sys.executable, "-m", "pip", *args], cwd=cwd, env=env, capture_output=True, text=True,
        stdin=subprocess.DEVNULL, timeout=timeout, check=False,
    )


# -- a static Maven repository over HTTPS ------------------------------------------------------


def _pom(artifact: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<project xmlns="http://maven.apache.org/POM/4.0.0">\n'
        "  <modelVersion>4.0.0</modelVersion>\n"
        f"  <groupId>{MAVEN_GROUP}</groupId>\n"
        f"  <artifactId>{artifact}</artifactId>\n"
        f"  <version>{MAVEN_VERSION}</version>\n"
        "  <packaging>pom</packaging>\n"
        "</project>\n"
    )


def _metadata(artifact: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<metadata>\n'
        f"  <groupId>{MAVEN_GROUP}</groupId>\n  <artifactId>{artifact}</artifactId>\n"
        f"  <versioning>\n    <release>{MAVEN_VERSION}</release>\n"
        f"    <versions><version>{MAVEN_VERSION}</version></versions>\n"
        "  </versioning>\n</metadata>\n"
    )


def write_maven_layout(root: Path) -> Path:
    """A Maven 2 layout: ``demo-parent`` with true checksums, ``tampered-parent`` with a wrong
    ``.sha1`` (the sha1 of other bytes)."""
    for artifact in (MAVEN_PARENT, MAVEN_TAMPERED):
        base = root / MAVEN_GROUP.replace(".", "/") / artifact
        folder = base / MAVEN_VERSION
        folder.mkdir(parents=True, exist_ok=True)
        files = {
            folder / f"{artifact}-{MAVEN_VERSION}.pom": _pom(artifact).encode(),
            base / "maven-metadata.xml": _metadata(artifact).encode(),
        }
        for path, data in files.items():
            path.write_bytes(data)
            sha1_of = data if artifact == MAVEN_PARENT else b"what the publisher meant to upload"
            path.with_name(path.name + ".sha1").write_text(hashlib.sha1(sha1_of).hexdigest())
            path.with_name(path.name + ".md5").write_text(hashlib.md5(sha1_of).hexdigest())
    return root


def _basic_user(seen: Seen, accounts: Mapping[str, str]) -> str | None:
    """The user whose right password ``seen`` carries, "" for a wrong one, None for none."""
    header = seen.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        username, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except ValueError:
        return ""
    return username if accounts.get(username) == password else ""


def static_repository_route(root: Path, accounts: Mapping[str, str], allowed: str) -> Route:
    """Serve files under ``root`` at ``/open/...`` to anyone and at ``/private/...`` to
    ``allowed`` only (other valid users get 403; no or wrong credentials get a Basic 401)."""

    def route(seen: Seen) -> Canned:
        path = seen.path.partition("?")[0]
        area, _, rest = path.lstrip("/").partition("/")
        if area == "private":
            user = _basic_user(seen, accounts)
            if not user:
                return Canned(401, {"WWW-Authenticate": 'Basic realm="maven"',
                                    "Content-Type": "text/plain"}, b"Unauthorized\n")
            if user != allowed:
                return Canned(403, {"Content-Type": "text/plain"}, b"Forbidden\n")
        elif area != "open":
            return Canned(404, {"Content-Type": "text/plain"}, b"Not Found\n")
        target = (root / rest).resolve()
        if root.resolve() not in target.parents or not target.is_file():
            return Canned(404, {"Content-Type": "text/plain"}, b"Not Found\n")
        kind = "text/xml" if target.suffix in {".pom", ".xml"} else "text/plain"
        return Canned(200, {"Content-Type": kind}, target.read_bytes())

    return route


@dataclass(frozen=True)
class RunningMavenRepository:
    """The static Maven repository and how to trust it."""

    url: str
    """``https://127.0.0.1:PORT/``: add ``open/`` or ``private/``."""
    user: Account
    """May read ``/private/``."""
    outsider: Account
    """Valid credentials, but ``/private/`` answers 403."""
    ca_file: Path
    truststore: Path
    """A PKCS#12 truststore (password :data:`TRUSTSTORE_PASSWORD`) holding the test CA."""
    server: ScriptedRegistry


def write_truststore(ca_file: Path, path: Path) -> Path:
    """A Java truststore holding ``ca_file``, made by the JDK's own keytool."""
    keytool = require("keytool", "install a JDK (apt-get install -y maven brings one)")
    done = subprocess.run(
        [keytool, "-importcert", "-noprompt", "-alias", "registry-why-test-ca", "-file",
         str(ca_file), "-keystore", str(path), "-storetype", "PKCS12", "-storepass",
         TRUSTSTORE_PASSWORD],
        capture_output=True, text=True, timeout=60, check=False,
    )
    if done.returncode != 0:
        raise RegistryStartError(f"keytool failed: {done.stdout}{done.stderr}")
    return path


@contextlib.contextmanager
def start_maven_repository(workdir: Path, pki: TestPki) -> Iterator[RunningMavenRepository]:
    """Serve a static Maven layout over HTTPS (cert from the test CA) on loopback."""
    require("mvn", "install it with `apt-get install -y maven`")
    workdir.mkdir(parents=True, exist_ok=True)
    root = write_maven_layout(workdir / "repository")
    user, outsider = new_account("alice"), new_account("bob")
    accounts = {a.username: a.password for a in (user, outsider)}
    truststore = write_truststore(pki.ca_cert, workdir / "truststore.p12")
    route = static_repository_route(root, accounts, user.username)
    with ScriptedRegistry(route, tls=pki.server) as server:
        yield RunningMavenRepository(
            url=f"https://127.0.0.1:{server.port}/", user=user, outsider=outsider,
            ca_file=pki.ca_cert, truststore=truststore, server=server,
        )


def maven_settings(mirror_url: str, username: str = "", password: str = "") -> str:
    """A ``settings.xml`` sending every repository (Central too) to ``mirror_url``."""
    server = (
        f"  <servers>\n    <server>\n      <id>loopback</id>\n"
        f"      <username>{username}</username>\n      <password>{password}</password>\n"
        "    </server>\n  </servers>\n"
        if username
        else ""
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<settings>\n'
        f"{server}"
        "  <mirrors>\n    <mirror>\n      <id>loopback</id>\n      <mirrorOf>*</mirrorOf>\n"
        f"      <url>{mirror_url}</url>\n    </mirror>\n  </mirrors>\n</settings>\n"
    )


def maven_project(directory: Path, parent: str, version: str = MAVEN_VERSION) -> Path:
    """A ``pom.xml`` whose parent POM Maven must fetch from the repository (no plugins needed)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "pom.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<project xmlns="http://maven.apache.org/POM/4.0.0">\n'
        "  <modelVersion>4.0.0</modelVersion>\n"
        f"  <parent>\n    <groupId>{MAVEN_GROUP}</groupId>\n    <artifactId>{parent}</artifactId>\n"
        f"    <version>{version}</version>\n    <relativePath/>\n  </parent>\n"
        "  <artifactId>app</artifactId>\n</project>\n"
    )
    return directory


def run_mvn(
    args: Sequence[str], *, cwd: Path, home: Path, settings: str, truststore: Path | None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run the real ``mvn -B`` with only ``settings`` (user and global) and a fresh local repo."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "settings.xml").write_text(settings)
    (home / "global-settings.xml").write_text("<settings/>\n")
    opts = (
        f"-Djavax.net.ssl.trustStore={truststore} "
        f"-Djavax.net.ssl.trustStorePassword={TRUSTSTORE_PASSWORD}"
        if truststore is not None
        else ""
    )
    env = client_env(home, MAVEN_OPTS=opts)
    argv = [require("mvn", "install it with `apt-get install -y maven`"), "-B",
            "-Dstyle.color=never", "-s", str(home / "settings.xml"),
            "-gs", str(home / "global-settings.xml"), f"-Dmaven.repo.local={home / 'm2'}", *args]
    return subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
        timeout=timeout, check=False,
    )


# -- pages where a registry API was expected ---------------------------------------------------

PORTAL_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Sign in - Artifact Portal</title></head>\n"
    b'<body><form method="post" action="/login"><input name="user"></form></body></html>\n'
)
JSON_PAGE = b'{"repositories": []}\n'


@dataclass(frozen=True)
class SideServers:
    """Stand-ins for a registry URL that points at the wrong thing (all on loopback)."""

    portal: ScriptedRegistry
    """A web UI's sign-in page (200, HTML) for every GET, plain HTTP."""
    portal_tls: ScriptedRegistry
    """The same page over HTTPS with the test CA's leaf certificate and no chain."""
    json_page: ScriptedRegistry
    """200 JSON for every GET: a repository manager's API URL used as a pip index."""
    expired_tls: ScriptedRegistry
    """The sign-in page over HTTPS with the test CA's expired certificate."""
    wrong_name_tls: ScriptedRegistry
    """The sign-in page over HTTPS with a certificate for ``other.test`` only."""


def _always(status: int, content_type: str, body: bytes) -> Route:
    answer = Canned(status, {"Content-Type": content_type}, body)
    return lambda seen: answer


@contextlib.contextmanager
def start_side_servers(pki: TestPki) -> Iterator[SideServers]:
    """Start the HTML page (plain, and over HTTPS with each test certificate) and the JSON page."""
    html = _always(200, "text/html; charset=utf-8", PORTAL_PAGE)
    with (
        ScriptedRegistry(html) as portal,
        ScriptedRegistry(html, tls=pki.server) as portal_tls,
        ScriptedRegistry(_always(200, "application/json", JSON_PAGE)) as json_page,
        ScriptedRegistry(html, tls=pki.expired) as expired_tls,
        ScriptedRegistry(html, tls=pki.wrong_name) as wrong_name_tls,
    ):
        yield SideServers(portal, portal_tls, json_page, expired_tls, wrong_name_tls)


# -- pytest fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def package_pki(tmp_path_factory: pytest.TempPathFactory) -> TestPki:
    """The test CA and server certs the package registries use."""
    return mint_pki(tmp_path_factory.mktemp("package-pki"))


@contextlib.contextmanager
def _loudly() -> Iterator[None]:
    try:
        yield
    except (MissingTool, RegistryStartError) as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="session")
def verdaccio(
    tmp_path_factory: pytest.TempPathFactory, package_pki: TestPki
) -> Iterator[RunningVerdaccio]:
    """A seeded Verdaccio over HTTPS on loopback, started once per session."""
    with _loudly(), start_verdaccio(tmp_path_factory.mktemp("verdaccio"), package_pki) as running:
        yield running


@pytest.fixture(scope="session")
def pypiservers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPypiServers]:
    """An open and a private pypiserver on loopback, started once per session."""
    with _loudly(), start_pypiservers(tmp_path_factory.mktemp("pypiserver")) as running:
        yield running


@pytest.fixture(scope="session")
def maven_repository(
    tmp_path_factory: pytest.TempPathFactory, package_pki: TestPki
) -> Iterator[RunningMavenRepository]:
    """The static Maven repository over HTTPS on loopback, started once per session."""
    with _loudly(), start_maven_repository(tmp_path_factory.mktemp("maven"), package_pki) as r:
        yield r


@pytest.fixture(scope="session")
def package_side_servers(package_pki: TestPki) -> Iterator[SideServers]:
    """The HTML and JSON pages that stand in for a misconfigured registry URL."""
    with start_side_servers(package_pki) as servers:
        yield servers
