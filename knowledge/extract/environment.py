"""Where the failing client ran: Kubernetes, a CI runner, Docker Desktop, rootless podman.

Steps of the knowledge base declare the environments they are for, so a Kubernetes step is
shown only for a paste that comes from Kubernetes. Each sign is a phrase only that
environment prints (or a path or address only it uses).
"""

from __future__ import annotations

import functools
import re
from typing import Final

from knowledge.entry import Environment
from knowledge.extract.scan import ScannedText, rx, words_of

_SIGNS: Final[tuple[tuple[Environment, tuple[str, ...]], ...]] = (
    ("kubernetes", (
        "kubelet", "ErrImagePull", "ImagePullBackOff", "Back-off pulling image",
        "Failed to pull image", "Failed to inspect image", "kubectl", "imagePullSecrets",
        "PullImage from image service",
        "Successfully assigned", "FailedScheduling", "kube-system", "k3s", "minikube",
        "CreateContainerError", "Init:ErrImagePull", "Init:ImagePullBackOff", "pod/",
    )),
    ("github-actions", (
        "##[error]", "Error: buildx failed", "docker/login-action", "docker/build-push-action",
        "GITHUB_TOKEN", "GITHUB_ACTIONS", ".github/workflows", "github.com/actions/",
        "actions/checkout",
    )),
    ("gitlab-ci", (
        "gitlab-runner", "ERROR: Job failed", "Using docker executor",
        "Using Kubernetes executor", "CI_REGISTRY", "CI_JOB_TOKEN", ".gitlab-ci.yml",
    )),
    ("docker-desktop", (
        "Docker Desktop", "docker-desktop", "com.docker.backend", "host.docker.internal",
        "docker-credential-desktop", "desktop-linux", "wsl2",
    )),
    ("rootless-podman", (
        "rootless", "newuidmap", "newgidmap", "XDG_RUNTIME_DIR", "/run/user/",
        ".local/share/containers",
    )),
)
_CI_ONLY: Final = ("jenkins", "circleci", "buildkite", "Azure Pipelines", "bitbucket-pipelines",
                   "teamcity", "drone.io")
# Docker Desktop's VM answers DNS and proxies from 192.168.65.0/24 (its default subnet).
_DESKTOP_VM = rx(r"\b192\.168\.65\.[0-9]{1,3}\b")


def find_environments(scanned: ScannedText, tool: str | None) -> tuple[Environment, ...]:
    """Every environment the paste shows signs of, in the order of ``_SIGNS`` (``ci`` follows a
    CI runner)."""
    found: list[Environment] = []
    for environment, phrases in _SIGNS:
        if tool == environment or (environment == "kubernetes" and tool == "kubelet") or any(
            _has(scanned, phrase) for phrase in phrases
        ):
            found.append(environment)
    if "docker-desktop" not in found and scanned.has_word(b"192") and _DESKTOP_VM.search(
        scanned.text
    ):
        found.append("docker-desktop")
    if {"github-actions", "gitlab-ci"} & set(found) or any(_has(scanned, p) for p in _CI_ONLY):
        found.append("ci")
    return tuple(found)


def _has(scanned: ScannedText, phrase: str) -> bool:
    """Whether the paste holds ``phrase`` in any case (tools and people vary it); a phrase
    whose words are not all in the paste costs a set lookup."""
    if not words_of(phrase) <= scanned.words:
        return False
    return _phrase(phrase).search(scanned.text) is not None


@functools.cache
def _phrase(phrase: str) -> re.Pattern[str]:
    return re.compile(re.escape(phrase), re.IGNORECASE)
