"""The package probe against real registries in real conditions: Verdaccio (npm), pypiserver
(PyPI simple API), a static Maven layout and a static NuGet v3 layout over HTTPS.

Each test sets a condition up for real (no credential for a private package, a wrong password,
a missing package, a web page where the API should be, an untrusted certificate, a closed
port), probes it, and checks the outcome and the verdict on the class a paste would suggest.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.probe import PackageProbeResult, ProbeConfig, Requester, probe_package
from tests.bot.probe.conftest import MakeConfig
from tests.support.certs import TestPki
from tests.support.package_registries import (
    MAVEN_GROUP,
    MAVEN_PARENT,
    MAVEN_VERSION,
    PACKAGE,
    VERSION,
    Account,
    RunningMavenRepository,
    RunningPypiServers,
    RunningVerdaccio,
    SideServers,
    new_account,
    static_repository_route,
    write_maven_layout,
)
from tests.support.probe_servers import Canned, ScriptedRegistry, Seen

pytestmark = pytest.mark.integration

DEMO = f"{MAVEN_GROUP}:{MAVEN_PARENT}"
NUGET_ID = "Demo.Lib"
NUGET_VERSIONS = ("1.0.0", "2.1.0-beta.1")
PAGED_ID = "Paged.Lib"
PAGED_PAGES = (("1.0.0", "1.5.0"), ("2.0.0-rc.1", "2.0.0"))


def package_entry(
    ecosystem: str, url: str, *, ca_file: Path | None = None, username: str | None = None,
    scopes: str = '["*"]', channel: str | None = None,
) -> str:
    """A ``[[registry]]`` table for a loopback package registry; with ``username`` its password
    is in the environment variable ``PKG_PASSWORD``."""
    lines = [
        "[[registry]]",
        f'ecosystem = "{ecosystem}"',
        f'url = "{url}"',
        "allow_private = true",
    ]
    if ca_file is not None:
        lines.append(f'ca_file = "{ca_file}"')
    if username is not None:
        lines += [f'username = "{username}"', 'password_env = "PKG_PASSWORD"',
                  f"probe_scopes = {scopes}"]
    if channel is not None:
        lines.append(f'allowed_channels = ["{channel}"]')
    return "\n".join(lines) + "\n"


def configured(
    make_config: MakeConfig, ecosystem: str, url: str, *, ca_file: Path | None = None,
    account: Account | None = None, password: str | None = None, channel: str | None = None,
) -> ProbeConfig:
    """A configuration listing one package registry (with ``account``'s login, its password
    replaced by ``password`` when given)."""
    entry = package_entry(ecosystem, url, ca_file=ca_file,
                          username=account.username if account else None, channel=channel)
    env = {"PKG_PASSWORD": password or account.password} if account else {}
    return make_config(entry, env)


def assert_clean(result: PackageProbeResult, *secrets: str) -> None:
    """No evidence line shows a loopback address or a secret."""
    text = json.dumps([result.evidence, result.verdict_reason, result.refused])
    assert "127.0.0.1" not in text
    for secret in secrets:
        assert secret not in text
        assert base64.b64encode(secret.encode()).decode()[:16] not in text


def evidence(result: PackageProbeResult) -> str:
    return "\n".join(result.evidence)


# -- npm (Verdaccio) --------------------------------------------------------------------------


async def test_npm_public_package_and_version(
    verdaccio: RunningVerdaccio, make_config: MakeConfig
) -> None:
    config = configured(make_config, "npm", verdaccio.url, ca_file=verdaccio.ca_file)
    result = await probe_package("npm", PACKAGE, version=VERSION, registry_url=verdaccio.url,
                                 config=config)
    assert (result.outcome, result.tier, result.ephemeral) == ("ok", "anonymous", False)
    assert f"version {VERSION}: listed" in evidence(result)
    assert result.package == f"{PACKAGE}@{VERSION}"
    assert result.registry == verdaccio.url

    missing = await probe_package("npm", PACKAGE, version="9.9.9", registry_url=verdaccio.url,
                                  suspected="package-not-found", config=config)
    assert (missing.outcome, missing.verdict) == ("package-not-found", "confirmed")
    assert "version 9.9.9 does not" in (missing.verdict_reason or "")
    assert_clean(missing)


async def test_npm_missing_package(verdaccio: RunningVerdaccio, make_config: MakeConfig) -> None:
    config = configured(make_config, "npm", verdaccio.url, ca_file=verdaccio.ca_file)
    # A metadata URL from the paste, under the listed registry, picks that registry.
    result = await probe_package("npm", "no-such-lib", registry_url=f"{verdaccio.url}no-such-lib",
                                 suspected="package-not-found", config=config)
    assert (result.outcome, result.verdict) == ("package-not-found", "confirmed")
    assert "GET /no-such-lib: 404" in evidence(result)

    blamed_login = await probe_package("npm", "no-such-lib", registry_url=verdaccio.url,
                                       suspected="auth-required", config=config)
    assert blamed_login.verdict == "inconclusive"
    assert "hide private packages" in (blamed_login.verdict_reason or "")


async def test_npm_private_package_without_a_credential(
    verdaccio: RunningVerdaccio, make_config: MakeConfig
) -> None:
    config = configured(make_config, "npm", verdaccio.url, ca_file=verdaccio.ca_file)
    result = await probe_package("npm", "private-lib", registry_url=verdaccio.url,
                                 suspected="auth-required", config=config)
    assert (result.outcome, result.verdict) == ("auth-required", "confirmed")
    assert "GET /private-lib: 401" in evidence(result)

    blamed_name = await probe_package("npm", "private-lib", registry_url=verdaccio.url,
                                      suspected="package-not-found", config=config)
    assert blamed_name.verdict == "inconclusive"


async def test_npm_private_package_with_the_operators_credential(
    verdaccio: RunningVerdaccio, make_config: MakeConfig
) -> None:
    config = configured(make_config, "npm", verdaccio.url, ca_file=verdaccio.ca_file,
                        account=verdaccio.publisher)
    result = await probe_package("npm", "private-lib", version=VERSION,
                                 registry_url=verdaccio.url, suspected="auth-required",
                                 config=config)
    assert (result.outcome, result.verdict, result.tier) == ("ok", "confirmed", "credentialed")
    assert result.ephemeral
    assert "log in first" in (result.verdict_reason or "")
    assert_clean(result, verdaccio.publisher.password)


async def test_npm_token_sent_as_a_bearer(verdaccio: RunningVerdaccio,
                                          make_config: MakeConfig) -> None:
    # An npm automation token has no username: the registries file says authorization = "bearer".
    token = verdaccio.tokens[verdaccio.publisher.username]
    entry = package_entry("npm", verdaccio.url, ca_file=verdaccio.ca_file).replace(
        "allow_private = true", 'allow_private = true\nauthorization = "bearer"\n'
        'password_env = "PKG_TOKEN"\nprobe_scopes = ["*"]')
    config = make_config(entry, {"PKG_TOKEN": token})
    result = await probe_package("npm", "private-lib", version=VERSION,
                                 registry_url=verdaccio.url, suspected="auth-required",
                                 config=config)
    assert (result.outcome, result.tier) == ("ok", "credentialed")
    assert_clean(result, token)
    wrong = make_config(entry, {"PKG_TOKEN": token[::-1]})
    rejected = await probe_package("npm", "private-lib", registry_url=verdaccio.url,
                                   suspected="auth-invalid-credentials", config=wrong)
    assert rejected.outcome in {"auth-invalid-credentials", "auth-required"}
    assert_clean(rejected, token)


async def test_npm_wrong_credential(verdaccio: RunningVerdaccio, make_config: MakeConfig) -> None:
    wrong = "not-" + verdaccio.publisher.password
    config = configured(make_config, "npm", verdaccio.url, ca_file=verdaccio.ca_file,
                        account=verdaccio.publisher, password=wrong)
    result = await probe_package("npm", "private-lib", registry_url=verdaccio.url,
                                 suspected="auth-invalid-credentials", config=config)
    assert (result.outcome, result.verdict) == ("auth-invalid-credentials", "confirmed")
    assert_clean(result, wrong)


async def test_npm_account_without_access(
    verdaccio: RunningVerdaccio, make_config: MakeConfig
) -> None:
    config = configured(make_config, "npm", verdaccio.url, ca_file=verdaccio.ca_file,
                        account=verdaccio.outsider)
    result = await probe_package("npm", "team-lib", registry_url=verdaccio.url,
                                 suspected="access-denied", config=config)
    assert (result.outcome, result.verdict) == ("access-denied", "confirmed")
    assert "with the operator's credential: GET /team-lib: 403" in evidence(result)


async def test_npm_withheld_credential_tells_missing_and_private_alike(
    verdaccio: RunningVerdaccio, make_config: MakeConfig
) -> None:
    # A credential exists but may be used only in CPLATFORM: from elsewhere "private" and
    # "does not exist" must read exactly the same.
    config = configured(make_config, "npm", verdaccio.url, ca_file=verdaccio.ca_file,
                        account=verdaccio.publisher, channel="CPLATFORM")
    elsewhere = Requester("U1", "CRANDOM")
    answers = []
    for name in ("private-lib", "no-such-lib"):
        for suspected in ("auth-required", "package-not-found", "access-denied"):
            result = await probe_package("npm", name, registry_url=verdaccio.url,
                                         suspected=suspected, requester=elsewhere, config=config)
            assert result.tier == "anonymous"
            answers.append((suspected, result.outcome, result.verdict, result.verdict_reason,
                            result.evidence))
    assert answers[:3] == answers[3:]
    assert answers[0][1] == "package-not-found"

    allowed = await probe_package("npm", "private-lib", registry_url=verdaccio.url,
                                  requester=Requester("U1", "CPLATFORM"), config=config)
    assert (allowed.outcome, allowed.tier) == ("ok", "credentialed")


async def test_npm_scoped_name_is_encoded(make_config: MakeConfig, pki: TestPki) -> None:
    body = json.dumps({"name": "@acme/ui", "dist-tags": {"latest": "2.0.0"},
                       "versions": {"2.0.0": {}}}).encode()
    seen: list[str] = []

    def route(request: Seen) -> Canned:
        seen.append(request.path)
        accept = request.headers.get("accept", "")
        return Canned(200 if "install-v1" in accept else 406,
                      {"Content-Type": "application/vnd.npm.install-v1+json"}, body)

    with ScriptedRegistry(route, tls=pki.server) as server:
        url = f"https://{server.host}/repository/npm-group/"
        config = configured(make_config, "npm", url, ca_file=pki.ca_cert)
        result = await probe_package("npm", "@acme/ui", version="latest", registry_url=url,
                                     config=config)
    assert result.outcome == "ok", result.evidence
    assert seen == ["/repository/npm-group/@acme%2fui"]


async def test_npm_untrusted_certificate(
    verdaccio: RunningVerdaccio, make_config: MakeConfig
) -> None:
    config = configured(make_config, "npm", verdaccio.url)
    result = await probe_package("npm", PACKAGE, registry_url=verdaccio.url,
                                 suspected="tls-unknown-authority", config=config)
    assert (result.outcome, result.verdict) == ("tls-unknown-authority", "confirmed")
    assert "self-signed" in evidence(result)

    trusted = configured(make_config, "npm", verdaccio.url, ca_file=verdaccio.ca_file)
    answered = await probe_package("npm", PACKAGE, registry_url=verdaccio.url,
                                   suspected="tls-unknown-authority", config=trusted)
    assert answered.verdict == "inconclusive"
    assert "cafile in .npmrc" in (answered.verdict_reason or "")


async def test_npm_connection_refused(make_config: MakeConfig, closed_port: int) -> None:
    url = f"https://127.0.0.1:{closed_port}/"
    config = configured(make_config, "npm", url)
    result = await probe_package("npm", PACKAGE, registry_url=url,
                                 suspected="connection-refused", config=config)
    assert (result.outcome, result.verdict) == ("connection-refused", "confirmed")
    assert_clean(result)


async def test_npm_web_page_where_json_is_expected(
    package_side_servers: SideServers, package_pki: TestPki, make_config: MakeConfig
) -> None:
    url = f"https://{package_side_servers.portal_tls.host}/"
    config = configured(make_config, "npm", url, ca_file=package_pki.ca_cert)
    result = await probe_package("npm", PACKAGE, registry_url=url,
                                 suspected="registry-misconfigured", config=config)
    assert (result.outcome, result.verdict) == ("registry-misconfigured", "confirmed")
    assert "a web page, not the npm registry's JSON" in evidence(result)


async def test_npm_credential_never_reaches_output_or_logs(
    verdaccio: RunningVerdaccio, make_config: MakeConfig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = verdaccio.publisher.password
    config = configured(make_config, "npm", verdaccio.url, ca_file=verdaccio.ca_file,
                        account=verdaccio.publisher)
    for name in ("private-lib", "team-lib", "no-such-lib"):
        result = await probe_package("npm", name, registry_url=verdaccio.url,
                                     suspected="auth-required", config=config)
        assert result.tier == "credentialed"
        assert_clean(result, secret)
    basic = base64.b64encode(f"{verdaccio.publisher.username}:{secret}".encode()).decode()
    assert secret not in caplog.text
    assert basic not in caplog.text
    assert "package=npm package private-lib" in caplog.text  # the audit line is there


# -- PyPI (pypiserver) ------------------------------------------------------------------------


async def test_pypi_project_normalised_and_version(
    pypiservers: RunningPypiServers, make_config: MakeConfig
) -> None:
    config = configured(make_config, "pypi", pypiservers.open_url)
    result = await probe_package("pypi", "Demo_Lib", version="1.0",
                                 registry_url=pypiservers.open_url, config=config)
    assert result.outcome == "ok", result.evidence
    assert "GET /simple/demo-lib/: 200" in evidence(result)
    assert "version 1.0: listed" in evidence(result)

    missing = await probe_package("pypi", "demo-lib", version="3.0",
                                  registry_url=pypiservers.open_url,
                                  suspected="package-not-found", config=config)
    assert (missing.outcome, missing.verdict) == ("package-not-found", "confirmed")


async def test_pypi_missing_project_and_a_base_url_without_simple(
    pypiservers: RunningPypiServers, make_config: MakeConfig
) -> None:
    base = pypiservers.open_url.removesuffix("simple/")
    config = configured(make_config, "pypi", base)
    result = await probe_package("pypi", "no-such-project", registry_url=pypiservers.open_url,
                                 suspected="package-not-found", config=config)
    assert (result.outcome, result.verdict) == ("package-not-found", "confirmed")
    assert "GET /simple/no-such-project/: 404" in evidence(result)


async def test_pypi_private_index_without_a_credential(
    pypiservers: RunningPypiServers, make_config: MakeConfig
) -> None:
    config = configured(make_config, "pypi", pypiservers.private_url)
    result = await probe_package("pypi", PACKAGE, registry_url=pypiservers.private_url,
                                 suspected="auth-required", config=config)
    assert (result.outcome, result.verdict) == ("auth-required", "confirmed")


@pytest.mark.parametrize("page", ["json_page", "portal"])
async def test_pypi_page_that_is_not_a_simple_index(
    package_side_servers: SideServers, make_config: MakeConfig, page: str
) -> None:
    server: ScriptedRegistry = getattr(package_side_servers, page)
    url = f"http://{server.host}/simple/"
    config = configured(make_config, "pypi", url)
    result = await probe_package("pypi", PACKAGE, registry_url=url,
                                 suspected="registry-misconfigured", config=config)
    assert (result.outcome, result.verdict) == ("registry-misconfigured", "confirmed")
    accept = server.requests[-1].headers["accept"]
    assert "application/vnd.pypi.simple.v1+json" in accept
    assert "text/html" in accept


async def test_pypi_index_answering_properly_refutes_misconfiguration(
    pypiservers: RunningPypiServers, make_config: MakeConfig
) -> None:
    config = configured(make_config, "pypi", pypiservers.open_url)
    result = await probe_package("pypi", PACKAGE, registry_url=pypiservers.open_url,
                                 suspected="registry-misconfigured", config=config)
    assert result.verdict == "refuted"
    assert "pip.conf" in (result.verdict_reason or "")


# -- Maven (static layout over HTTPS) ---------------------------------------------------------


async def test_maven_artifact_and_version(
    maven_repository: RunningMavenRepository, make_config: MakeConfig
) -> None:
    url = f"{maven_repository.url}open/"
    config = configured(make_config, "maven", url, ca_file=maven_repository.ca_file)
    result = await probe_package("maven", DEMO, version=MAVEN_VERSION, registry_url=url,
                                 config=config)
    assert result.outcome == "ok", result.evidence
    heads = [(s.method, s.path) for s in maven_repository.server.requests[-2:]]
    assert heads == [
        ("HEAD", "/open/org/example/demo-parent/maven-metadata.xml"),
        ("HEAD", f"/open/org/example/demo-parent/{MAVEN_VERSION}/demo-parent-1.0.pom"),
    ]

    no_version = await probe_package("maven", DEMO, version="7.0", registry_url=url,
                                     suspected="package-not-found", config=config)
    assert (no_version.outcome, no_version.verdict) == ("package-not-found", "confirmed")
    assert "version 7.0 does not" in (no_version.verdict_reason or "")

    missing = await probe_package("maven", f"{MAVEN_GROUP}:nothing", registry_url=url,
                                  suspected="package-not-found", config=config)
    assert (missing.outcome, missing.verdict) == ("package-not-found", "confirmed")


async def test_maven_snapshot_version(
    tmp_path: Path, package_pki: TestPki, make_config: MakeConfig
) -> None:
    # A deployed snapshot's files are named by timestamp; its version folder has its own
    # maven-metadata.xml, which the probe asks for instead of a POM.
    root = write_maven_layout(tmp_path / "repository")
    snapshot = root / "org" / "example" / MAVEN_PARENT / "2.0-SNAPSHOT"
    snapshot.mkdir()
    (snapshot / f"{MAVEN_PARENT}-2.0-20240102.030405-1.pom").write_text("<project/>\n")
    (snapshot / "maven-metadata.xml").write_text("<metadata/>\n")
    with ScriptedRegistry(static_repository_route(root, {}, ""), tls=package_pki.server) as repo:
        url = f"https://{repo.host}/open/"
        config = configured(make_config, "maven", url, ca_file=package_pki.ca_cert)
        found = await probe_package("maven", DEMO, version="2.0-SNAPSHOT", registry_url=url,
                                    config=config)
        missing = await probe_package("maven", DEMO, version="3.0-SNAPSHOT", registry_url=url,
                                      config=config)
    assert found.outcome == "ok", found.evidence
    assert missing.outcome == "package-not-found", missing.evidence
    assert repo.requests[1].path == (
        f"/open/org/example/{MAVEN_PARENT}/2.0-SNAPSHOT/maven-metadata.xml")


@pytest.mark.parametrize(
    ("who", "outcome"),
    [("nobody", "auth-required"), ("alice", "ok"), ("wrong", "auth-invalid-credentials"),
     ("bob", "access-denied")],
)
async def test_maven_private_repository(
    maven_repository: RunningMavenRepository, make_config: MakeConfig, who: str, outcome: str
) -> None:
    url = f"{maven_repository.url}private/"
    account = {"nobody": None, "alice": maven_repository.user, "wrong": maven_repository.user,
               "bob": maven_repository.outsider}[who]
    password = "wrong-" + maven_repository.user.password if who == "wrong" else None
    config = configured(make_config, "maven", url, ca_file=maven_repository.ca_file,
                        account=account, password=password)
    result = await probe_package("maven", DEMO, registry_url=url, suspected=outcome,
                                 config=config)
    assert result.outcome == outcome, result.evidence
    if outcome != "ok":
        assert result.verdict == "confirmed", result.verdict_reason
    assert_clean(result, maven_repository.user.password, maven_repository.outsider.password)


# -- NuGet (static v3 layout over HTTPS) ------------------------------------------------------


@dataclass(frozen=True)
class NuGetFeed:
    server: ScriptedRegistry
    user: Account
    outsider: Account
    root: Path

    def url(self, area: str = "open") -> str:
        return f"https://{self.server.host}/{area}/v3/index.json"


def leaf(registration: str, package: str, version: str) -> dict[str, object]:
    """One registration leaf, as the NuGet registration resource describes it."""
    return {"@id": f"{registration}{package.lower()}/{version}.json",
            "catalogEntry": {"id": package, "version": version}}


def write_paged_registration(folder: Path, registration: str) -> None:
    """``Paged.Lib``'s registration with pages that are not inlined: each page is its own file,
    named by its range, as nuget.org serves packages with many versions."""
    pages = []
    for lower, upper in PAGED_PAGES:
        url = f"{registration}{PAGED_ID.lower()}/page/{lower}/{upper}.json"
        items = [leaf(registration, PAGED_ID, v) for v in (lower, upper)]
        path = folder / PAGED_ID.lower() / "page" / lower / f"{upper}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"@id": url, "count": 2, "items": items, "lower": lower,
                                    "upper": upper}))
        pages.append({"@id": url, "count": 2, "lower": lower, "upper": upper})
    (folder / PAGED_ID.lower() / "index.json").write_text(
        json.dumps({"count": len(pages), "items": pages}))


def write_nuget_layout(root: Path, origin: str) -> None:
    """A NuGet v3 feed as static files, in ``open/`` and ``private/`` of the server: the service
    index naming the registration resource, ``Demo.Lib``'s registration with its versions
    inlined (as nuget.org does for small packages) and ``Paged.Lib``'s in page files."""
    for area in ("open", "private"):
        base = f"{origin}/{area}/v3"
        registration = f"{base}/registration/"
        index = {
            "version": "3.0.0",
            "resources": [
                {"@id": f"{base}/flatcontainer/", "@type": "PackageBaseAddress/3.0.0"},
                {"@id": registration, "@type": "RegistrationsBaseUrl/3.6.0"},
            ],
        }
        folder = root / area / "v3"
        (folder / "registration" / NUGET_ID.lower()).mkdir(parents=True, exist_ok=True)
        (folder / "index.json").write_text(json.dumps(index))
        leaves = [leaf(registration, NUGET_ID, v) for v in NUGET_VERSIONS]
        page = {"@id": f"{registration}{NUGET_ID.lower()}/index.json#page/1",
                "count": len(leaves), "items": leaves, "lower": NUGET_VERSIONS[0],
                "upper": NUGET_VERSIONS[-1]}
        (folder / "registration" / NUGET_ID.lower() / "index.json").write_text(
            json.dumps({"count": 1, "items": [page]}))
        write_paged_registration(folder / "registration", registration)


