"""The package probe's policy: where the credential may go, what is never contacted, what the
registries file accepts, which names reach a URL, and the command line.

Hostile or odd registries are loopback stand-ins (:class:`ScriptedRegistry`); "nothing was
contacted" is proved by a :class:`RecordingListener` that counts every connection.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.probe import ConfigError, ProbeCache, ProbeConfig, Requester, probe_image, probe_package
from bot.probe.package_names import InvalidPackage, package_target, split_spec
from knowledge.reference import parse_reference
from tests.bot.probe.conftest import RESOLVER_BUG, MakeConfig, Scripted, buggy_resolver
from tests.bot.probe.test_package_probe import package_entry
from tests.support.certs import TestPki
from tests.support.probe_servers import Canned, RecordingListener, Route, Seen

ROOT = Path(__file__).resolve().parents[3]
PASSWORD = "s3cret-Pkg-Passw0rd"
BASIC = "Basic " + base64.b64encode(f"bot:{PASSWORD}".encode()).decode()
METADATA = Canned(
    200, {"Content-Type": "application/vnd.npm.install-v1+json"},
    json.dumps({"name": "demo-lib", "dist-tags": {"latest": "1.0.0"},
                "versions": {"1.0.0": {}}}).encode(),
)


def npm_config(make_config: MakeConfig, pki: TestPki, url: str, **extra: str) -> ProbeConfig:
    """``url`` listed as an npm registry trusted through the test CA, with the account ``bot``
    (password :data:`PASSWORD`) for every package."""
    entry = package_entry("npm", url, ca_file=pki.ca_cert, username="bot",
                          channel=extra.get("channel"))
    return make_config(entry, {"PKG_PASSWORD": PASSWORD})


def login_then(answer: Route) -> Route:
    """401 without the right Basic credential, else ``answer``."""
    def route(seen: Seen) -> Canned:
        if seen.headers.get("authorization") != BASIC:
            return Canned(401, {"WWW-Authenticate": 'Basic realm="npm"'}, b"")
        return answer(seen)
    return route


# -- redirects and the credential -------------------------------------------------------------


@pytest.mark.parametrize("elsewhere", ["other-port", "plain-http-same-host"])
async def test_a_redirect_elsewhere_is_not_followed_and_gets_no_credential(
    scripted: Scripted, pki: TestPki, make_config: MakeConfig, recorder: RecordingListener,
    elsewhere: str, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    target = (f"https://127.0.0.1:{recorder.port}/demo-lib" if elsewhere == "other-port"
              else "http://{host}/demo-lib")
    server = scripted(login_then(lambda seen: Canned(302, {"Location": target.format(
        host=seen.headers["host"])})), tls=True)
    url = f"https://{server.host}/"
    config = npm_config(make_config, pki, url)
    result = await probe_package("npm", "demo-lib", registry_url=url,
                                 suspected="package-not-found", config=config)
    assert result.outcome is None
    assert result.verdict == "inconclusive"
    assert any("302 redirect to" in line and "not followed" in line for line in result.evidence)
    assert recorder.connections == 0
    # The registry itself got the credential, on its own origin only, once per pass.
    assert [s.headers.get("authorization") for s in server.requests] == [None, BASIC]
    text = json.dumps([result.evidence, result.verdict_reason]) + caplog.text
    assert PASSWORD not in text
    assert BASIC.split()[1] not in text


async def test_a_redirect_within_the_registry_is_followed_with_the_credential(
    scripted: Scripted, pki: TestPki, make_config: MakeConfig
) -> None:
    def answer(seen: Seen) -> Canned:
        if seen.path == "/npm/demo-lib":
            return Canned(301, {"Location": "/npm-proxy/demo-lib"})
        return METADATA if seen.path == "/npm-proxy/demo-lib" else Canned(404)

    server = scripted(login_then(answer), tls=True)
    url = f"https://{server.host}/npm/"
    result = await probe_package("npm", "demo-lib", version="latest", registry_url=url,
                                 config=npm_config(make_config, pki, url))
    assert (result.outcome, result.tier) == ("ok", "credentialed")
    assert any("redirect within the registry followed" in line for line in result.evidence)
    seen = [(s.path, s.headers.get("authorization")) for s in server.requests]
    assert seen == [("/npm/demo-lib", None), ("/npm/demo-lib", BASIC),
                    ("/npm-proxy/demo-lib", BASIC)]


async def test_a_redirect_loop_ends(
    scripted: Scripted, pki: TestPki, make_config: MakeConfig
) -> None:
    server = scripted(lambda seen: Canned(302, {"Location": seen.path}), tls=True)
    url = f"https://{server.host}/"
    config = make_config(package_entry("npm", url, ca_file=pki.ca_cert))
    result = await probe_package("npm", "demo-lib", registry_url=url, config=config)
    assert result.outcome is None
    assert len(server.requests) == 4


async def test_nuget_registrations_on_another_host_are_not_contacted(
    scripted: Scripted, pki: TestPki, make_config: MakeConfig, recorder: RecordingListener
) -> None:
    index = {"version": "3.0.0", "resources": [
        {"@id": f"https://127.0.0.1:{recorder.port}/reg/", "@type": "RegistrationsBaseUrl/3.6.0"},
    ]}
    server = scripted(login_then(lambda seen: Canned(200, {"Content-Type": "application/json"},
                                                     json.dumps(index).encode())), tls=True)
    url = f"https://{server.host}/v3/index.json"
    config = make_config(package_entry("nuget", url, ca_file=pki.ca_cert, username="bot"),
                         {"PKG_PASSWORD": PASSWORD})
    result = await probe_package("nuget", "Demo.Lib", registry_url=url,
                                 suspected="package-not-found", config=config)
    assert (result.outcome, result.verdict) == (None, "inconclusive")
    assert any("another host, which the probe does not contact" in line
               for line in result.evidence)
    assert recorder.connections == 0


# -- what is never contacted ------------------------------------------------------------------


async def test_an_unlisted_registry_url_is_refused_before_any_connection(
    make_config: MakeConfig, recorder: RecordingListener
) -> None:
    listed = make_config(package_entry("npm", f"http://127.0.0.1:{recorder.port}/npm-group/"))
    for ecosystem, url in (
        ("npm", f"http://127.0.0.1:{recorder.port}/npm-other/"),  # another path
        ("pypi", f"http://127.0.0.1:{recorder.port}/npm-group/"),  # another ecosystem
        ("npm", f"https://127.0.0.1:{recorder.port}/npm-group/"),  # another scheme
        ("npm", "http://user:hunter2@127.0.0.1:1/npm-group/"),
    ):
        result = await probe_package(ecosystem, "demo-lib", registry_url=url,
                                     suspected="package-not-found", config=listed)
        assert result.refused is not None
        assert "not listed" in result.refused
        assert "hunter2" not in json.dumps([result.refused, result.evidence, result.image])
    assert recorder.connections == 0


async def test_a_package_registry_is_never_probed_as_an_image_host(
    make_config: MakeConfig, recorder: RecordingListener
) -> None:
    host = f"127.0.0.1:{recorder.port}"
    config = make_config(package_entry("npm", f"http://{host}/"))
    result = await probe_image(parse_reference(f"{host}/demo/hello:v1"), config=config)
    assert result.refused is not None
    assert recorder.connections == 0


async def test_a_private_address_needs_allow_private(
    make_config: MakeConfig, recorder: RecordingListener
) -> None:
    url = f"http://127.0.0.1:{recorder.port}/"
    config = make_config(f'[[registry]]\necosystem = "pypi"\nurl = "{url}"\n')
    result = await probe_package("pypi", "demo-lib", registry_url=url, config=config)
    assert result.refused is not None
    assert "loopback" in result.refused
    assert recorder.connections == 0


@pytest.mark.parametrize(
    ("ecosystem", "name"),
    [("npm", "../admin"), ("npm", "a/b/c"), ("npm", "@acme/../x"), ("pypi", "-bad"),
     ("pypi", "a b"), ("maven", "org..acme:core"), ("maven", "org.acme:../core"),
     ("maven", "no-colon"), ("nuget", "a/b"), ("cargo", "serde")],
)
async def test_a_name_outside_the_grammar_sends_nothing(
    make_config: MakeConfig, recorder: RecordingListener, ecosystem: str, name: str
) -> None:
    url = f"http://127.0.0.1:{recorder.port}/"
    config = make_config(package_entry(ecosystem if ecosystem != "cargo" else "npm", url))
    with pytest.raises(InvalidPackage):
        package_target(ecosystem, name)
    result = await probe_package(ecosystem, name, registry_url=url, suspected="package-not-found",
                                 config=config)
    assert (result.outcome, result.verdict) == (None, "inconclusive")
    assert recorder.connections == 0


async def test_without_a_registry_url_only_a_sole_listed_registry_is_probed(
    scripted: Scripted, make_config: MakeConfig
) -> None:
    server = scripted(lambda seen: METADATA)
    one = make_config(package_entry("npm", f"http://{server.host}/"))
    result = await probe_package("npm", "demo-lib", config=one)
    assert result.outcome == "ok"
    assert "the only npm registry configured" in result.evidence[0]

    two = make_config(package_entry("npm", f"http://{server.host}/")
                      + package_entry("npm", f"http://{server.host}/other/"))
    refused = await probe_package("npm", "demo-lib", config=two)
    assert refused.refused is not None
    assert "say which one" in refused.refused
    assert len(server.requests) == 1


# -- answers the real test registries do not give --------------------------------------------


async def test_a_json_simple_index(scripted: Scripted, make_config: MakeConfig) -> None:
    # The PEP 691 form: a "files" list, and (API 1.1, PEP 700) a "versions" list.
    index = {"meta": {"api-version": "1.1"}, "name": "demo-lib", "versions": ["1.0", "2.0b1"],
             "files": [{"filename": "demo_lib-1.0-py3-none-any.whl", "url": "x", "hashes": {}}]}
    server = scripted(lambda seen: Canned(
        200, {"Content-Type": "application/vnd.pypi.simple.v1+json"}, json.dumps(index).encode()))
    url = f"http://{server.host}/simple/"
    config = make_config(package_entry("pypi", url))
    for version, outcome in (("1.0.0", "ok"), ("2.0b1", "ok"), ("3.0", "package-not-found")):
        result = await probe_package("pypi", "demo-lib", version=version, registry_url=url,
                                     config=config)
        assert result.outcome == outcome, result.evidence
    assert "a JSON simple index (1 file)" in result.evidence[0]


async def test_npm_metadata_past_the_cap(scripted: Scripted, make_config: MakeConfig) -> None:
    # Each version depends on the last one: a version named as a value proves nothing.
    versions = {f"1.0.{n}": {"dependencies": {"big-lib": "1.0.5999"}, "description": "x" * 200}
                for n in range(6000)}
    body = json.dumps({"name": "big-lib", "versions": versions}).encode()
    assert len(body) > 1 << 20
    server = scripted(lambda seen: Canned(200, {"Content-Type": "application/json"}, body))
    url = f"http://{server.host}/"
    config = make_config(package_entry("npm", url))
    early = await probe_package("npm", "big-lib", version="1.0.7", registry_url=url,
                                config=config)
    assert early.outcome == "ok"
    assert "anonymous: version 1.0.7: listed" in early.evidence
    late = await probe_package("npm", "big-lib", version="1.0.5999", registry_url=url,
                               config=config)
    assert late.outcome == "ok"
    assert any("not checked (the metadata is larger than the cap)" in line
               for line in late.evidence)


# -- status answers, the cache, a bug ---------------------------------------------------------


async def test_a_silent_registry_times_out(
    make_config: MakeConfig, blackhole: tuple[str, int]
) -> None:
    url = f"https://127.0.0.1:{blackhole[1]}/"
    config = make_config(package_entry("npm", url))
    result = await probe_package("npm", "demo-lib", registry_url=url,
                                 suspected="network-timeout", config=config)
    assert (result.outcome, result.verdict) == ("network-timeout", "confirmed")
    assert any("TLS handshake" in line for line in result.evidence)


async def test_a_stall_after_a_first_answer_is_still_a_timeout(
    scripted: Scripted, make_config: MakeConfig
) -> None:
    def route(seen: Seen) -> Canned:
        if seen.path.endswith(".pom"):
            time.sleep(1.5)  # past FAST_LIMITS' one-second read timeout
        return Canned(200, {"Content-Type": "text/xml"})

    server = scripted(route)
    url = f"http://{server.host}/maven2/"
    config = make_config(package_entry("maven", url))
    result = await probe_package("maven", "org.acme:core", version="1.0", registry_url=url,
                                 suspected="network-timeout", config=config)
    assert (result.outcome, result.verdict) == ("network-timeout", "confirmed")
    assert "maven-metadata.xml: 200" in result.evidence[0]


async def test_a_name_that_does_not_resolve(make_config: MakeConfig) -> None:
    async def nxdomain(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    base = make_config(package_entry("maven", "https://maven.corp.example/releases/"))
    config = ProbeConfig(base.registries, base.options, nxdomain, base.packages)
    result = await probe_package("maven", "org.acme:core", suspected="dns-resolution",
                                 registry_url="https://maven.corp.example/releases/",
                                 config=config)
    assert (result.outcome, result.verdict) == ("dns-resolution", "confirmed")
    assert "NXDOMAIN" in result.evidence[0]


async def test_a_typed_secret_is_not_echoed(make_config: MakeConfig) -> None:
    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    config = make_config(package_entry("npm", "https://npm.example.com/"))
    result = await probe_package("npm", f"{token} x", config=config, suspected="auth-required")
    assert token not in json.dumps([result.image, result.package, result.evidence])


@pytest.mark.parametrize(
    ("status", "outcome"), [(429, "rate-limited"), (503, "registry-server-error"),
                            (407, "proxy-error")],
)
async def test_registry_answers_named(
    scripted: Scripted, make_config: MakeConfig, status: int, outcome: str
) -> None:
    server = scripted(lambda seen: Canned(status, {"Retry-After": "30"}))
    url = f"http://{server.host}/simple/"
    config = make_config(package_entry("pypi", url))
    result = await probe_package("pypi", "demo-lib", registry_url=url, suspected=outcome,
                                 config=config)
    assert (result.outcome, result.verdict) == (outcome, "confirmed")


async def test_identical_probes_share_one_request(
    scripted: Scripted, make_config: MakeConfig
) -> None:
    server = scripted(lambda seen: METADATA)
    url = f"http://{server.host}/"
    config = make_config(package_entry("npm", url))
    cache = ProbeCache()
    first = await probe_package("npm", "demo-lib", registry_url=url, config=config, cache=cache,
                                requester=Requester("U1", "C1"))
    again = await probe_package("npm", "demo-lib", registry_url=url + "demo-lib", config=config,
                                cache=cache, requester=Requester("U2", "C1"))
    assert (first.cached, again.cached) == (False, True)
    assert first.evidence == again.evidence
    assert len(server.requests) == 1


async def test_the_per_person_rate_limit_applies(
    scripted: Scripted, make_config: MakeConfig
) -> None:
    server = scripted(lambda seen: METADATA)
    url = f"http://{server.host}/"
    config = make_config("[probe]\nuser_probes_per_hour = 1\n" + package_entry("npm", url))
    cache = ProbeCache()
    asker = Requester("U1", "C1")
    await probe_package("npm", "demo-lib", registry_url=url, config=config, cache=cache,
                        requester=asker)
    second = await probe_package("npm", "other-lib", registry_url=url, config=config,
                                 cache=cache, requester=asker)
    assert second.refused is not None
    assert "probes within an hour" in second.refused
    assert len(server.requests) == 1


async def test_a_bug_in_the_probe_costs_no_answer_and_leaks_nothing(
    make_config: MakeConfig, caplog: pytest.LogCaptureFixture
) -> None:
    base = make_config(package_entry("npm", "https://npm.corp.example/"))
    config = ProbeConfig(base.registries, base.options, buggy_resolver, base.packages)
    result = await probe_package("npm", "demo-lib", registry_url="https://npm.corp.example/",
                                 suspected="auth-required", config=config)
    assert (result.outcome, result.verdict) == (None, "inconclusive")
    assert "RuntimeError" in result.evidence[0]
    assert RESOLVER_BUG not in caplog.text + json.dumps(result.evidence)


# -- the registries file ----------------------------------------------------------------------


def test_package_entries_are_kept_apart_from_image_hosts(make_config: MakeConfig) -> None:
    config = make_config(
        '[[registry]]\nhost = "nexus.example.com"\n'
        + package_entry("npm", "https://nexus.example.com/repository/npm-group/")
        + package_entry("maven", "https://nexus.example.com/repository/maven-public")
    )
    assert set(config.registries) >= {"nexus.example.com"}
    assert config.registries["nexus.example.com"].ecosystem == "oci"
    npm, maven = config.packages
    assert (npm.ecosystem, npm.root, npm.endpoint.port) == ("npm", "/repository/npm-group", 443)
    assert (maven.ecosystem, maven.root) == ("maven", "/repository/maven-public")


def test_package_scopes_take_package_names(make_config: MakeConfig) -> None:
    entry = package_entry("npm", "https://npm.example.com/", username="bot",
                          scopes='["@acme/*", "org.acme:*"]')
    config = make_config(entry, {"PKG_PASSWORD": PASSWORD})
    assert config.packages[0].in_scope("@acme/ui")
    assert not config.packages[0].in_scope("@other/ui")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('ecosystem = "npm"\nhost = "npm.example.com"\n', "needs url"),
        ('url = "https://npm.example.com/"\n', "url is for package registries"),
        ('ecosystem = "npm"\nurl = "ftp://npm.example.com/"\n', "https:// or http://"),
        ('ecosystem = "npm"\nurl = "https://npm.example.com/?a=b"\n', "no query"),
        ('ecosystem = "npm"\nurl = "https://npm.example.com/"\nhost = "other.example.com"\n',
         "host must match url"),
        ('ecosystem = "npm"\nurl = "https://npm.example.com/"\nrealm_hosts = ["a.example"]\n',
         "for OCI registries only"),
        ('ecosystem = "helm"\nurl = "https://charts.example.com/"\n', "ecosystem"),
        ('ecosystem = "npm"\nurl = "http://npm.example.com/"\nusername = "bot"\n'
         'password_env = "PKG_PASSWORD"\nprobe_scopes = ["*"]\n', "only ever sent over HTTPS"),
    ],
)
def test_bad_package_entries_are_named(
    make_config: MakeConfig, table: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        make_config(f"[[registry]]\n{table}", {"PKG_PASSWORD": PASSWORD})


def test_a_password_in_the_url_is_refused_and_not_repeated(make_config: MakeConfig) -> None:
    with pytest.raises(ConfigError) as raised:
        make_config(f'[[registry]]\necosystem = "npm"\nurl = "https://bot:{PASSWORD}'
                    '@npm.example.com/"\n')
    assert PASSWORD not in str(raised.value)
    assert "must not hold a user or password" in str(raised.value)


def test_the_same_url_listed_twice_is_refused(make_config: MakeConfig) -> None:
    entry = package_entry("npm", "https://npm.example.com/")
    with pytest.raises(ConfigError, match="listed twice"):
        make_config(entry + entry)


# -- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ecosystem", "spec", "name", "version", "key"),
    [
        ("npm", "@acme/ui@1.2.0", "@acme/ui", "1.2.0", "@acme/ui"),
        ("npm", "@acme/ui", "@acme/ui", None, "@acme/ui"),
        ("pypi", "Django_REST.framework==3.15", "Django_REST.framework", "3.15",
         "django-rest-framework"),
        ("maven", "org.acme:core:1.0", "org.acme:core", "1.0", "org.acme:core"),
        ("maven", "org.acme:core@1.0", "org.acme:core", "1.0", "org.acme:core"),
        ("nuget", "Newtonsoft.Json@13.0.1", "Newtonsoft.Json", "13.0.1", "newtonsoft.json"),
    ],
)
def test_specs_split_and_normalise(
    ecosystem: str, spec: str, name: str, version: str | None, key: str
) -> None:
    assert split_spec(ecosystem, spec) == (name, version)
    target = package_target(ecosystem, name, version)
    assert (target.key, target.version) == (key, version)


def test_a_version_range_is_kept_aside() -> None:
    target = package_target("npm", "left-pad", "^1.2.0")
    assert (target.version, target.unchecked) == (None, "^1.2.0")


# -- the command line -------------------------------------------------------------------------


def cli(*args: str, registries: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REGISTRY_WHY_REGISTRIES": str(registries), "PKG_PASSWORD": PASSWORD}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=60, check=False, env=env)


def test_cli_probes_a_package(scripted: Scripted, pki: TestPki, tmp_path: Path) -> None:
    server = scripted(login_then(lambda seen: METADATA), tls=True)
    url = f"https://{server.host}/"
    registries = tmp_path / "registries.toml"
    registries.write_text(package_entry("npm", url, ca_file=pki.ca_cert, username="bot"))

    done = cli("probe", "--ecosystem", "npm", "--registry", url, "--json", "demo-lib@1.0.0",
               registries=registries)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["outcome"], data["tier"]) == ("ok", "credentialed")
    assert (data["ecosystem"], data["package"], data["registry"]) == ("npm", "demo-lib@1.0.0", url)

    text = cli("probe", "--ecosystem", "npm", "--registry", url, "demo-lib@2.0.0",
               registries=registries)
    assert text.returncode == 0, text.stderr
    assert "Outcome from here: package-not-found" in text.stdout
    assert "version 2.0.0: not listed" in text.stdout
    assert PASSWORD not in done.stdout + done.stderr + text.stdout + text.stderr


def test_cli_refuses_what_it_cannot_probe(tmp_path: Path) -> None:
    registries = tmp_path / "registries.toml"
    registries.write_text(package_entry("npm", "https://npm.example.com/"))
    unlisted = cli("probe", "--ecosystem", "npm", "--registry", "https://other.example.com/",
                   "demo-lib", registries=registries)
    assert unlisted.returncode == 4
    assert "not listed" in unlisted.stdout

    bad = cli("probe", "--ecosystem", "maven", "no-colon", registries=registries)
    assert bad.returncode == 2
    assert "not a valid maven package name" in bad.stderr

    typed = cli("probe", "--ecosystem", "npm", "--registry",
                f"https://bot:{PASSWORD}@npm.example.com/", "demo-lib", registries=registries)
    assert typed.returncode == 2
    assert PASSWORD not in typed.stdout + typed.stderr
    assert "rotate it" in typed.stderr

    image_only = cli("probe", "--registry", "https://npm.example.com/", "demo-lib",
                     registries=registries)
    assert image_only.returncode == 2
    assert "add --ecosystem" in image_only.stderr
