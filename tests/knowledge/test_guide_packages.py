"""Guides for package-registry pastes: the ecosystem's own commands, filled with the paste's
package, registry URL and host, and never a container command."""

from __future__ import annotations

import dataclasses
import re

import pytest

from knowledge.context import Context, Registry
from knowledge.entry import Ecosystem, Environment, RegistryFamily
from knowledge.guide import Guide, build_guide
from knowledge.loader import knowledge_base
from knowledge.reference import ImageReference


def package_context(
    ecosystem: Ecosystem, tool: str, package: str, version: str, url: str,
    family: RegistryFamily = "self-hosted",
) -> Context:
    host = re.sub(r"^https://([^/]+).*", r"\1", url)
    return Context(ecosystem=ecosystem, tool=tool, package=package, package_version=version,
                   registry_url=url, registry=Registry(host, family), operation="pull")


CLIENTS = {
    "npm": package_context("npm", "npm", "@acme/ui", "2.1.0", "https://npm.acme.io/"),
    "yarn": package_context("npm", "yarn", "left-pad", "1.3.0", "https://yarn.acme.io/"),
    "pnpm": package_context("npm", "pnpm", "react", "18.3.1", "https://pnpm.acme.io/"),
    "pip": package_context("pypi", "pip", "requests", "2.32.3", "https://pypi.acme.io/simple/"),
    "poetry": package_context("pypi", "poetry", "django", "5.0", "https://py.acme.io/simple/"),
    "uv": package_context("pypi", "uv", "numpy", "2.1.0", "https://uv.acme.io/simple/"),
    "mvn": package_context("maven", "mvn", "org.acme:core", "1.4", "https://mvn.acme.io/m2/"),
    "gradle": package_context("maven", "gradle", "org.acme:api", "2.0", "https://gr.acme.io/m2/"),
    "dotnet": package_context("nuget", "dotnet", "Acme.Core", "3.0.1",
                              "https://nuget.acme.io/v3/index.json"),
    "helm": package_context("helm", "helm", "nginx", "15.0.0", "https://charts.acme.io/"),
    "go": package_context("go", "go", "github.com/acme/lib", "v1.2.0", "https://goproxy.acme.io/"),
    "cargo": package_context("cargo", "cargo", "serde", "1.0.200", "https://crates.acme.io/"),
    "bundler": package_context("rubygems", "bundler", "rails", "7.1.0", "https://gems.acme.io/"),
}
OWN_COMMANDS = {
    # the ecosystem's own clients, as the first word of a command
    "npm": ("npm", "yarn", "pnpm"), "pypi": ("pip", "poetry", "uv", "pipenv"),
    "maven": ("mvn", "./gradlew", "keytool"), "nuget": ("dotnet",), "helm": ("helm",),
    "go": ("go",), "cargo": ("cargo",), "rubygems": ("bundle", "gem"),
}
PACKAGE_CLASSES = (
    "auth-required", "auth-invalid-credentials", "access-denied", "token-expired",
    "tls-unknown-authority", "tls-hostname-mismatch", "tls-expired", "dns-resolution",
    "connection-refused", "network-unreachable", "network-timeout", "proxy-error", "rate-limited",
    "registry-server-error", "quota-or-storage-exceeded", "payload-too-large", "not-a-registry",
    "policy-blocked", "network-policy-blocked", "registry-read-only", "package-not-found",
    "integrity-mismatch", "registry-misconfigured",
)
"""The classes a package paste can get (docs/error-classes.md, package registries)."""
MAIN_CLASSES = (
    "auth-required", "auth-invalid-credentials", "token-expired", "access-denied",
    "package-not-found", "integrity-mismatch", "registry-misconfigured", "tls-unknown-authority",
    "tls-hostname-mismatch", "tls-expired", "dns-resolution", "connection-refused",
    "network-unreachable", "network-timeout", "proxy-error", "rate-limited",
    "registry-server-error",
)
CONTAINER_TOOLS = re.compile(
    r"(?:^|[|&;(]\s{0,3})(?:sudo\s{1,3})?(?:docker|kubectl|podman|skopeo|crictl|crane|buildah"
    r"|nerdctl|oras)\b"
)
ENVIRONMENTS: tuple[tuple[Environment, ...], ...] = ((), ("ci",), ("kubernetes",))
UNFILLED = ("<package>", "<version>", "<registry-url>", "<registry-host>", "<registry-hostname>")


