"""Registry families from host names, and what to call them."""

from __future__ import annotations

from typing import get_args

import pytest

from knowledge.entry import RegistryFamily
from knowledge.registries import family_label, host_without_port, registry_family


@pytest.mark.parametrize(
    ("host", "family"),
    [
        ("docker.io", "dockerhub"),
        ("registry-1.docker.io", "dockerhub"),
        ("index.docker.io", "dockerhub"),
        ("registry.hub.docker.com", "dockerhub"),
        ("auth.docker.io", "dockerhub"),
        ("ghcr.io", "ghcr"),
        ("123456789012.dkr.ecr.us-east-1.amazonaws.com", "ecr"),
        ("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", "ecr"),
        ("123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com", "ecr"),
        ("123456789012.dkr-ecr.eu-west-1.on.aws", "ecr"),
        ("public.ecr.aws", "ecr-public"),
        ("gcr.io", "gar"),
        ("eu.gcr.io", "gar"),
        ("mirror.gcr.io", "gar"),
        ("europe-west1-docker.pkg.dev", "gar"),
        ("us-docker.pkg.dev", "gar"),
        ("myregistry.azurecr.io", "acr"),
        ("myregistry.azurecr.cn", "acr"),
        ("myregistry.azurecr.us", "acr"),
        ("quay.io", "quay"),
        ("registry.gitlab.com", "gitlab"),
        ("registry.gitlab.example.org", "gitlab"),
        ("acme.jfrog.io", "artifactory"),
        ("artifactory.corp.example.com", "artifactory"),
        ("docker-artifactory.internal", "artifactory"),
        ("harbor.example.com", "harbor"),
        ("core.harbor.domain", "harbor"),
        ("nexus.example.com:8443", "nexus"),
        ("registry.example.com", "self-hosted"),
        ("127.0.0.1:5001", "self-hosted"),
        ("localhost:5000", "self-hosted"),
        ("[::1]:5000", "self-hosted"),
    ],
)
def test_registry_family(host: str, family: RegistryFamily) -> None:
    assert registry_family(host) == family


@pytest.mark.parametrize(
    ("host", "family"),
    [
        ("GHCR.IO", "ghcr"),
        ("ghcr.io:443", "ghcr"),
        ("Docker.IO", "dockerhub"),
        ("123456789012.DKR.ECR.us-east-1.AMAZONAWS.COM:443", "ecr"),
        ("Harbor.Example.com:8443", "harbor"),
        ("quay.io.", "quay"),
    ],
)
def test_case_and_port_are_ignored(host: str, family: RegistryFamily) -> None:
    assert registry_family(host) == family


@pytest.mark.parametrize(
    "host",
    [
        "ghcr.io.evil.example",  # a look-alike suffix
        "notghcr.io",
        "notgcr.io",
        "gcr.io.example.com",
        "12345678901.dkr.ecr.us-east-1.amazonaws.com",  # 11 digits: not an account id
        "123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example",
        "ecr.example.com",
        "public.ecr.aws.example.com",
        "azurecr.io.example.com",
        "docker-pkg.dev",
        "gitlab.com",  # gitlab.com serves the web UI; its registry is registry.gitlab.com
        "docker.com",
    ],
)
def test_look_alikes_are_self_hosted(host: str) -> None:
    assert registry_family(host) == "self-hosted"


def test_every_family_has_its_own_label() -> None:
    families = get_args(RegistryFamily)
    labels = [family_label(family) for family in families]
    assert all(labels)
    assert len(set(labels)) == len(families)


@pytest.mark.parametrize(
    ("family", "label"),
    [
        ("dockerhub", "Docker Hub"),
        ("ghcr", "GitHub Container Registry"),
        ("ecr", "Amazon ECR"),
        ("ecr-public", "Amazon ECR Public"),
        ("gar", "Google Artifact Registry"),
        ("acr", "Azure Container Registry"),
        ("gitlab", "GitLab Container Registry"),
        ("artifactory", "JFrog Artifactory"),
    ],
)
def test_family_label(family: RegistryFamily, label: str) -> None:
    assert family_label(family) == label


@pytest.mark.parametrize(
    ("host", "name"),
    [("ghcr.io:443", "ghcr.io"), ("[::1]:5000", "[::1]"), ("[::1]", "[::1]"),
     ("Quay.IO", "quay.io"), ("localhost", "localhost")],
)
def test_host_without_port(host: str, name: str) -> None:
    assert host_without_port(host) == name
