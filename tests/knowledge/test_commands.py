"""Every command the knowledge base can show, checked by the real tools.

Each entry's guide is rendered for realistic contexts: every client x registry family x
operation its conditions allow. Every distinct command is then

* parsed by ``bash -n`` and by shellcheck (errors only), with its ``<placeholders>`` filled as a
  reader would; none may read stdin from a placeholder file (``< <file-with-token>``);
* run, with its ``<placeholders>`` filled, by each tool installed here, in a mode that cannot
  do harm: against the tests' local registry (loopback) for the contexts that name it, with the
  Docker daemon, the Podman service, the Kubernetes API and the AWS endpoint pointed at closed
  loopback addresses. Only the tool's own argument parsing is judged: an unknown flag, a wrong
  sub-command or a syntax error fails the test; a refused connection does not.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import shlex
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from knowledge.context import Context, Registry
from knowledge.entry import Ecosystem, Entry, Environment, Operation, RegistryFamily
from knowledge.guide import Guide, build_guide
from knowledge.loader import knowledge_base
from knowledge.reference import ImageReference
from tests.support.registry import Registries

HOSTS: dict[RegistryFamily, str] = {
    "dockerhub": "docker.io",
    "ghcr": "ghcr.io",
    "ecr": "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
    "ecr-public": "public.ecr.aws",
    "gar": "europe-west1-docker.pkg.dev",
    "acr": "acme.azurecr.io",
    "quay": "quay.io",
    "gitlab": "registry.gitlab.com",
    "harbor": "harbor.example.com",
    "artifactory": "acme.jfrog.io",
    "nexus": "nexus.example.com:8443",
    "self-hosted": "registry.example.com:5000",
    "npmjs": "registry.npmjs.org",
    "pypi": "pypi.org",
    "maven-central": "repo.maven.apache.org",
    "nuget-org": "api.nuget.org",
    "github-packages": "npm.pkg.github.com",
    "azure-artifacts": "pkgs.dev.azure.com",
    "codeartifact": "acme-123456789012.d.codeartifact.eu-west-1.amazonaws.com",
}
PACKAGE_OPERATIONS: tuple[Operation, ...] = ("pull", "push")
PACKAGE_ENVIRONMENTS: tuple[tuple[Environment, ...], ...] = ((), ("ci",))
PACKAGE_FAMILIES = {
    "npmjs", "pypi", "maven-central", "nuget-org", "github-packages", "azure-artifacts",
    "codeartifact", "artifactory", "nexus", "gitlab", "gar", "self-hosted",
}
"""Families that serve packages (the others serve only images)."""
CLIENTS: dict[str, tuple[str, ...]] = {
    # a paste's tool -> the environments such a paste comes from
    "docker": (), "podman": ("rootless-podman",), "skopeo": (), "crictl": (),
    "kubelet": ("kubernetes",), "helm": (), "buildkit": ("github-actions", "ci"),
    "gitlab-ci": ("gitlab-ci", "ci"), "crane": (),
}
PACKAGE_CLIENTS: dict[Ecosystem, tuple[tuple[str, str, str], ...]] = {
    # ecosystem -> (tool, package, version) as such a paste names them
    "npm": (("npm", "@acme/ui", "2.1.0"), ("yarn", "left-pad", "1.3.0"),
            ("pnpm", "react", "18.3.1")),
    "pypi": (("pip", "requests", "2.32.3"), ("poetry", "django", "5.0"), ("uv", "numpy", "2.1.0"),
             ("pipenv", "flask", "3.0.3")),
    "maven": (("mvn", "org.acme:core", "1.4"), ("gradle", "com.google.guava:guava", "33.0.0-jre")),
    "nuget": (("dotnet", "Acme.Core", "3.0.1"), ("nuget", "Newtonsoft.Json", "13.0.3")),
    "helm": (("helm", "nginx", "15.0.0"),),
    "go": (("go", "github.com/acme/lib", "v1.2.0"),),
    "cargo": (("cargo", "serde", "1.0.200"),),
    "rubygems": (("bundler", "rails", "7.1.0"), ("gem", "nokogiri", "1.16.0")),
}
APT = {"bash": "bash", "shellcheck": "shellcheck", "docker": "docker.io", "podman": "podman",
       "skopeo": "skopeo", "curl": "curl", "openssl": "openssl", "jq": "jq",
       "kubectl": "kubernetes-client", "aws": "awscli", "npm": "npm", "pip": "python3-pip",
       "mvn": "maven"}
PARSE_ERRORS = re.compile(
    r"unknown (?:shorthand )?flag|unknown command|is not a docker command|unrecognized command"
    r"|flag needs an argument|invalid argument|unknown option|option .{1,40} is unknown"
    r"|is badly used|Invalid choice|Unknown options|syntax error|compile error"
    r"|unexpected token|accepts (?:at most|no|\d+) arg|requires (?:at least|exactly) \d+ arg"
    r"|Unrecognized flag|invalid command|usage: aws"
    r"|Unknown cli config|is not a valid npm option|no such option|Unrecognized option",
    re.IGNORECASE,
)
_ANGLE = re.compile(r"<([A-Za-z0-9][A-Za-z0-9_.:/+$-]{0,60})>")


SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"
"""Where Debian packages (and the machine's docker CLI) put the tools, ahead of any shims."""


def _require(tool: str) -> str:
    path = shutil.which(tool, path=SYSTEM_PATH)
    if path is None:
        pytest.fail(f"{tool} is not installed: install {APT[tool]} (scripts/setup does)")
    return path


def contexts(entry: Entry, local: str | None) -> Iterator[Context]:
    """Realistic contexts for an entry: every client x family x operation its steps allow.
    ``local`` (the tests' registry) stands in for the self-hosted family when given."""
    families = {"self-hosted", "dockerhub", *(n.family for n in entry.registries)}
    steps = (*entry.steps.confirm, *entry.steps.check, *entry.steps.fix, *entry.steps.verify)
    families |= {f for s in steps for f in s.when.registry}
    for family in sorted(families):
        host = local if family == "self-hosted" and local else HOSTS[family]
        for tool, environments in CLIENTS.items():
            for operation in ("pull", "push", "login"):
                yield Context(
                    images=(ImageReference(host, "team/app", "1.0"),),
                    registry=Registry(host, family), tool=tool, operation=operation,
                    environments=environments,  # type: ignore[arg-type]
                    platform="linux/arm64", proxy="127.0.0.1:3128",
                    credential_helper="docker-credential-desktop",
                    digest="sha256:" + "a" * 64,
                )
    for family in sorted(families & PACKAGE_FAMILIES):
        host = local if family == "self-hosted" and local else HOSTS[family]
        for ecosystem, clients in PACKAGE_CLIENTS.items():
            for (tool, package, version), operation, environments in itertools.product(
                clients, PACKAGE_OPERATIONS, PACKAGE_ENVIRONMENTS
            ):
                yield Context(
                    ecosystem=ecosystem, tool=tool, operation=operation, environments=environments,
                    package=package, package_version=version,
                    registry=Registry(host, family), registry_url=f"https://{host}/",
                    proxy="127.0.0.1:3128",
                )


def guide_commands(guide: Guide) -> Iterator[str]:
    for step in (*guide.confirm, *guide.check, *guide.fix, *guide.verify,
                 *((guide.registry_note,) if guide.registry_note else ())):
        yield from step.commands


def all_commands(local: str | None = None) -> dict[str, str]:
    """Every distinct command the knowledge base renders, with the entry it comes from."""
    found: dict[str, str] = {}
    for entry in knowledge_base():
        for context in contexts(entry, local):
            for command in guide_commands(build_guide(entry, context)):
                found.setdefault(command, entry.id)
    return found


def sample(command: str) -> str:
    """``command`` with its ``<placeholders>`` filled with sample words, as a reader would."""
    return _ANGLE.sub(lambda m: re.sub(r"[^a-z0-9]+", "-", m[1].lower()).strip("-"), command)


def test_every_command_is_valid_shell() -> None:
    bash = _require("bash")
    bad = []
    for command, entry in all_commands().items():
        result = subprocess.run([bash, "-n", "-c", sample(command)], capture_output=True,
                                text=True, timeout=10, check=False)
        if result.returncode != 0:
            bad.append(f"{entry}: {command}\n    {result.stderr.strip()}")
        if re.search(r"<\s*<[A-Za-z]", command):
            # `cmd < <file-with-token>`: the reader has no such file, and pasted unedited it
            # is a syntax error. At a terminal log in interactively; in CI pipe the variable.
            bad.append(f"{entry}: {command}\n    reads stdin from a placeholder file")
    assert not bad, "commands that are not valid shell:\n" + "\n".join(bad)


def test_shellcheck_finds_no_errors(tmp_path: Path) -> None:
    shellcheck = _require("shellcheck")
    commands = list(all_commands().items())
    script = tmp_path / "commands.sh"
    # One function per command: a line number leads back to its command.
    lines = ["#!/bin/bash"]
    starts = []
    for command, _ in commands:
        starts.append(len(lines) + 2)
        lines += [f"c{len(starts)}() {{", sample(command), "}"]
    script.write_text("\n".join(lines) + "\n")
    result = subprocess.run([shellcheck, "-S", "error", "-f", "json", str(script)],
                            capture_output=True, text=True, timeout=120, check=False)
    problems = json.loads(result.stdout or "[]")
    bad = [f"{commands[starts.index(p['line'])][1]}: {commands[starts.index(p['line'])][0]}\n"
           f"    SC{p['code']}: {p['message']}" for p in problems if p["line"] in starts]
    assert not bad, "shellcheck errors:\n" + "\n".join(bad)


@dataclass(frozen=True)
class Invocation:
    """One simple command of a pipeline or list, ready to run."""

    tool: str
    argv: list[str]


def invocations(command: str) -> Iterator[Invocation]:
    """The simple commands of ``command`` (split at pipes, ``&&``, ``||``, ``;``), each without
    ``sudo``, variable assignments and redirections, placeholders filled with sample words.
    Commands with a command substitution are left to the syntax checks."""
    if "$(" in command:
        return
    lexer = shlex.shlex(sample(command), posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    words: list[str] = []
    redirect_target = False
    for token in [*lexer, ";"]:
        if token in {"|", "||", "&&", ";", "&", "|&"}:
            while words and (words[0] == "sudo" or re.match(r"^[A-Za-z_]+=", words[0])):
                words.pop(0)
            if words:
                yield Invocation(words[0], words)
            words = []
        elif set(token) <= set("<>&"):
            if words and words[-1].isdigit() and len(words[-1]) == 1:
                words.pop()  # the descriptor of 2> or 2>&1
            redirect_target = True
        elif redirect_target:
            redirect_target = False
        else:
            words.append(token)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An environment where each client reaches only closed loopback addresses."""
    home = tmp_path_factory.mktemp("home")
    (home / ".docker").mkdir()
    (home / ".docker" / "config.json").write_text(json.dumps(
        {"auths": {"registry.example.com:5000": {}}, "credsStore": "desktop",
         "credHelpers": {"europe-west1-docker.pkg.dev": "gcloud"}}))
    kubeconfig = home / "kubeconfig"
    kubeconfig.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "t",
        "clusters": [{"name": "t", "cluster": {"server": "https://127.0.0.1:9"}}],
        "contexts": [{"name": "t", "context": {"cluster": "t", "user": "t"}}],
        "users": [{"name": "t", "user": {"token": "x"}}]}))
    return {
        "PATH": SYSTEM_PATH, "HOME": str(home), "DOCKER_CONFIG": str(home / ".docker"),
        "DOCKER_HOST": "unix:///nonexistent/docker.sock", "KUBECONFIG": str(kubeconfig),
        # Anything that still tries another address meets a closed loopback proxy.
        "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
        "https_proxy": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9",
        "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "example", "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_MAX_ATTEMPTS": "1", "CONTAINER_HOST": "unix:///nonexistent/podman.sock",
        # Package clients: no network, no retries, no prompts.
        "npm_config_offline": "true", "npm_config_update_notifier": "false",
        "PIP_RETRIES": "0", "PIP_TIMEOUT": "2", "PIP_NO_INPUT": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }


def _argv(invocation: Invocation, tool_path: str) -> list[str]:
    args = invocation.argv[1:]
    if invocation.tool == "podman":
        # The remote client parses the same flags and reaches no storage or registry.
        return [tool_path, "--remote", "--url", "unix:///nonexistent/podman.sock", *args]
    if invocation.tool == "skopeo":
        return [tool_path, "--command-timeout", "5s", *args]
    if invocation.tool == "curl":
        return [tool_path, "--max-time", "5", *args]
    if invocation.tool == "aws":
        return [tool_path, "--endpoint-url", "http://127.0.0.1:9", *args]
    if invocation.tool == "mvn":
        return [tool_path, "--offline", "--batch-mode", *args]
    return [tool_path, *args]


def _docker_plugins(docker: str) -> set[str]:
    """The CLI plugins (buildx, compose) this docker CLI has: the others cannot be checked."""
    found = set()
    for plugin in ("buildx", "compose"):
        result = subprocess.run([docker, plugin, "version"], capture_output=True, timeout=20,
                                check=False, env={"PATH": SYSTEM_PATH, "DOCKER_HOST": "unix:///x"})
        if result.returncode == 0:
            found.add(plugin)
    return found


PACKAGE_READS = {
    "npm": {"config", "view", "whoami", "ping", "cache", "owner", "access", "pkg", "pack"},
    "pip": {"config", "download", "index", "debug"},
    "mvn": {"help:effective-settings", "help:effective-pom", "dependency:get",
            "dependency:resolve", "dependency:purge-local-repository", "-U", "-C"},
}
"""The sub-commands (Maven: first words) of each package client that the test runs."""


def _safe(invocation: Invocation, local: str) -> bool:
    """Whether running this cannot reach anything but loopback: a client that talks to
    registries itself runs only when it names the local one."""
    words = " ".join(invocation.argv)
    if invocation.tool in {"curl", "openssl", "skopeo"}:
        return local in words
    if invocation.tool == "docker" and re.search(r"\b(?:manifest|imagetools|buildx)\b", words):
        return local in words  # the CLI itself asks the registry for these
    if invocation.tool in PACKAGE_READS:
        # Package clients run offline in an empty directory, and only what reads or writes
        # their own configuration and cache: never an install, a login or a publish.
        return invocation.argv[1:2] != [] and invocation.argv[1] in PACKAGE_READS[invocation.tool]
    return True


def test_commands_run_by_their_own_tools(registry: Registries, sandbox: dict[str, str]) -> None:
    local = registry.tls.host
    tools = {t: _require(t) for t in
             ("curl", "openssl", "skopeo", "docker", "jq", "kubectl", "aws", "podman", "npm",
              "pip", "mvn")}
    missing_plugins = {"buildx", "compose"} - _docker_plugins(tools["docker"])
    hosts = re.compile("|".join(re.escape(h) for h in (*HOSTS.values(), local)))
    seen: set[str] = set()
    runs: list[tuple[str, str, Invocation]] = []
    for command, entry in all_commands(local).items():
        for invocation in invocations(command):
            if invocation.tool not in tools or not _safe(invocation, local):
                continue
            if invocation.tool == "docker" and invocation.argv[1:2] and (
                invocation.argv[1] in missing_plugins
            ):
                continue  # a plugin this machine lacks: its commands get the syntax checks
            # Arguments parse the same whatever registry they name: run each shape once.
            shape = hosts.sub("H", "\0".join(invocation.argv))
            if shape not in seen:
                seen.add(shape)
                runs.append((command, entry, invocation))

    def check(run: tuple[str, str, Invocation]) -> str | None:
        command, entry, invocation = run
        argv = _argv(invocation, tools[invocation.tool])
        try:
            result = subprocess.run(argv, capture_output=True, text=True, timeout=30,
                                    env=sandbox, cwd=sandbox["HOME"], stdin=subprocess.DEVNULL,
                                    check=False)
        except subprocess.TimeoutExpired:
            return f"{entry}: {command}\n    timed out: {argv}"
        output = result.stdout[-2000:] + result.stderr[-2000:]
        if invocation.tool == "curl" and result.returncode == 2:
            output += " unknown option"
        if PARSE_ERRORS.search(output):
            return f"{entry}: {command}\n    {argv}\n    {output.strip()[:400]}"
        return None

    # The aws CLI takes seconds to start: a few at a time.
    with ThreadPoolExecutor(max_workers=4) as pool:
        bad = [problem for problem in pool.map(check, runs) if problem]
    checked = Counter(invocation.tool for _, _, invocation in runs)
    assert not bad, "commands their own tool rejects:\n" + "\n".join(bad)
    assert all(checked[t] for t in ("docker", "curl", "jq", "kubectl", "aws", "skopeo",
                                    "npm", "pip", "mvn")), checked


# Classes whose confirming command can run against one of the tests' registries, and what the
# answer promises it shows there.
EVIDENCE = {
    "auth-required": ("tls", re.compile(r"401(?s:.*)www-authenticate", re.IGNORECASE)),
    "tls-hostname-mismatch": ("tls_wrong_name", re.compile(r"DNS:other\.test")),
    "tls-expired": ("tls_expired", re.compile(r"notAfter=")),
    "tls-unknown-authority": ("tls", re.compile(r"issuer=")),
    "manifest-unknown": ("tls", re.compile(r'"Tags":\s*\[[^\]]*"v1"')),
    # The registry speaks plain HTTP: the confirming request over http:// gets its answer.
    "http-response-to-https-client": ("plain", re.compile(r"^http: 200$", re.MULTILINE)),
    # Listing a missing repository's tags fails, as the step says (skopeo 1.9 against
    # distribution prints the bare 404 on stderr; newer pairs name NAME_UNKNOWN).
    "repository-not-found": ("tls", re.compile(r"404 \(Not Found\)|NAME_UNKNOWN")),
}
MISSING_REPOSITORY = {"repository-not-found"}
"""Classes whose command is run on a repository the registry does not have."""


@pytest.mark.parametrize("class_id", sorted(EVIDENCE))
def test_confirming_commands_show_their_evidence(
    class_id: str, registry: Registries, tmp_path: Path
) -> None:
    bash = _require("bash")
    for tool in ("curl", "openssl", "skopeo"):
        _require(tool)
    name, evidence = EVIDENCE[class_id]
    target = getattr(registry, name)
    repository = "demo/missing" if class_id in MISSING_REPOSITORY else "demo/hello"
    image = ImageReference(target.host, repository, "v1")
    context = Context(images=(image,), registry=Registry(target.host, "self-hosted"),
                      tool="skopeo", operation="pull")
    guide = build_guide(knowledge_base()[class_id], context)
    assert guide.short.confirm is not None
    [command] = guide.short.confirm.commands
    assert target.host.rpartition(":")[2] in command  # about the local registry only
    auth = tmp_path / "auth.json"
    auth.write_text(json.dumps({"auths": {target.host: {"auth": base64.b64encode(
        f"{target.username}:{target.password}".encode()).decode()}}}))
    env = {"PATH": SYSTEM_PATH, "HOME": str(tmp_path), "REGISTRY_AUTH_FILE": str(auth)}
    if class_id != "tls-unknown-authority" and target.ca_file:
        # The reader's machine trusts the registry's CA (except when that is the problem).
        env |= {"SSL_CERT_FILE": str(target.ca_file), "CURL_CA_BUNDLE": str(target.ca_file)}
    result = subprocess.run([bash, "-c", command], capture_output=True, text=True, timeout=30,
                            env=env, stdin=subprocess.DEVNULL, check=False)
    assert evidence.search(result.stdout + result.stderr), (command, result.stdout, result.stderr)
