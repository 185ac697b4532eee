"""What a real registry cannot be made to do, played by loopback stand-ins.

Rate limiting with Docker Hub's headers, server errors, web pages and login redirects where
the API should be, a proxy asking for credentials, oversized answers, and hostile registries
that point their token realm or a redirect somewhere the bot must not go.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest

from bot.probe import ProbeConfig, ProbeResult, Requester, probe_image, to_json
from knowledge.loader import knowledge_base
from knowledge.reference import parse_reference
from tests.bot.probe.conftest import MakeConfig, Scripted
from tests.support.certs import TestPki
from tests.support.probe_servers import (
    REGISTRY_HEADERS,
    Canned,
    RecordingListener,
    Route,
    ScriptedRegistry,
    Seen,
    json_error,
    open_registry,
)
from tests.support.registries_toml import loopback_entry

MANIFEST = "/v2/demo/hello/manifests/v1"
TAGS = "/v2/demo/hello/tags/list"
OCI_OK = Canned(
    200,
    {
        **REGISTRY_HEADERS,
        "Content-Type": "application/vnd.docker.distribution.manifest.v2+json",
        "Docker-Content-Digest": "sha256:" + "ab" * 32,
    },
)


def listed(server: ScriptedRegistry, *, extra: str = "") -> str:
    return loopback_entry(server.host, extra=extra)


LogIn = Callable[..., ProbeConfig]


@pytest.fixture
def log_in(make_config: MakeConfig, pki: TestPki) -> LogIn:
    """A config listing a TLS stand-in (trusted through the test CA) with the account ``bot``,
    its password ``password``, probing every repository; ``extra`` adds lines to its table."""

    def make(server: ScriptedRegistry, *, password: str = "pw", extra: str = "") -> ProbeConfig:
        login = (
            f'ca_file = "{pki.ca_cert}"\nusername = "bot"\npassword_env = "PW"\n'
            f'probe_scopes = ["*"]\n{extra}'
        )
        return make_config(
            loopback_entry(server.host, scheme="https", extra=login), {"PW": password}
        )

    return make


async def probe(
    config: ProbeConfig, server: ScriptedRegistry, suspected: str | None
) -> ProbeResult:
    image = parse_reference(f"{server.host}/demo/hello:v1")
    return await probe_image(image, suspected=suspected, config=config)


# -- rate limits ------------------------------------------------------------------------------

HUB_LIMITED = json_error(
    429,
    "TOOMANYREQUESTS",
    "You have reached your pull rate limit.",
    **{
        "ratelimit-limit": "100;w=21600",
        "ratelimit-remaining": "0;w=21600",
        "docker-ratelimit-source": "198.51.100.23",
        "Retry-After": "3600",
    },
)


async def test_429_with_docker_hub_headers(scripted: Scripted, make_config: MakeConfig) -> None:
    server = scripted(open_registry({("HEAD", MANIFEST): HUB_LIMITED}))
    result = await probe(make_config(listed(server)), server, "rate-limited")
    assert (result.outcome, result.verdict) == ("rate-limited", "confirmed")
    evidence = " | ".join(result.evidence)
    assert "0 of 100 pulls left per 6 h" in evidence
    assert "not yours" in evidence
    assert "Retry-After 3600" in evidence
    # The bot's egress address (docker-ratelimit-source) is never shown.
    assert "198.51.100.23" not in json.dumps(to_json(result))
    assert "ratelimit-source" not in json.dumps(to_json(result))


async def test_quota_left_is_the_bots_not_the_users(
    scripted: Scripted, make_config: MakeConfig
) -> None:
    headers = {**OCI_OK.headers, "ratelimit-limit": "100;w=21600", "ratelimit-remaining": "76"}
    server = scripted(open_registry({("HEAD", MANIFEST): Canned(200, headers)}))
    result = await probe(make_config(listed(server)), server, "rate-limited")
    assert (result.outcome, result.verdict) == ("ok", "inconclusive")
    assert "76 of 100" in (result.verdict_reason or "")
    assert "bot's quota" in (result.verdict_reason or "")


async def test_docker_hub_rate_limit_gives_the_self_check_command() -> None:
    config = ProbeConfig(registries={})
    result = await probe_image(
        parse_reference("nginx:1.27"), suspected="rate-limited", config=config
    )
    assert result.refused is not None
    (command,) = result.next_steps
    assert "ratelimitpreview/test" in command
    assert "--head" in command


async def test_the_self_check_command_is_the_knowledge_bases() -> None:
    # One source for the advice: a better command in the entry reaches the probe's answer too.
    result = await probe_image(
        parse_reference("nginx:1.27"), suspected="rate-limited", config=ProbeConfig(registries={})
    )
    entry_commands = [c for step in knowledge_base()["rate-limited"].steps.check
                      for c in step.commands]
    (command,) = result.next_steps
    assert [c for c in entry_commands if c in command] == command.split(" && ")


# -- server errors, non-registries, proxies ---------------------------------------------------


async def test_5xx_on_the_api_root(scripted: Scripted, make_config: MakeConfig) -> None:
    server = scripted(open_registry({("GET", "/v2/"): json_error(503, "UNAVAILABLE", "down")}))
    result = await probe(make_config(listed(server)), server, "registry-server-error")
    assert (result.outcome, result.verdict) == ("registry-server-error", "confirmed")
    assert any("503" in line and "UNAVAILABLE" in line for line in result.evidence)


async def test_5xx_on_the_manifest(scripted: Scripted, make_config: MakeConfig) -> None:
    server = scripted(open_registry({("HEAD", MANIFEST): Canned(502, {}, b"")}))
    result = await probe(make_config(listed(server)), server, "registry-server-error")
    assert (result.outcome, result.verdict) == ("registry-server-error", "confirmed")
    mismatched = await probe(make_config(listed(server)), server, "manifest-unknown")
    assert mismatched.verdict == "inconclusive"


async def test_healthy_registry_refutes_a_5xx(scripted: Scripted, make_config: MakeConfig) -> None:
    server = scripted(open_registry({("HEAD", MANIFEST): OCI_OK}))
    result = await probe(make_config(listed(server)), server, "registry-server-error")
    assert (result.outcome, result.verdict) == ("ok", "refuted")


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (
            Canned(200, {"Content-Type": "text/html"}, b"<!doctype html><h1>Welcome</h1>"),
            "web page",
        ),
        (Canned(404, {"Content-Type": "text/plain"}, b"404 page not found"), "404"),
        (
            Canned(302, {"Location": "https://sso.example.com/login?next=/v2/"}),
            "sso.example.com/login",
        ),
    ],
)
async def test_not_a_registry(
    scripted: Scripted, make_config: MakeConfig, answer: Canned, said: str
) -> None:
    server = scripted(open_registry({("GET", "/v2/"): answer}))
    result = await probe(make_config(listed(server)), server, "not-a-registry")
    assert (result.outcome, result.verdict) == ("not-a-registry", "confirmed")
    assert said in " ".join(result.evidence)
    assert [s.path for s in server.requests] == ["/v2/"]


async def test_a_proxy_asking_for_credentials(scripted: Scripted, make_config: MakeConfig) -> None:
    answer = Canned(407, {"Proxy-Authenticate": 'Basic realm="corp-proxy"'})
    server = scripted(open_registry({("GET", "/v2/"): answer}))
    result = await probe(make_config(listed(server)), server, "proxy-error")
    assert (result.outcome, result.verdict) == ("proxy-error", "confirmed")


async def test_proxy_environment_variables_are_ignored(
    scripted: Scripted,
    make_config: MakeConfig,
    recorder: RecordingListener,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proxy = f"http://127.0.0.1:{recorder.port}"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, proxy)
    monkeypatch.delenv("NO_PROXY", raising=False)
    server = scripted(open_registry({("HEAD", MANIFEST): OCI_OK}))
    result = await probe(make_config(listed(server)), server, None)
    assert result.outcome == "ok"
    assert recorder.connections == 0


# -- bounded answers --------------------------------------------------------------------------


async def test_oversized_token_answer_is_cut_at_the_cap(
    scripted: Scripted, make_config: MakeConfig
) -> None:
    def route(seen: Seen) -> Canned:
        if seen.path.startswith("/token"):
            return Canned(200, {"Content-Type": "application/json"}, b"[" + b"0," * 1_000_000)
        return open_registry({("GET", "/v2/"): challenge})(seen)

    server = scripted(route)
    challenge = Canned(
        401,
        {**REGISTRY_HEADERS, "WWW-Authenticate": f'Bearer realm="http://{server.host}/token"'},
    )
    result = await probe(make_config(listed(server)), server, None)
    assert result.outcome is None
    assert any("over the size cap" in line for line in result.evidence)
    assert result.elapsed_ms < 2000


async def test_oversized_page_on_the_api_root(scripted: Scripted, make_config: MakeConfig) -> None:
    page = Canned(200, {"Content-Type": "text/html"}, b"<html>" + b"x" * 5_000_000)
    server = scripted(open_registry({("GET", "/v2/"): page}))
    result = await probe(make_config(listed(server)), server, None)
    assert result.outcome == "not-a-registry"
    assert result.elapsed_ms < 2000


# -- authentication flows a stand-in shows best ------------------------------------------------


def token_registry(host_holder: list[str], *, head: Canned, post_status: int = 200) -> Route:
    """A registry whose realm is itself: an anonymous token may pull nothing, and a token
    issued to a credential gets ``head`` as the manifest answer."""

    def route(seen: Seen) -> Canned:
        path = seen.path.partition("?")[0]
        realm = f'Bearer realm="https://{host_holder[0]}/token",service="stand-in"'
        if path == "/token":
            if seen.method == "POST" and post_status != 200:
                return Canned(post_status, {}, b"")
            authenticated = seen.method == "POST" or "authorization" in seen.headers
            token = b"tok-1" if authenticated else b"anon-tok"
            return Canned(
                200, {"Content-Type": "application/json"}, b'{"access_token": "%s"}' % token
            )
        auth = seen.headers.get("authorization")
        if auth == "Bearer anon-tok" and path != "/v2/":
            scoped = f'{realm},error="insufficient_scope"'
            return json_error(
                401, "UNAUTHORIZED", "authentication required", **{"WWW-Authenticate": scoped}
            )
        if auth not in ("Bearer tok-1", "Bearer anon-tok"):
            return json_error(
                401, "UNAUTHORIZED", "authentication required", **{"WWW-Authenticate": realm}
            )
        if path == "/v2/":
            return Canned(200, REGISTRY_HEADERS, b"{}")
        return head

    return route


async def test_invalid_token_means_the_credential_is_rejected(
    scripted: Scripted, log_in: LogIn
) -> None:
    host: list[str] = []
    rejected = json_error(
        401,
        "UNAUTHORIZED",
        "authentication required",
        **{"WWW-Authenticate": 'Bearer realm="x",error="invalid_token"'},
    )
    server = scripted(token_registry(host, head=rejected), tls=True)
    host.append(server.host)
    result = await probe(log_in(server), server, "auth-invalid-credentials")
    assert (result.outcome, result.verdict) == ("auth-invalid-credentials", "confirmed")
    # access_token (not token) was accepted, and the token went only to the registry itself.
    assert any(s.headers.get("authorization") == "Bearer tok-1" for s in server.requests)


async def test_oauth2_post_falls_back_to_get(scripted: Scripted, log_in: LogIn) -> None:
    host: list[str] = []
    server = scripted(token_registry(host, head=OCI_OK, post_status=404), tls=True)
    host.append(server.host)
    result = await probe(log_in(server, extra='oauth2 = "password"\n'), server, None)
    token_calls = [
        (s.method, "authorization" in s.headers) for s in server.requests if "/token" in s.path
    ]
    assert (result.outcome, result.tier) == ("ok", "credentialed")
    # Anonymous GET first; then the OAuth2 POST, which this server lacks (404), so GET again.
    assert token_calls == [("GET", False), ("POST", False), ("GET", True)]


async def test_open_api_root_with_a_protected_repository(
    scripted: Scripted, make_config: MakeConfig
) -> None:
    # GET /v2/ is open, but the repository answers 401 with its own challenge: answer it once.
    def route(seen: Seen) -> Canned:
        path = seen.path.partition("?")[0]
        if path == "/v2/":
            return Canned(200, REGISTRY_HEADERS, b"{}")
        if path == "/token":
            return Canned(200, {}, b'{"token": "anon-token"}')
        if seen.headers.get("authorization") == "Bearer anon-token":
            return OCI_OK
        realm = f'Bearer realm="http://{server.host}/token",service="s"'
        return json_error(401, "UNAUTHORIZED", "auth", **{"WWW-Authenticate": realm})

    server = scripted(route)
    result = await probe(make_config(listed(server)), server, "auth-required")
    assert (result.outcome, result.verdict) == ("ok", "refuted")


# -- hostile registries -----------------------------------------------------------------------


Hostile = Callable[..., ScriptedRegistry]


@pytest.fixture
def hostile(scripted: Scripted) -> Hostile:
    """Start a stand-in (HTTPS unless ``tls=False``) answering every request with a 401 whose
    challenge is ``realm``."""

    def start(realm: str, *, tls: bool = True) -> ScriptedRegistry:
        def route(seen: Seen) -> Canned:
            return json_error(
                401, "UNAUTHORIZED", "authentication required", **{"WWW-Authenticate": realm}
            )

        return scripted(route, tls=tls)

    return start


@pytest.mark.parametrize("scheme", ["https", "http"])
async def test_realm_on_another_host_gets_nothing(
    hostile: Hostile, log_in: LogIn, recorder: RecordingListener, scheme: str
) -> None:
    realm = f'Bearer realm="{scheme}://127.0.0.1:{recorder.port}/token",service="evil"'
    server = hostile(realm)
    config = log_in(server, password="the-operators-secret")
    result = await probe(config, server, "auth-required")
    assert recorder.connections == 0
    assert result.outcome is None
    assert result.verdict == "inconclusive"
    assert any("not one of its listed realm_hosts" in line for line in result.evidence)
    assert "the-operators-secret" not in json.dumps(to_json(result))


async def test_listed_realm_over_plain_http_never_gets_the_credential(
    hostile: Hostile, log_in: LogIn, recorder: RecordingListener
) -> None:
    realm = f'Bearer realm="http://127.0.0.1:{recorder.port}/token",service="evil"'
    server = hostile(realm)
    config = log_in(
        server,
        password="the-operators-secret",
        extra=f'realm_hosts = ["127.0.0.1:{recorder.port}"]\n',
    )
    result = await probe(config, server, None)
    assert recorder.connections == 0
    assert any("plain HTTP" in line for line in result.evidence)


async def test_anonymous_token_from_a_listed_http_realm_carries_no_credential(
    hostile: Hostile, make_config: MakeConfig, recorder: RecordingListener
) -> None:
    realm = f'Bearer realm="http://127.0.0.1:{recorder.port}/token",service="s"'
    server = hostile(realm, tls=False)
    config = make_config(listed(server, extra=f'realm_hosts = ["127.0.0.1:{recorder.port}"]\n'))
    await probe(config, server, None)
    (request,) = recorder.received
    assert request.startswith(b"GET /token?service=s&scope=repository%3Ademo%2Fhello%3Apull")
    assert b"authorization" not in request.lower()


async def test_basic_realm_is_a_label_not_a_url(
    hostile: Hostile, log_in: LogIn, recorder: RecordingListener
) -> None:
    realm = f'Basic realm="https://127.0.0.1:{recorder.port}/"'
    server = hostile(realm)
    result = await probe(log_in(server), server, "auth-invalid-credentials")
    assert recorder.connections == 0
    assert result.outcome == "auth-invalid-credentials"
    # The credential went to the registry itself, over TLS.
    assert any(s.headers.get("authorization", "").startswith("Basic ") for s in server.requests)


async def test_redirect_to_the_metadata_address_is_reported_not_followed(
    scripted: Scripted, make_config: MakeConfig
) -> None:
    to_metadata = Canned(302, {"Location": "http://169.254.169.254/latest/meta-data/iam/"})
    server = scripted(open_registry({("GET", "/v2/"): to_metadata}))
    result = await probe(make_config(listed(server)), server, None)
    assert result.outcome == "not-a-registry"
    assert any("cloud metadata address" in line for line in result.evidence)
    assert "169.254" not in json.dumps(to_json(result))


async def test_manifest_redirect_is_not_followed(
    scripted: Scripted, make_config: MakeConfig, recorder: RecordingListener
) -> None:
    away = Canned(307, {"Location": f"http://127.0.0.1:{recorder.port}/steal"})
    server = scripted(open_registry({("HEAD", MANIFEST): away}))
    # Even a listed, allowed host is not followed to.
    config = make_config(listed(server) + "\n" + loopback_entry(f"127.0.0.1:{recorder.port}"))
    result = await probe(config, server, None)
    assert recorder.connections == 0
    assert result.outcome is None
    assert any("not followed" in line for line in result.evidence)


# -- malformed answers ------------------------------------------------------------------------

DEEP_JSON = b"[" * 60_000
"""JSON nested deeper than Python's parser can recurse."""
HUGE_NUMBER = "9" * 5000
"""More digits than Python turns into an int by default."""


