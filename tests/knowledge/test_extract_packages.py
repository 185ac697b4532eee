"""What extract_context finds in package clients' output: the ecosystem, the client, the registry
URL and host, the package and version asked for, and the configuration file in play.

The texts are written here in each client's own output format (client-messages.md gives the
templates); the real pastes are in tests/fixtures/packages and are measured by test_examples.
"""

from __future__ import annotations

import pytest

from knowledge.context import Context
from knowledge.diagnosis import UNASKED_THRESHOLD, diagnose
from knowledge.extract import extract_context
from knowledge.paste import read_paste


def context(text: str) -> Context:
    return extract_context(read_paste(text).text)


NPM_404 = """\
npm error code E404
npm error 404 Not Found - GET https://npm.acme.io/repository/npm-group/@acme%2fui - Not found
npm error 404
npm error 404  '@acme/ui@2.3.1' is not in this registry.
"""
PNPM_401 = """\
 ERR_PNPM_FETCH_401  GET https://npm.pkg.github.com/@acme%2fcore: Unauthorized - 401

No authorization header was set for the request.
"""
YARN_INTEGRITY = """\
error https://registry.yarnpkg.com/left-pad/-/left-pad-1.3.0.tgz: Integrity check failed for \
"left-pad" (computed integrity doesn't match our records, got "sha512-AAAA")
"""
PIP_NOT_FOUND = """\
Looking in indexes: https://pypi.acme.io/simple/
ERROR: Could not find a version that satisfies the requirement requests==9.9.9 (from versions: 2.31.0)
ERROR: No matching distribution found for requests==9.9.9
"""  # noqa: E501
UV_HASH = """\
  × Failed to download `click==8.3.1`
  ╰─▶ Hash mismatch for `click==8.3.1`
"""  # noqa: RUF001
MAVEN_403 = """\
[ERROR] Failed to execute goal on project app: Could not resolve dependencies for project \
org.acme:app:jar:1.0: Could not transfer artifact org.acme:core:jar:2.4.0 from/to nexus \
(https://nexus.acme.io/repository/maven-public/): status code: 403, reason phrase: Forbidden (403)
"""
GRADLE_401 = """\
> Could not resolve com.acme:lib:1.2.0.
   > Could not get resource 'https://maven.pkg.github.com/acme/lib/com/acme/lib/1.2.0/lib-1.2.0.pom'.
      > Could not GET 'https://maven.pkg.github.com/acme/lib/com/acme/lib/1.2.0/lib-1.2.0.pom'. \
Received status code 401 from server: Unauthorized
"""
NUGET_401 = """\
/src/App/App.csproj : error NU1301: Unable to load the service index for source \
https://pkgs.dev.azure.com/acme/_packaging/feed/nuget/v3/index.json.
/src/App/App.csproj : error NU1301:   Response status code does not indicate success: 401 (Unauthorized).
"""  # noqa: E501
NUGET_NOT_FOUND = "error NU1101: Unable to find package Acme.Core. No packages exist with this id "\
    "in source(s): nuget.org\n"
HELM_INDEX_404 = """\
$ helm repo add acme https://charts.acme.io/stable
Error: looks like "https://charts.acme.io/stable" is not a valid chart repository or cannot be \
reached: failed to fetch https://charts.acme.io/stable/index.yaml : 404 Not Found
"""
HELM_OCI = """\
$ helm pull oci://registry.acme.io/charts/app --version 1.2.0
Error: failed to authorize: failed to fetch anonymous token: unexpected status: 401 Unauthorized
"""
GO_NOT_FOUND = """\
go: github.com/acme/lib@v1.4.2: reading https://proxy.golang.org/github.com/acme/lib/@v/v1.4.2.info: \
404 Not Found
	server response: not found: github.com/acme/lib@v1.4.2: invalid version: unknown revision v1.4.2
"""  # noqa: E501
CARGO_CHECKSUM = """\
    Updating crates.io index
  Downloaded serde v1.0.190
error: failed to verify the checksum of `serde v1.0.190`
"""
BUNDLER_NOT_FOUND = """\
Fetching source index from https://gems.acme.io/
Could not find gem 'acme-client (~> 2.0)' in rubygems repository https://gems.acme.io/ or installed locally.
"""  # noqa: E501


