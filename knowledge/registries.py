"""Which registry family a host belongs to, for advice that differs between registries."""

from __future__ import annotations

import re

from knowledge.entry import RegistryFamily

_DOCKER_HUB_HOSTS = frozenset(
    {
        "docker.io",
        "registry-1.docker.io",
        "index.docker.io",
        "registry.hub.docker.com",
        # Docker Hub's token server and blob CDN show up in DNS and TLS errors on their own.
        "auth.docker.io",
        "production.cloudflare.docker.com",
    }
)
# The account id may be redacted (``XXXXXXXXXXXX``, ``1234XXXX``, ``redacted``): the host still
# says ECR. Any other account id (11 digits, a name) is a look-alike.
_ECR = re.compile(
    r"(?:[0-9]{12}|[0-9]{0,8}x{2,12}|redacted)\.(?:dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?"
    r"|dkr-ecr(?:-fips)?\.([a-z0-9-]+)\.on\.aws)"
)
_ARTIFACT_REGISTRY = re.compile(
    r"([a-z0-9-]+?)-(?:docker|npm|python|maven|apt|yum|go)\.pkg\.dev")
# <domain>-<account>.d.codeartifact.<region>.amazonaws.com
_CODEARTIFACT = re.compile(r"[a-z0-9-]+\.d\.codeartifact\.([a-z0-9-]+)\.amazonaws\.com")
_PACKAGE_HOSTS: dict[str, RegistryFamily] = {
    "registry.npmjs.org": "npmjs", "registry.npmjs.com": "npmjs", "npmjs.com": "npmjs",
    "www.npmjs.com": "npmjs",
    "pypi.org": "pypi", "pypi.python.org": "pypi", "files.pythonhosted.org": "pypi",
    "upload.pypi.org": "pypi", "test.pypi.org": "pypi",
    "repo.maven.apache.org": "maven-central", "repo1.maven.org": "maven-central",
    "central.sonatype.com": "maven-central", "oss.sonatype.org": "maven-central",
    "s01.oss.sonatype.org": "maven-central",
    "api.nuget.org": "nuget-org", "www.nuget.org": "nuget-org", "nuget.org": "nuget-org",
    "npm.pkg.github.com": "github-packages", "maven.pkg.github.com": "github-packages",
    "nuget.pkg.github.com": "github-packages", "rubygems.pkg.github.com": "github-packages",
    "pkgs.dev.azure.com": "azure-artifacts",
}
_ACR_SUFFIXES = (".azurecr.io", ".azurecr.cn", ".azurecr.us", ".azurecr.de")

_LABELS: dict[RegistryFamily, str] = {
    "dockerhub": "Docker Hub",
    "ghcr": "GitHub Container Registry",
    "ecr": "Amazon ECR",
    "ecr-public": "Amazon ECR Public",
    "gar": "Google Artifact Registry",
    "acr": "Azure Container Registry",
    "quay": "Quay.io",
    "gitlab": "GitLab Container Registry",
    "harbor": "Harbor",
    "artifactory": "JFrog Artifactory",
    "nexus": "Sonatype Nexus",
    "npmjs": "the npm public registry",
    "pypi": "PyPI",
    "maven-central": "Maven Central",
    "nuget-org": "nuget.org",
    "github-packages": "GitHub Packages",
    "azure-artifacts": "Azure Artifacts",
    "codeartifact": "AWS CodeArtifact",
    "self-hosted": "self-hosted registry",
}


def host_without_port(host: str) -> str:
    """The host name of ``host[:port]`` in lower case (``[::1]:5000`` gives ``[::1]``)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] or host
    return host.partition(":")[0].rstrip(".")


def registry_family(host: str) -> RegistryFamily:
    """The family of a registry host (case-insensitive, port ignored); ``self-hosted`` if none.

    Families with a fixed host or host pattern are recognised exactly; Artifactory, Harbor and
    Nexus run under any name, so only a name that says so (``harbor.example.com``) counts.
    """
    name = host_without_port(host)
    family: RegistryFamily = "self-hosted"
    if name in _DOCKER_HUB_HOSTS:
        family = "dockerhub"
    elif name in _PACKAGE_HOSTS:
        family = _PACKAGE_HOSTS[name]
    elif name.endswith(".pkgs.visualstudio.com"):
        family = "azure-artifacts"
    elif _CODEARTIFACT.fullmatch(name):
        family = "codeartifact"
    elif name == "ghcr.io":
        family = "ghcr"
    elif _ECR.fullmatch(name):
        family = "ecr"
    elif name == "public.ecr.aws":
        family = "ecr-public"
    elif name == "gcr.io" or name.endswith(".gcr.io") or _ARTIFACT_REGISTRY.fullmatch(name):
        family = "gar"
    elif name.endswith(_ACR_SUFFIXES):
        family = "acr"
    elif name == "quay.io":
        family = "quay"
    elif name.startswith("registry.gitlab."):
        family = "gitlab"
    elif name.endswith(".jfrog.io") or "artifactory" in name:
        family = "artifactory"
    elif "harbor" in name:
        family = "harbor"
    elif "nexus" in name:
        family = "nexus"
    return family


def family_label(family: RegistryFamily) -> str:
    """What to call a registry family in a sentence: ``Docker Hub``, ``Amazon ECR``."""
    return _LABELS[family]


def registry_region(host: str) -> str | None:
    """The cloud region a registry host names (ECR ``eu-west-1``, Artifact Registry
    ``europe-west1``), or None for hosts that name none."""
    name = host_without_port(host)
    if ecr := _ECR.fullmatch(name):
        region = ecr[1] or ecr[2]
        return None if "xx" in region else region  # redacted: ap-XXXX
    if gar := _ARTIFACT_REGISTRY.fullmatch(name):
        return gar[1]
    if codeartifact := _CODEARTIFACT.fullmatch(name):
        return codeartifact[1]
    return None