def token_answer(host_holder: list[str], answer: Canned, *, realm_query: str = "") -> Route:
    """A plain-HTTP registry whose Bearer realm is itself (``/token`` and ``realm_query``);
    token requests get ``answer``, manifest requests an image."""

    def route(seen: Seen) -> Canned:
        path = seen.path.partition("?")[0]
        if path == "/token":
            return answer
        if path == "/v2/":
            realm = f'Bearer realm="http://{host_holder[0]}/token{realm_query}",service="s"'
            return json_error(401, "UNAUTHORIZED", "auth", **{"WWW-Authenticate": realm})
        return OCI_OK

    return route


async def test_deeply_nested_json_in_an_error_is_not_read(
    scripted: Scripted, make_config: MakeConfig
) -> None:
    answer = Canned(500, {"Content-Type": "application/json"}, DEEP_JSON)
    server = scripted(open_registry({("GET", "/v2/"): answer}))
    result = await probe(make_config(listed(server)), server, "registry-server-error")
    assert (result.outcome, result.verdict) == ("registry-server-error", "confirmed")
    assert "GET /v2/ answered 500" in result.evidence


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (DEEP_JSON, "200 without a readable token"),
        (b'{"token": "abcdefgh", "expires_in": %s}' % HUGE_NUMBER.encode(), "readable token"),
        ('{"token": "abc\u00e9def"}'.encode(), "a token that is not printable ASCII"),
    ],
    ids=["deeply nested", "huge expires_in", "non-ASCII token"],
)
async def test_a_malformed_token_answer_is_reported_and_nothing_sent_with_it(
    scripted: Scripted, make_config: MakeConfig, body: bytes, said: str
) -> None:
    host: list[str] = []
    server = scripted(token_answer(host, Canned(200, {"Content-Type": "application/json"}, body)))
    host.append(server.host)
    result = await probe(make_config(listed(server)), server, "auth-required")
    assert (result.outcome, result.verdict) == (None, "inconclusive")
    assert any(said in line for line in result.evidence), result.evidence
    assert not [s for s in server.requests if "/manifests/" in s.path]