@pytest.mark.parametrize(
    ("text", "ecosystem", "tool", "registry_url", "package", "version", "config_file"),
    [
        (NPM_404, "npm", "npm", "https://npm.acme.io/repository/npm-group/", "@acme/ui", "2.3.1",
         ".npmrc"),
        (PNPM_401, "npm", "pnpm", "https://npm.pkg.github.com/", "@acme/core", None, ".npmrc"),
        (YARN_INTEGRITY, "npm", "yarn", "https://registry.yarnpkg.com/", "left-pad", None,
         ".npmrc"),
        (PIP_NOT_FOUND, "pypi", "pip", "https://pypi.acme.io/simple/", "requests", "9.9.9",
         "pip.conf"),
        (UV_HASH, "pypi", "uv", None, "click", "8.3.1", "pyproject.toml"),
        (MAVEN_403, "maven", "mvn", "https://nexus.acme.io/repository/maven-public/",
         "org.acme:core", "2.4.0", "settings.xml"),
        (GRADLE_401, "maven", "gradle", "https://maven.pkg.github.com/acme/lib/", "com.acme:lib",
         "1.2.0", "build.gradle"),
        (NUGET_401, "nuget", "nuget",
         "https://pkgs.dev.azure.com/acme/_packaging/feed/nuget/v3/index.json", None, None,
         "NuGet.Config"),
        (NUGET_NOT_FOUND, "nuget", "nuget", None, "Acme.Core", None, "NuGet.Config"),
        (HELM_INDEX_404, "helm", "helm", "https://charts.acme.io/stable/", None, None,
         "repositories.yaml"),
        (GO_NOT_FOUND, "go", "go", "https://proxy.golang.org/", "github.com/acme/lib", "v1.4.2",
         "GOPROXY"),
        (CARGO_CHECKSUM, "cargo", "cargo", None, "serde", "1.0.190", ".cargo/config.toml"),
        (BUNDLER_NOT_FOUND, "rubygems", "bundler", "https://gems.acme.io/", "acme-client",
         "~> 2.0", ".bundle/config"),
    ],
    ids=["npm", "pnpm", "yarn", "pip", "uv", "mvn", "gradle", "nuget", "nuget-not-found", "helm",
         "go", "cargo", "bundler"],
)
def test_package_paste_facts(text: str, ecosystem: str, tool: str, registry_url: str | None,
                             package: str | None, version: str | None, config_file: str) -> None:
    found = context(text)
    assert found.ecosystem == ecosystem
    assert found.tool == tool
    assert found.registry_url == registry_url
    assert found.package == package
    assert found.package_version == version
    assert found.config_file == config_file
    assert found.images == ()  # a registry URL's path is not an image


def test_registry_is_the_registry_urls_host_with_its_family() -> None:
    assert context(PNPM_401).registry is not None
    registry = context(PNPM_401).registry
    assert registry is not None
    assert (registry.host, registry.family) == (
        "npm.pkg.github.com", "github-packages")
    nuget = context(NUGET_401).registry
    assert nuget is not None
    assert nuget.family == "azure-artifacts"
    assert context(UV_HASH).registry is None


def test_config_file_the_paste_names_wins_over_the_clients_default() -> None:
    text = "npm error code E401\nnpm error Unable to authenticate, need: Basic realm=\"x\"\n" \
           "npm verb config /home/ci/project/.yarnrc\n"
    assert context(text).config_file == ".yarnrc"
    pip = "Looking in indexes: https://pypi.acme.io/simple/\nPIP_INDEX_URL is set\n" \
          "ERROR: No matching distribution found for x\n"
    assert context(pip).config_file == "PIP_INDEX_URL"


def test_masked_credentials_stay_masked_in_the_registry_url() -> None:
    text = "Looking in indexes: https://ci:s3cr3t-token-value@pypi.acme.io/simple/\n" \
           "ERROR: No matching distribution found for acme-lib==1.0\n"
    url = context(text).registry_url
    assert url is not None
    assert "s3cr3t" not in url
    assert url.endswith("pypi.acme.io/simple/")


@pytest.mark.parametrize(
    "text",
    [
        HELM_OCI,
        # A Dockerfile that installs packages and then fails on an image is about the image.
        "#3 [internal] load metadata for docker.io/library/node:20\n"
        "#5 RUN npm ci\n"
        "ERROR: failed to solve: node:20: failed to resolve source metadata for "
        "docker.io/library/node:20: pull access denied, repository does not exist or may require "
        "authorization\n",
        # A build log that installs Python packages and then fails on the registry API.
        "#12 [build 3/7] RUN pip install -r requirements.txt\n"
        "#12 0.512 Collecting httpx==0.28.1\n"
        "ERROR: failed to solve: ghcr.io/acme/base:1.4: failed to resolve source metadata for "
        "ghcr.io/acme/base:1.4: unexpected status from HEAD request to "
        "https://ghcr.io/v2/acme/base/manifests/1.4: 401 Unauthorized\n",
        # jib runs inside Maven, and its errors are about images.
        "[ERROR] Failed to execute goal com.google.cloud.tools:jib-maven-plugin:3.4.0:build "
        "(default-cli) on project app: Build image failed: Unauthorized for "
        "registry.acme.io/app\n",
    ],
    ids=["helm-oci", "dockerfile-npm", "build-log-pip", "jib"],
)
def test_container_pastes_stay_oci(text: str) -> None:
    assert context(text).ecosystem == "oci"


