"""A small HTTPS token server for docker-registry's ``auth: token`` mode.

It speaks both ways of asking for a token that the distribution spec describes: ``GET
/token?service=&scope=`` with optional HTTP Basic credentials, and the OAuth2 ``POST /token``
with ``grant_type=password``. Tokens are ES256 JWTs carrying the signing certificate in their
``x5c`` header; the registry trusts that certificate through ``rootcertbundle``.

Policy, like a real token server: wrong credentials get a 401; an anonymous or under-privileged
client still gets a token, holding only the access it may have (possibly none), and the
registry then refuses the request (401 ``insufficient_scope``).
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from tests.support.background import BackgroundHttpServer
from tests.support.certs import CertPair, write_signer

SERVICE = "registry-why-test"
ISSUER = "registry-why-test-issuer"
TOKEN_LIFETIME = 300


@dataclass(frozen=True)
class Account:
    """A token-server user; ``repositories`` are name prefixes it may use, ``"*"`` for all."""

    username: str
    password: str
    actions: frozenset[str]
    repositories: tuple[str, ...]

    def granted(self, kind: str, name: str, wanted: Sequence[str]) -> tuple[str, ...]:
        """The subset of ``wanted`` actions this account may do on resource ``kind:name``."""
        everything = "*" in self.repositories
        if kind != "repository" and not everything:
            return ()
        if not everything and not any(name.startswith(p) for p in self.repositories):
            return ()
        allowed = self.actions
        return tuple(a for a in wanted if a in allowed or "*" in allowed)


PULLER = Account("puller", "pullpass", frozenset({"pull"}), ("demo/",))
PUSHER = Account("pusher", "pushpass", frozenset({"*"}), ("*",))
ACCOUNTS = (PULLER, PUSHER)


@dataclass(frozen=True)
class Access:
    """One entry of a token's ``access`` claim."""

    type: str
    name: str
    actions: tuple[str, ...]


@dataclass(frozen=True)
class TokenRequest:
    """What the token server saw and answered, recorded for tests."""

    method: str
    path: str
    params: Mapping[str, tuple[str, ...]]
    """Query parameters (GET) or form fields (POST), passwords removed."""
    authorization_sent: bool
    """Whether the request carried an ``Authorization`` header."""
    username: str | None
    """The user the request claimed to be (Basic auth or form), None for anonymous."""
    status: int
    granted: tuple[Access, ...] = field(default=())


class _Unauthorized(Exception):
    pass


class _BadRequest(Exception):
    pass


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def parse_scope(scope: str) -> tuple[str, str, tuple[str, ...]] | None:
    """Split ``type:name:actions``; the name may itself hold ``:`` (a host:port)."""
    kind, sep, rest = scope.partition(":")
    name, sep2, actions = rest.rpartition(":")
    if not sep or not sep2 or not name:
        return None
    return kind, name, tuple(a for a in actions.split(",") if a)