@pytest.fixture
def nuget_feed(tmp_path: Path, package_pki: TestPki) -> Iterator[NuGetFeed]:
    user, outsider = new_account("alice"), new_account("bob")
    accounts = {a.username: a.password for a in (user, outsider)}
    root = tmp_path / "nuget"
    areas = {area: static_repository_route(root / area, accounts, user.username)
             for area in ("open", "private")}

    def route(seen: Seen) -> Canned:
        # Each area has its own files: the URLs in them name the area they are served from.
        return areas["private" if seen.path.startswith("/private/") else "open"](seen)

    with ScriptedRegistry(route, tls=package_pki.server) as server:
        write_nuget_layout(root, f"https://{server.host}")
        yield NuGetFeed(server, user, outsider, root)


async def test_nuget_package_and_versions(
    nuget_feed: NuGetFeed, package_pki: TestPki, make_config: MakeConfig
) -> None:
    url = nuget_feed.url()
    config = configured(make_config, "nuget", url, ca_file=package_pki.ca_cert)
    result = await probe_package("nuget", NUGET_ID, version="1.0", registry_url=url,
                                 config=config)
    assert result.outcome == "ok", result.evidence
    paths = [s.path for s in nuget_feed.server.requests]
    assert paths == ["/open/v3/index.json", "/open/v3/registration/demo.lib/index.json"]

    semver2 = await probe_package("nuget", "demo.lib", version="2.1.0-Beta.1", registry_url=url,
                                  config=config)
    assert semver2.outcome == "ok", semver2.evidence

    no_version = await probe_package("nuget", NUGET_ID, version="3.0.0", registry_url=url,
                                     suspected="package-not-found", config=config)
    assert (no_version.outcome, no_version.verdict) == ("package-not-found", "confirmed")

    missing = await probe_package("nuget", "Other.Lib", registry_url=url,
                                  suspected="package-not-found", config=config)
    assert (missing.outcome, missing.verdict) == ("package-not-found", "confirmed")