def commands(guide: Guide) -> list[str]:
    steps = (*guide.confirm, *guide.check, *guide.fix, *guide.verify,
             *((guide.registry_note,) if guide.registry_note else ()))
    return [command for step in steps for command in step.commands]


def text_of(guide: Guide) -> str:
    steps = (*guide.confirm, *guide.check, *guide.fix, *guide.verify,
             *((guide.registry_note,) if guide.registry_note else ()))
    return "\n".join([*(s.text for s in steps), *commands(guide), *guide.dont])


def short_text(guide: Guide) -> str:
    short = guide.short
    steps = (*((short.confirm,) if short.confirm else ()), *short.fix,
             *((short.verify,) if short.verify else ()))
    return "\n".join([*(s.text for s in steps), *(c for s in steps for c in s.commands),
                      *short.dont])


@pytest.mark.parametrize("class_id", MAIN_CLASSES)
@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_package_guides_use_the_paste_and_the_ecosystem_s_own_commands(
    class_id: str, client: str
) -> None:
    context = CLIENTS[client]
    assert context.registry is not None
    assert context.package
    assert context.registry_url
    guide = build_guide(knowledge_base()[class_id], context)
    found = commands(guide)
    assert not [c for c in found if CONTAINER_TOOLS.search(c)], found
    assert any(c.split()[0] in OWN_COMMANDS[context.ecosystem] for c in found), found
    everything = text_of(guide)
    assert not [u for u in UNFILLED if u in everything], everything
    short = short_text(guide)
    assert not CONTAINER_TOOLS.search(short)
    assert any(value in short for value in (
        context.package, context.registry_url, context.registry.host)), short


def test_no_entry_gives_a_package_paste_a_container_command() -> None:
    for class_id in PACKAGE_CLASSES:
        entry = knowledge_base()[class_id]
        for client, context in CLIENTS.items():
            for environments in ENVIRONMENTS:
                guide = build_guide(entry, dataclasses.replace(context, environments=environments))
                bad = [c for c in commands(guide) if CONTAINER_TOOLS.search(c)]
                assert not bad, (entry.id, client, environments, bad)


@pytest.mark.parametrize(
    ("class_id", "client", "command"),
    [
        ("auth-required", "npm", "npm whoami --registry https://npm.acme.io/"),
        ("auth-required", "yarn", "yarn npm whoami"),
        ("auth-required", "pip",
         "pip download --no-deps -v -i https://pypi.acme.io/simple/ requests==2.32.3"),
        ("auth-required", "mvn", "mvn -U dependency:get -Dartifact=org.acme:core:1.4"),
        ("auth-required", "dotnet", "dotnet restore -v detailed"),
        ("auth-required", "go", "go mod download -x github.com/acme/lib@v1.2.0"),
        ("auth-required", "bundler", "gem fetch rails -v 7.1.0 --source https://gems.acme.io/"),
        ("package-not-found", "npm", "npm view @acme/ui versions --registry https://npm.acme.io/"),
        ("package-not-found", "dotnet",
         "dotnet package search Acme.Core --exact-match --source https://nuget.acme.io/v3/index.json"),
        ("package-not-found", "go", "go list -m -versions github.com/acme/lib"),
        ("package-not-found", "helm", "helm search repo nginx --versions"),
        ("tls-unknown-authority", "pip",
         "openssl s_client -connect pypi.acme.io:443 -servername pypi.acme.io </dev/null "
         "2>/dev/null | openssl x509 -noout -subject -issuer -dates"),
    ],
)
def test_the_short_answer_confirms_with_the_client_s_own_request(
    class_id: str, client: str, command: str
) -> None:
    guide = build_guide(knowledge_base()[class_id], CLIENTS[client])
    assert guide.short.confirm is not None
    assert guide.short.confirm.commands == (command,)