def test_a_package_client_in_a_container_build_is_read_as_the_package_client() -> None:
    text = ("#8 [build 4/7] RUN npm ci\n"
            "#8 2.113 npm error code E401\n"
            "#8 2.114 npm error 401 Unauthorized - GET https://npm.acme.io/@acme%2fui - "
            "authentication token not provided\n"
            "##[error]Process completed with exit code 1.\n")
    found = context(text)
    assert (found.ecosystem, found.tool, found.package) == ("npm", "npm", "@acme/ui")
    assert "github-actions" in found.environments  # where it ran is still read


def test_generic_status_needs_the_package_registry_in_sight_to_be_answered_unasked() -> None:
    # pip's `401 Client Error` is a requests message any Python program prints: unasked it
    # counts only on a line about the index the paste shows pip using.
    bare = diagnose("HTTPError: 401 Client Error: Unauthorized for url: "
                    "https://api.acme.io/users/42\n")
    assert bare.class_id == "auth-required"  # asked: it is about a registry
    assert bare.unasked_confidence == 0.0
    shown = diagnose("Looking in indexes: https://pypi.acme.io/simple/\n"
                     "ERROR: 401 Client Error: Unauthorized for url: "
                     "https://pypi.acme.io/simple/acme-lib/\n")
    assert shown.class_id == "auth-required"
    assert shown.unasked_confidence == shown.confidence > 0.0


@pytest.mark.parametrize(
    "text",
    [
        # npm's peer-dependency conflict, pip's resolver, cargo's version conflict: no class.
        "npm error code ERESOLVE\nnpm error ERESOLVE unable to resolve dependency tree\n"
        "npm error Could not resolve dependency:\n"
        "npm error peer react@\"^17\" from react-widget@2.0.0\n",
        "ERROR: Cannot install a==1.0 and b==2.0 because these package versions have "
        "conflicting dependencies.\nERROR: ResolutionImpossible: for help visit "
        "https://pip.pypa.io/en/latest/topics/dependency-resolution/\n",
        "error: failed to select a version for `serde`.\n"
        "    ... required by package `app v0.1.0`\n"
        "versions that meet the requirements `=1.0.100` are: 1.0.100\n"
        "all possible versions conflict with previously selected packages.\n",
    ],
    ids=["npm-eresolve", "pip-resolution", "cargo-conflict"],
)
def test_dependency_conflicts_get_no_class(text: str) -> None:
    assert diagnose(text).class_id is None


@pytest.mark.parametrize(
    "text",
    [
        "To get started with GitHub CLI, please run:  gh auth login\n"
        "This command requires you to be logged in.\n",
        "Uncaught (in promise) SyntaxError: Unexpected token < in JSON at position 0\n"
        "    at fetchProfile (app.js:112)\n",
        "[api] GET /v1/orders failed: Internal Server Error : upstream reset\n",
    ],
    ids=["gh-login", "browser-json", "app-500"],
)
def test_package_phrases_other_programs_print_are_not_answered_unasked(text: str) -> None:
    assert not diagnose(text).answer_unasked(UNASKED_THRESHOLD)


def test_a_clients_registry_wrapper_on_the_line_makes_a_generic_cause_count_unasked() -> None:
    # cargo's retry wrapper says the failed request was to its registry: no URL needed.
    cargo = diagnose("    Updating crates.io index\n"
                     "warning: spurious network error (2 tries remaining): [6] Couldn't resolve "
                     "host name (Could not resolve host: index.crates.io)\n")
    assert cargo.context.ecosystem == "cargo"
    assert cargo.class_id == "dns-resolution"
    assert cargo.unasked_confidence == cargo.confidence
    # The same words in a test run after an install are about the application under test.
    tests = diagnose("npm ci\nadded 1200 packages in 31s\n"
                     "FAIL src/api.test.ts\n"
                     "    Error: connect ECONNREFUSED 127.0.0.1:8080\n")
    assert tests.context.ecosystem == "npm"
    assert tests.unasked_confidence == 0.0


def test_npm_package_and_version_from_the_request_url() -> None:
    tarball = context(' ERR_PNPM_TARBALL_INTEGRITY  Got unexpected checksum for '
                      '"https://npm.acme.io/api/npm/npm-remote/left-pad/-/left-pad-1.3.0.tgz". '
                      'Wanted "sha512-AAAA". Got "sha512-BBBB".\n')
    assert (tarball.registry_url, tarball.package, tarball.package_version) == (
        "https://npm.acme.io/api/npm/npm-remote/", "left-pad", "1.3.0")
    metadata = context("npm ERR! code ECONNREFUSED\nnpm ERR! request to "
                       "https://npm.acme.io/@acme%2fui failed, reason: connect ECONNREFUSED "
                       "10.0.0.5:443\n")
    assert (metadata.registry_url, metadata.package) == ("https://npm.acme.io/", "@acme/ui")