@pytest.mark.parametrize(
    ("version", "listed", "pages_read"),
    [("1.5", True, ["1.0.0/1.5.0"]), ("2.0.0-RC.1", True, ["2.0.0-rc.1/2.0.0"]),
     ("1.7.0", False, []), ("2.0.0-beta", False, []), ("3.0.0", False, [])],
)
async def test_nuget_paged_registration_reads_only_the_page_in_range(
    nuget_feed: NuGetFeed, package_pki: TestPki, make_config: MakeConfig, version: str,
    listed: bool, pages_read: list[str],
) -> None:
    url = nuget_feed.url()
    config = configured(make_config, "nuget", url, ca_file=package_pki.ca_cert)
    result = await probe_package("nuget", PAGED_ID, version=version, registry_url=url,
                                 config=config)
    assert result.outcome == ("ok" if listed else "package-not-found"), result.evidence
    pages = [s.path.split("/page/")[1].removesuffix(".json") for s in nuget_feed.server.requests
             if "/page/" in s.path]
    assert pages == pages_read


async def test_nuget_feed_without_a_service_index(
    nuget_feed: NuGetFeed, package_pki: TestPki, make_config: MakeConfig
) -> None:
    url = f"https://{nuget_feed.server.host}/open/v2/"
    config = configured(make_config, "nuget", url, ca_file=package_pki.ca_cert)
    result = await probe_package("nuget", NUGET_ID, registry_url=url,
                                 suspected="registry-misconfigured", config=config)
    assert (result.outcome, result.verdict) == ("registry-misconfigured", "confirmed")
    assert "no NuGet v3 service index" in evidence(result)


@pytest.mark.parametrize(
    ("who", "outcome"),
    [("nobody", "auth-required"), ("alice", "ok"), ("wrong", "auth-invalid-credentials"),
     ("bob", "access-denied")],
)
async def test_nuget_private_feed(
    nuget_feed: NuGetFeed, package_pki: TestPki, make_config: MakeConfig, who: str,
    outcome: str,
) -> None:
    account = {"nobody": None, "alice": nuget_feed.user, "wrong": nuget_feed.user,
               "bob": nuget_feed.outsider}[who]
    password = "wrong-" + nuget_feed.user.password if who == "wrong" else None
    url = nuget_feed.url("private")
    config = configured(make_config, "nuget", url, ca_file=package_pki.ca_cert, account=account,
                        password=password)
    result = await probe_package("nuget", NUGET_ID, registry_url=url, suspected=outcome,
                                 config=config)
    assert result.outcome == outcome, result.evidence
    assert_clean(result, nuget_feed.user.password, nuget_feed.outsider.password)