@pytest.mark.parametrize(
    ("class_id", "client", "command"),
    [
        ("auth-required", "npm", "npm login --registry https://npm.acme.io/"),
        ("auth-required", "poetry", "poetry config http-basic.<source-name> <username>"),
        ("auth-required", "cargo", "cargo login --registry <registry-name>"),
        ("auth-required", "helm", 'printf \'%s\\n\' "$HELM_REPO_PASSWORD" | helm repo add '
         '<repo-name> https://charts.acme.io/ --username "$HELM_REPO_USER" --password-stdin '
         "--force-update"),
        ("tls-unknown-authority", "npm", "export NODE_EXTRA_CA_CERTS=<ca-bundle.pem>"),
        ("tls-unknown-authority", "pip", "pip config set global.cert <ca-bundle.pem>"),
        ("tls-unknown-authority", "cargo", "export CARGO_HTTP_CAINFO=<ca-bundle.pem>"),
        ("tls-unknown-authority", "helm",
         "helm repo add <repo-name> https://charts.acme.io/ --ca-file <ca.pem> --force-update"),
        ("network-timeout", "uv", "export UV_HTTP_TIMEOUT=120"),
        ("proxy-error", "npm", "npm config set https-proxy <proxy-url>"),
    ],
)
def test_the_short_fix_is_the_client_s_own(class_id: str, client: str, command: str) -> None:
    guide = build_guide(knowledge_base()[class_id], CLIENTS[client])
    assert command in [c for step in guide.short.fix for c in step.commands]


def test_the_ci_fix_for_npm_keeps_the_token_out_of_the_file() -> None:
    context = dataclasses.replace(CLIENTS["npm"], environments=("ci",))
    guide = build_guide(knowledge_base()["auth-required"], context)
    assert guide.short.fix[0].commands == (
        "echo '//npm.acme.io/:_authToken=${NPM_TOKEN}' >> .npmrc",)
    assert any("Don't commit a token in `.npmrc`" in d for d in guide.short.dont)


def test_a_scoped_name_on_the_wrong_registry_gets_the_scope_line() -> None:
    guide = build_guide(knowledge_base()["package-not-found"], CLIENTS["npm"],
                        "npm error 404 Not Found - GET https://npm.acme.io/@acme%2fui - Not found")
    assert guide.short.fix[0].commands == (
        "npm config set @<scope>:registry <private-registry-url> --location project",)


@pytest.mark.parametrize(
    ("ecosystem", "tool", "login"),
    [("npm", "npm", "aws codeartifact login --tool npm "),
     ("pypi", "pip", "aws codeartifact login --tool pip "),
     ("nuget", "dotnet", "aws codeartifact login --tool dotnet ")],
)
def test_codeartifact_tokens_are_renewed_for_the_paste_s_client(
    ecosystem: Ecosystem, tool: str, login: str
) -> None:
    url = "https://acme-123456789012.d.codeartifact.eu-west-1.amazonaws.com/npm/shared/"
    context = package_context(ecosystem, tool, "lodash", "4.17.21", url, "codeartifact")
    guide = build_guide(knowledge_base()["token-expired"], context)
    assert guide.short.registry_fix
    assert guide.short.fix[0].commands[0].startswith(login)


@pytest.mark.parametrize(
    ("client", "dont"),
    [("npm", "strict-ssl=false"), ("pip", "--trusted-host"), ("mvn", "ssl.insecure")],
)
def test_tls_answers_warn_against_turning_checks_off(client: str, dont: str) -> None:
    guide = build_guide(knowledge_base()["tls-unknown-authority"], CLIENTS[client])
    assert any(dont in d for d in guide.short.dont), guide.short.dont


def test_container_pastes_keep_their_container_steps() -> None:
    image = ImageReference("ghcr.io", "acme/app", "1.0")
    docker = Context(images=(image,), registry=Registry("ghcr.io", "ghcr"), tool="docker",
                     operation="pull")
    guide = build_guide(knowledge_base()["auth-required"], docker)
    assert "docker login ghcr.io" in commands(guide)
    assert not [c for c in commands(guide) if c.split()[0] in {"npm", "pip", "mvn", "dotnet"}]
    nexus = Context(images=(ImageReference("nexus.acme.io:8443", "team/app", "1.0"),),
                    registry=Registry("nexus.acme.io:8443", "nexus"), tool="docker")
    tls = build_guide(knowledge_base()["tls-unknown-authority"], nexus)
    assert any("/etc/docker/certs.d/nexus.acme.io:8443/" in c for c in commands(tls))
    assert not any("NODE_EXTRA_CA_CERTS" in c for c in commands(tls))