async def test_an_absurd_rate_limit_header_is_ignored(
    scripted: Scripted, make_config: MakeConfig
) -> None:
    headers = {**OCI_OK.headers, "ratelimit-limit": HUGE_NUMBER, "ratelimit-remaining": "76"}
    server = scripted(open_registry({("HEAD", MANIFEST): Canned(200, headers)}))
    result = await probe(make_config(listed(server)), server, None)
    assert result.outcome == "ok"
    assert not any("rate limit" in line for line in result.evidence)


async def test_an_unparseable_redirect_is_reported(
    scripted: Scripted, make_config: MakeConfig
) -> None:
    server = scripted(open_registry({("GET", "/v2/"): Canned(302, {"Location": "https://[evil/x"})}))
    result = await probe(make_config(listed(server)), server, "not-a-registry")
    assert (result.outcome, result.verdict) == ("not-a-registry", "confirmed")
    assert any("an unparseable Location" in line for line in result.evidence)


async def test_the_realms_own_query_is_kept(scripted: Scripted, make_config: MakeConfig) -> None:
    # Some token services name a tenant or project in the realm's own query string.
    host: list[str] = []
    token = Canned(200, {}, b'{"token": "anon-token"}')
    server = scripted(token_answer(host, token, realm_query="?tenant=acme"))
    host.append(server.host)
    await probe(make_config(listed(server)), server, None)
    [asked] = [s.path for s in server.requests if s.path.startswith("/token")]
    assert asked == (
        "/token?tenant=acme&service=s&scope=repository%3Ademo%2Fhello%3Apull&client_id=registry-why"
    )


