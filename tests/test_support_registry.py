"""The real-registry fixtures answer the way they are documented to."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import socket
import ssl
import struct
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from tests.support.certs import GOOD_NAMES, WRONG_NAME, mint_pki
from tests.support.dns import LoopbackDns
from tests.support.oci_layout import INDEX_TYPE, MANIFEST_TYPE, OciLayout, write_oci_layout
from tests.support.registry import (
    MissingTool,
    Registries,
    RunningRegistry,
    fatal_message,
    require_tool,
    skopeo,
)
from tests.support.token_server import PULLER, PUSHER, Account, parse_scope

integration = pytest.mark.integration
ACCEPT = ", ".join([MANIFEST_TYPE, INDEX_TYPE])


def _client(reg: RunningRegistry | None = None, ca_file: Path | None = None) -> httpx.Client:
    ca = ca_file or (reg.ca_file if reg else None)
    verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=str(ca)) if ca else True
    return httpx.Client(verify=verify, timeout=5)


def _challenge(response: httpx.Response) -> dict[str, str]:
    header = response.headers["WWW-Authenticate"]
    return dict(re.findall(r'(\w+)="([^"]*)"', header)) | {"scheme": header.split(" ", 1)[0]}


# -- the image layout --------------------------------------------------------------------------


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_oci_layout_is_byte_for_byte_deterministic(tmp_path: Path) -> None:
    first = write_oci_layout(tmp_path / "a")
    second = write_oci_layout(tmp_path / "b")

    assert first.manifest == second.manifest
    assert first.index == second.index
    assert _tree(first.path) == _tree(second.path)


def test_oci_layout_blobs_are_named_by_their_digest(tmp_path: Path) -> None:
    layout = write_oci_layout(tmp_path / "layout")
    blobs = sorted((layout.path / "blobs" / "sha256").iterdir())

    assert {f"sha256:{b.name}" for b in blobs} == {
        layout.layer,
        layout.config,
        layout.manifest,
        layout.index,
    }
    assert all(hashlib.sha256(b.read_bytes()).hexdigest() == b.name for b in blobs)


@integration
def test_skopeo_reads_the_layout_index_as_amd64_only(oci_image: OciLayout) -> None:
    raw = skopeo("inspect", "--raw", oci_image.ref("multi"))
    single = skopeo("inspect", "--format", "{{.Digest}}", oci_image.ref("v1"))

    assert raw.ok, raw.stderr
    index = json.loads(raw.stdout)
    assert [m["platform"] for m in index["manifests"]] == [{"architecture": "amd64", "os": "linux"}]
    assert index["manifests"][0]["digest"] == oci_image.manifest
    assert single.stdout.strip() == oci_image.manifest


# -- certificates ------------------------------------------------------------------------------


def _names(cert_path: Path) -> set[str]:
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return {str(n) for n in san.get_values_for_type(x509.DNSName)} | {
        str(ip) for ip in san.get_values_for_type(x509.IPAddress)
    }


def test_minted_certs_differ_from_the_good_one_in_one_way_each(tmp_path: Path) -> None:
    pki = mint_pki(tmp_path)
    now = dt.datetime.now(dt.UTC)
    ca = x509.load_pem_x509_certificate(pki.ca_cert.read_bytes())

    assert _names(pki.server.cert) == set(GOOD_NAMES)
    assert _names(pki.wrong_name.cert) == {WRONG_NAME}
    assert _names(pki.expired.cert) == set(GOOD_NAMES)
    for pair in (pki.server, pki.wrong_name, pki.expired):
        cert = x509.load_pem_x509_certificate(pair.cert.read_bytes())
        cert.verify_directly_issued_by(ca)
        valid_now = cert.not_valid_before_utc <= now <= cert.not_valid_after_utc
        assert valid_now is (pair is not pki.expired)
    assert (pki.cert_dir / "ca.crt").read_bytes() == pki.ca_cert.read_bytes()
    assert isinstance(
        x509.load_pem_x509_certificate(pki.server.cert.read_bytes()).public_key(),
        ec.EllipticCurvePublicKey,
    )


# -- the registries over HTTP ------------------------------------------------------------------


@integration
def test_plain_registry_serves_both_refs(registry: Registries) -> None:
    with _client() as client:
        tags = client.get(f"{registry.plain.url}/v2/demo/hello/tags/list")
        index = client.get(
            f"{registry.plain.url}/v2/demo/hello/manifests/multi", headers={"Accept": ACCEPT}
        )

    assert tags.status_code == 200
    assert sorted(tags.json()["tags"]) == ["multi", "v1"]
    assert index.headers["Content-Type"] == INDEX_TYPE
    assert index.headers["Docker-Content-Digest"] == registry.layout.index


@integration
@pytest.mark.parametrize("name", ["basic", "tls"])
def test_htpasswd_registries_want_exactly_their_credentials(
    registry: Registries, name: str
) -> None:
    reg: RunningRegistry = getattr(registry, name)
    assert reg.username is not None
    assert reg.password is not None
    with _client(reg) as client:
        anonymous = client.get(f"{reg.url}/v2/")
        wrong = client.get(f"{reg.url}/v2/", auth=(reg.username, "WRONG"))
        good = client.get(f"{reg.url}/v2/", auth=(reg.username, reg.password))
        manifest = client.get(
            f"{reg.url}/v2/demo/hello/manifests/v1",
            headers={"Accept": ACCEPT},
            auth=(reg.username, reg.password),
        )

    assert anonymous.status_code == 401
    assert _challenge(anonymous)["scheme"] == "Basic"
    assert wrong.status_code == 401
    assert good.status_code == 200
    assert manifest.headers["Docker-Content-Digest"] == registry.layout.manifest


@integration
def test_tls_registry_is_untrusted_without_the_test_ca(registry: Registries) -> None:
    with _client() as client, pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        client.get(f"{registry.tls.url}/v2/")


@integration
@pytest.mark.parametrize(
    ("name", "reason"),
    [("tls_wrong_name", "Hostname mismatch"), ("tls_expired", "certificate has expired")],
)
def test_broken_tls_registries_fail_verification_for_their_reason(
    registry: Registries, name: str, reason: str
) -> None:
    reg: RunningRegistry = getattr(registry, name)
    with _client(reg) as client, pytest.raises(httpx.ConnectError, match=reason):
        client.get(f"{reg.url}/v2/")


# -- token auth --------------------------------------------------------------------------------


@pytest.fixture
def token_client(registry: Registries) -> Iterator[httpx.Client]:
    with _client(registry.token) as client:
        yield client


def _token(
    client: httpx.Client,
    registry: Registries,
    scope: str,
    auth: tuple[str, str] | None,
) -> httpx.Response:
    params = {"service": registry.token_server.service, "scope": scope}
    return client.get(f"{registry.token_server.url}/token", params=params, auth=auth)


def _manifest(client: httpx.Client, registry: Registries, repo: str, token: str) -> httpx.Response:
    return client.get(
        f"{registry.token.url}/v2/{repo}/manifests/v1",
        headers={"Accept": ACCEPT, "Authorization": f"Bearer {token}"},
    )


@integration
def test_token_registry_challenges_with_the_token_server_realm(
    registry: Registries, token_client: httpx.Client
) -> None:
    response = token_client.get(f"{registry.token.url}/v2/")

    assert response.status_code == 401
    challenge = _challenge(response)
    assert challenge["scheme"] == "Bearer"
    assert challenge["realm"] == f"{registry.token_server.url}/token"
    assert challenge["service"] == registry.token_server.service


@integration
@pytest.mark.parametrize(
    ("account", "repo", "status"),
    [
        (PULLER, "demo/hello", 200),
        (PULLER, "private/secret", 401),
        (PUSHER, "private/secret", 200),
        (None, "demo/hello", 401),
    ],
)
def test_registry_accepts_a_token_only_for_what_the_account_may_pull(
    registry: Registries,
    token_client: httpx.Client,
    account: Account | None,
    repo: str,
    status: int,
) -> None:
    auth = (account.username, account.password) if account else None
    issued = _token(token_client, registry, f"repository:{repo}:pull", auth)
    pulled = _manifest(token_client, registry, repo, issued.json()["token"])

    assert issued.status_code == 200
    assert pulled.status_code == status
    if status == 401:
        assert _challenge(pulled)["error"] == "insufficient_scope"
    else:
        assert pulled.headers["Docker-Content-Digest"] == registry.layout.manifest


@integration
def test_token_server_rejects_a_wrong_password_and_records_requests(
    registry: Registries, token_client: httpx.Client
) -> None:
    seen = len(registry.token_server.requests)
    wrong = _token(token_client, registry, "repository:demo/hello:pull", ("puller", "WRONG"))
    anonymous = _token(token_client, registry, "repository:demo/hello:pull", None)

    assert wrong.status_code == 401
    assert wrong.json()["errors"][0]["code"] == "UNAUTHORIZED"
    recorded = registry.token_server.requests[seen:]
    assert [(r.status, r.authorization_sent, r.username) for r in recorded] == [
        (401, True, "puller"),
        (200, False, None),
    ]
    assert recorded[1].granted == ()
    assert anonymous.json()["token"]
    assert all("password" not in r.params for r in recorded)


@integration
def test_token_server_speaks_oauth2_password_grant(
    registry: Registries, token_client: httpx.Client
) -> None:
    form = {
        "grant_type": "password",
        "service": registry.token_server.service,
        "client_id": "registry-why-tests",
        "scope": "repository:demo/hello:pull repository:private/secret:pull",
        "username": PULLER.username,
        "password": PULLER.password,
    }
    granted = token_client.post(f"{registry.token_server.url}/token", data=form)
    refused = token_client.post(
        f"{registry.token_server.url}/token", data=form | {"grant_type": "client_credentials"}
    )

    assert granted.status_code == 200
    body = granted.json()
    assert "token" not in body
    assert body["scope"] == "repository:demo/hello:pull"
    assert _manifest(token_client, registry, "demo/hello", body["access_token"]).status_code == 200
    assert (
        _manifest(token_client, registry, "private/secret", body["access_token"]).status_code == 401
    )
    assert refused.status_code == 400


def test_scope_names_may_hold_a_port() -> None:
    assert parse_scope("repository:localhost:5000/demo/hello:pull,push") == (
        "repository",
        "localhost:5000/demo/hello",
        ("pull", "push"),
    )
    assert parse_scope("nonsense") is None


# -- skopeo through the fixtures ---------------------------------------------------------------


@integration
def test_skopeo_pulls_as_puller_but_is_denied_the_private_repo(registry: Registries) -> None:
    seen = len(registry.token_server.requests)
    flags = registry.token.skopeo_flags()
    ok = skopeo("inspect", *flags, "--format", "{{.Digest}}", f"docker://{registry.token.image()}")
    private = registry.token.image("private/secret:v1")
    denied = skopeo("inspect", *flags, f"docker://{private}")

    assert ok.stdout.strip() == registry.layout.manifest
    assert denied.rc == 1
    assert "denied: requested access to the resource is denied\n" in denied.msg
    recorded = registry.token_server.requests[seen:]
    assert recorded
    assert all(r.authorization_sent and r.username == PULLER.username for r in recorded)


@integration
def test_every_registry_holds_the_multi_arch_index(registry: Registries) -> None:
    for reg in registry.all:
        flags = ["--tls-verify=false"]
        if reg.username:
            flags += ["--creds", f"{reg.username}:{reg.password}"]
        raw = skopeo("inspect", "--raw", *flags, f"docker://{reg.image('demo/hello:multi')}")
        assert raw.ok, (reg.name, raw.stderr)
        assert json.loads(raw.stdout)["mediaType"] == INDEX_TYPE


def test_fatal_message_undoes_logrus_quoting() -> None:
    line = 'time="2026-01-01T00:00:00Z" level=fatal msg="a \\"quoted\\" name:\\nnext line"\n'

    assert fatal_message(line) == 'a "quoted" name:\nnext line'
    assert fatal_message("level=fatal msg=bare-word\n") == "bare-word"
    assert fatal_message("no logrus here") == ""


def test_missing_tools_name_their_apt_package(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(MissingTool, match="apt-get install -y apache2-utils"):
        require_tool("htpasswd")
    with pytest.raises(MissingTool, match="apt-get install -y docker-registry"):
        require_tool("docker-registry")


# -- network failure helpers -------------------------------------------------------------------


def test_closed_port_refuses(closed_port: int) -> None:
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", closed_port), timeout=2)


def test_blackhole_accepts_and_never_answers(blackhole: tuple[str, int]) -> None:
    with socket.create_connection(blackhole, timeout=2) as conn:
        conn.sendall(b"GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n")
        conn.settimeout(0.3)
        with pytest.raises(TimeoutError):
            conn.recv(1)


@integration
def test_nxdomain_responder_answers_nxdomain(nxdomain_dns: LoopbackDns) -> None:
    # A minimal query for registry.invalid A IN, id 0x1234, recursion desired.
    qname = b"".join(bytes([len(p)]) + p for p in (b"registry", b"invalid")) + b"\x00"
    query = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + qname + struct.pack(">HH", 1, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(2)
        sock.sendto(query, (nxdomain_dns.address, 53))
        reply = sock.recv(512)

    reply_id, flags = struct.unpack(">HH", reply[:4])
    assert reply_id == 0x1234
    assert flags & 0x8000  # a response
    assert flags & 0x000F == 3  # NXDOMAIN


@integration
def test_skopeo_sees_no_such_host_inside_the_isolated_resolver(nxdomain_dns: LoopbackDns) -> None:
    result = skopeo(
        "inspect", "docker://registry.invalid/demo/hello:v1", timeout=10, prefix=nxdomain_dns.prefix
    )

    assert result.rc == 1
    assert f"lookup registry.invalid on {nxdomain_dns.address}:53: no such host" in result.msg