class TokenServer(BackgroundHttpServer):
    """The token server, run in a thread on ``127.0.0.1`` with a port the OS picked."""

    def __init__(
        self,
        *,
        tls: CertPair,
        ca_file: Path,
        signer_dir: Path,
        accounts: Sequence[Account] = ACCOUNTS,
        service: str = SERVICE,
        issuer: str = ISSUER,
    ) -> None:
        super().__init__(tls=tls)
        self.ca_file = ca_file
        """A CA bundle that verifies this server's certificate."""
        self.service = service
        self.issuer = issuer
        self._accounts = {a.username: a for a in accounts}
        self._key, self.signer_bundle = write_signer(signer_dir, "registry-why token signer")
        cert_der = _pem_to_der(self.signer_bundle.read_bytes())
        self._x5c = [base64.b64encode(cert_der).decode()]
        self._lock = threading.Lock()
        self._requests: list[TokenRequest] = []

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return _handler_for(self)

    # -- what tests look at ------------------------------------------------------------------

    @property
    def url(self) -> str:
        """``https://127.0.0.1:PORT``."""
        return f"https://127.0.0.1:{self.port}"

    @property
    def realm(self) -> str:
        """The token endpoint URL, as the registry's challenge names it."""
        return f"{self.url}/token"

    @property
    def requests(self) -> tuple[TokenRequest, ...]:
        """Every request answered so far, oldest first."""
        with self._lock:
            return tuple(self._requests)

    # -- the work ----------------------------------------------------------------------------

    def _record(self, request: TokenRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _authenticate(self, username: str | None, password: str | None) -> Account | None:
        if username is None:
            return None
        account = self._accounts.get(username)
        if account is None or account.password != password:
            raise _Unauthorized
        return account

    def _grant(self, account: Account | None, scopes: Sequence[str]) -> tuple[Access, ...]:
        if account is None:
            return ()
        granted: list[Access] = []
        for scope in scopes:
            parsed = parse_scope(scope)
            if parsed is None:
                continue
            kind, name, wanted = parsed
            actions = account.granted(kind, name, wanted)
            if actions:
                granted.append(Access(kind, name, actions))
        return tuple(granted)

    def issue(self, subject: str, service: str, access: Sequence[Access]) -> str:
        """Sign a registry JWT for ``subject`` holding ``access``."""
        now = int(time.time())
        header = {"typ": "JWT", "alg": "ES256", "x5c": self._x5c}
        claims = {
            "iss": self.issuer,
            "sub": subject,
            "aud": service,
            "exp": now + TOKEN_LIFETIME,
            "nbf": now - 10,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "access": [
                {"type": a.type, "name": a.name, "actions": list(a.actions)} for a in access
            ],
        }
        signing_input = ".".join(_b64url(json.dumps(part).encode()) for part in (header, claims))
        der = self._key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        # JWS wants the raw r||s pair, not the DER structure cryptography returns.
        r, s = decode_dss_signature(der)
        return f"{signing_input}.{_b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"

    def answer(
        self,
        method: str,
        path: str,
        params: Mapping[str, list[str]],
        basic: tuple[str, str] | None,
        authorization_sent: bool,
    ) -> tuple[int, dict[str, Any]]:
        """Decide one request, record it, and return the status and the JSON body."""
        username, _ = _claimed_credentials(method, params, basic)
        granted: tuple[Access, ...] = ()
        try:
            status, body, granted = self._decide(method, path, params, basic)
        except _Unauthorized:
            error = {"code": "UNAUTHORIZED", "message": "invalid username or password"}
            status, body = 401, {"errors": [error]}
        except _BadRequest as bad:
            status, body = 400, {"error": str(bad)}
        safe = {k: tuple(v) for k, v in params.items() if k != "password"}
        self._record(
            TokenRequest(method, path, safe, authorization_sent, username, status, granted)
        )
        return status, body

    def _decide(
        self,
        method: str,
        path: str,
        params: Mapping[str, list[str]],
        basic: tuple[str, str] | None,
    ) -> tuple[int, dict[str, Any], tuple[Access, ...]]:
        if path != "/token":
            return 404, {"error": "not found"}, ()
        if method == "POST":
            if params.get("grant_type", [""])[0] != "password":
                raise _BadRequest("unsupported_grant_type")
            scopes = " ".join(params.get("scope", [])).split()
        else:
            scopes = params.get("scope", [])
        username, password = _claimed_credentials(method, params, basic)
        service = params.get("service", [""])[0]
        if service != self.service:
            raise _BadRequest(f"unknown service {service!r}")
        account = self._authenticate(username, password)
        granted = self._grant(account, scopes)
        token = self.issue(username or "", service, granted)
        body: dict[str, Any] = {
            "access_token": token,
            "expires_in": TOKEN_LIFETIME,
            "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        if method == "POST":
            # The OAuth2 response names the scope granted and has no "token" field.
            body["scope"] = " ".join(f"{a.type}:{a.name}:{','.join(a.actions)}" for a in granted)
            body["token_type"] = "Bearer"
        else:
            body["token"] = token
        return 200, body, granted


def _claimed_credentials(
    method: str, params: Mapping[str, list[str]], basic: tuple[str, str] | None
) -> tuple[str | None, str | None]:
    """Who the client says it is: form fields for the OAuth2 POST, Basic auth for GET."""
    if method == "POST":
        return params.get("username", [None])[0], params.get("password", [None])[0]
    return basic if basic else (None, None)


def _pem_to_der(pem: bytes) -> bytes:
    return x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)


def _basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(value.strip()).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return user, password


def _handler_for(server: TokenServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        timeout = 5.0
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes: without TCP_NODELAY, Nagle's algorithm and
        # the client's delayed ACK hold every token answer back by about 40 ms.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test output has no use for an access log."""

        def _reply(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if status == 401:
                self.send_header("WWW-Authenticate", 'Basic realm="registry-why-test-token"')
            self.end_headers()
            self.wfile.write(data)

        def _handle(self, method: str, params: dict[str, list[str]]) -> None:
            header = self.headers.get("Authorization")
            status, body = server.answer(
                method,
                urlsplit(self.path).path,
                params,
                _basic_credentials(header) if header else None,
                header is not None,
            )
            self._reply(status, body)

        def do_GET(self) -> None:
            self._handle("GET", parse_qs(urlsplit(self.path).query))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = self.rfile.read(min(length, 64 * 1024)).decode(errors="replace")
            self._handle("POST", parse_qs(form))

    return Handler