@pytest.mark.parametrize(
    ("asker", "shows_the_pass"),
    [(None, True), (Requester("U1", "CRANDOM"), False)],
    ids=["from the CLI", "withheld credential"],
)
async def test_a_probe_out_of_time_keeps_what_it_saw(
    scripted: Scripted, log_in: LogIn, asker: Requester | None, shows_the_pass: bool
) -> None:
    host: list[str] = []

    def route(seen: Seen) -> Canned:
        path = seen.path.partition("?")[0]
        if path == "/token":
            return Canned(200, {}, b'{"token": "anon-token"}')
        if path == "/v2/":
            realm = f'Bearer realm="https://{host[0]}/token",service="s"'
            return json_error(401, "UNAUTHORIZED", "auth", **{"WWW-Authenticate": realm})
        time.sleep(1.5)  # the manifest's answer comes after the probe's total time
        return OCI_OK

    server = scripted(route, tls=True)
    host.append(server.host)
    config = log_in(server)
    config = ProbeConfig(
        config.registries, config.options.model_copy(update={"total_timeout": 0.5}), config.resolver
    )
    result = await probe_image(
        parse_reference(f"{server.host}/demo/hello:v1"), requester=asker, config=config
    )
    assert result.outcome == "network-timeout"
    assert result.evidence[0].startswith("GET /v2/: 401, token authentication")
    assert result.evidence[-1] == "the probe did not finish within 0.5s"
    issued = any("issued a token" in line for line in result.evidence)
    # A withheld credential merges "missing" and "denied": no pass detail may tell them apart.
    assert issued is shows_the_pass
